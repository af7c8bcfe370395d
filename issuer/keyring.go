package issuer

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
)

// Identity kinds: how the issuer names itself.
const (
	IdentityWeb = "did:web"
	IdentityKey = "did:key"
	IdentityJWK = "did:jwk"
)

// signingKey is a key of the ring: the key with its verification method id as ID, the DID it
// signs as, and the latest expiry of the credentials it signed (unix seconds, atomically raised).
type signingKey struct {
	local   string    // stable local id (thumbprint)
	key     *keys.Key // ID = verification method id (DID URL)
	did     string
	rec     KeyRecord
	lastExp atomic.Int64 // 0: signed nothing known
}

func (k *signingKey) raiseExpiry(t time.Time) {
	v := t.Unix()
	for {
		cur := k.lastExp.Load()
		if cur >= v || k.lastExp.CompareAndSwap(cur, v) {
			return
		}
	}
}

// published reports whether the key belongs in the DID document and JWKS at now: the current
// key always; a retired key while a credential it signed may still be valid.
func (k *signingKey) published(now time.Time, current bool) bool {
	if current {
		return true
	}
	exp := k.lastExp.Load()
	return exp != 0 && now.Unix() < exp
}

// keyRing holds the issuer's keys: one current key that signs, and retired keys kept for
// publication.
type keyRing struct {
	store    Store
	sealer   *keys.Sealer
	identity string
	webDID   string // for did:web
	alg      keys.Alg
	clock    func() time.Time
	tenant   string // stamped on every key record; a record of another tenant fails load

	mu      sync.RWMutex
	current *signingKey
	all     []*signingKey
}

// webDIDFor returns the did:web of a base URL: host[:port] and path segments.
func webDIDFor(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", errs.Errorf(CodeConfig, "invalid configuration: base URL %q must be an absolute http(s) URL", base)
	}
	var segs []string
	for _, s := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	return did.WebDID(u.Host, segs...), nil
}

// vmFor returns the DID and verification method id of a key under the identity kind.
func (r *keyRing) vmFor(k *keys.Key) (string, string, error) {
	switch r.identity {
	case IdentityWeb:
		return r.webDID, r.webDID + "#" + k.ID, nil
	case IdentityKey:
		return did.KeyDID(k.Public)
	case IdentityJWK:
		return did.JWKDID(k.Public)
	}
	return "", "", errs.Errorf(CodeConfig, "invalid configuration: identity %q (want did:web, did:key or did:jwk)", r.identity)
}

func (r *keyRing) wrap(k *keys.Key, rec KeyRecord) (*signingKey, error) {
	d, vm, err := r.vmFor(k)
	if err != nil {
		return nil, errs.Wrap(CodeConfig, fmt.Sprintf("invalid configuration: key %s", rec.ID), err)
	}
	sk := *k
	sk.ID = vm
	return &signingKey{local: rec.ID, key: &sk, did: d, rec: rec}, nil
}

// load opens every stored key; it generates the first key when there is none. It also
// reloads the ring (Issuer.Refresh), concurrently with rotations on this process: the store
// read may predate a rotation applied meanwhile, so the reload merges instead of replacing.
// A retirement is final (a key retired in memory stays retired whatever an older read says),
// a key added here after the read stays in the ring, and the current key is the newest
// unretired key of the merged ring. The store never deletes a key record.
func (r *keyRing) load(ctx context.Context) error {
	recs, err := r.store.Keys(ctx)
	if err != nil {
		return errs.Wrap(CodeStore, "store failed: loading keys", err)
	}
	exps, err := r.store.KeyExpiries(ctx)
	if err != nil {
		return errs.Wrap(CodeStore, "store failed: loading key expiries", err)
	}
	var all []*signingKey
	for _, rec := range recs {
		if rec.Tenant != r.tenant {
			return errs.Errorf(CodeStore, "store failed: key %s belongs to tenant %q, not %q", rec.ID, rec.Tenant, r.tenant)
		}
		k, err := r.sealer.OpenKey(rec.Sealed)
		if err != nil {
			return errs.Wrap(CodeNoSecret, fmt.Sprintf("wrong key-sealing secret: opening sealed key %s (is the key secret the one this data directory was created with?)", rec.ID), err)
		}
		sk, err := r.wrap(k, rec)
		if err != nil {
			return err
		}
		if t, ok := exps[rec.ID]; ok {
			sk.raiseExpiry(t)
		}
		all = append(all, sk)
	}
	r.mu.Lock()
	all = mergeRing(r.all, all)
	var current *signingKey
	for _, sk := range all {
		if sk.rec.RetiredAt == nil && (current == nil || sk.rec.Created.After(current.rec.Created)) {
			current = sk
		}
	}
	r.all, r.current = all, current
	r.mu.Unlock()
	if current == nil {
		_, err := r.rotate(ctx, r.alg)
		return err
	}
	return nil
}

// mergeRing merges the keys read from the store (read) into the ring in memory (mem): a key
// of both keeps the higher last-expiry mark (this process may have raised it meanwhile) and
// stays retired if either says so; a key only in memory (added after the read) is kept.
func mergeRing(mem, read []*signingKey) []*signingKey {
	byLocal := make(map[string]*signingKey, len(mem))
	for _, k := range mem {
		byLocal[k.local] = k
	}
	out := make([]*signingKey, 0, max(len(mem), len(read)))
	seen := make(map[string]bool, len(read))
	for _, sk := range read {
		seen[sk.local] = true
		old := byLocal[sk.local]
		if old == nil {
			out = append(out, sk)
			continue
		}
		sk.raiseExpiry(time.Unix(old.lastExp.Load(), 0))
		if old.rec.RetiredAt != nil && sk.rec.RetiredAt == nil {
			old.raiseExpiry(time.Unix(sk.lastExp.Load(), 0))
			sk = old // retired here after the read: the read is older
		}
		out = append(out, sk)
	}
	for _, k := range mem {
		if !seen[k.local] {
			out = append(out, k)
		}
	}
	return out
}

// rotate generates a new current key and retires the old one. The new key is stored before
// the old one is marked retired, so a crash in between leaves two unretired keys, and the
// newest wins at the next start.
func (r *keyRing) rotate(ctx context.Context, alg keys.Alg) (*signingKey, error) {
	if alg == "" {
		alg = r.alg
	}
	if !keys.IsAllowed(alg) {
		return nil, errs.Errorf(CodeAlgNotAllowed, "algorithm not allowed: %q", alg)
	}
	k, err := keys.Generate(alg)
	if err != nil {
		return nil, errs.Wrap(CodeConfig, "invalid configuration: generating key", err)
	}
	now := r.clock().UTC()
	k.Created = now
	sealed, err := r.sealer.SealKey(k)
	if err != nil {
		return nil, errs.Wrap(CodeNoSecret, "key-sealing secret missing or wrong: sealing key", err)
	}
	rec := KeyRecord{ID: k.ID, Alg: string(k.Alg), Sealed: sealed, Created: now, Tenant: r.tenant}
	sk, err := r.wrap(k, rec)
	if err != nil {
		return nil, err
	}
	if err := r.store.PutKey(ctx, rec); err != nil {
		return nil, errs.Wrap(CodeStore, "store failed: storing key", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.current; old != nil {
		t := now
		oldRec := old.rec
		oldRec.RetiredAt = &t
		oldKey := *old.key
		oldKey.ID = old.local
		oldKey.RetiredAt = &t
		if oldRec.Sealed, err = r.sealer.SealKey(&oldKey); err != nil {
			return nil, errs.Wrap(CodeNoSecret, "key-sealing secret missing or wrong: resealing retired key", err)
		}
		if err := r.store.PutKey(ctx, oldRec); err != nil {
			return nil, errs.Wrap(CodeStore, fmt.Sprintf("store failed: retiring key %s", old.local), err)
		}
		old.rec = oldRec
		old.key.RetiredAt = &t
	}
	r.all = append(r.all, sk)
	r.current = sk
	return sk, nil
}

// signer returns the current key.
func (r *keyRing) signer() *signingKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.current
}

// byLocal finds a key by local id.
func (r *keyRing) byLocal(id string) *signingKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.all {
		if k.local == id {
			return k
		}
	}
	return nil
}

// publishedKeys returns the public keys to publish at now (current first, then retired
// keys whose credentials may still be valid, newest first) for DID and JWKS documents.
// With did:key / did:jwk identities only keys of the given DID are returned when did != "".
func (r *keyRing) publishedKeys(now time.Time) []*signingKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*signingKey
	for _, k := range r.all {
		if k.published(now, k == r.current) {
			out = append(out, k)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i] == r.current) != (out[j] == r.current) {
			return out[i] == r.current
		}
		return out[i].rec.Created.After(out[j].rec.Created)
	})
	return out
}

// KeyInfo describes a key for `idport issuer keys list` and operators.
type KeyInfo struct {
	// ID is the stable local key id (JWK thumbprint).
	ID string `json:"id"`
	// KID is the verification method id used as JWS kid.
	KID string `json:"kid"`
	// DID is the DID the key signs as.
	DID string `json:"did"`
	// Alg is the JOSE algorithm.
	Alg string `json:"alg"`
	// Created is the creation time.
	Created time.Time `json:"created"`
	// RetiredAt is set for retired keys.
	RetiredAt *time.Time `json:"retiredAt,omitempty"`
	// Current marks the signing key.
	Current bool `json:"current"`
	// LastExpiry is the latest expiry of a credential the key signed (zero: none known).
	LastExpiry time.Time `json:"lastExpiry,omitzero"`
	// Published reports whether the key is in the DID document and JWKS now.
	Published bool `json:"published"`
}

func (r *keyRing) list(now time.Time) []KeyInfo {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]KeyInfo, 0, len(r.all))
	for _, k := range r.all {
		ki := KeyInfo{ID: k.local, KID: k.key.ID, DID: k.did, Alg: string(k.key.Alg), Created: k.rec.Created,
			RetiredAt: k.rec.RetiredAt, Current: k == r.current, Published: k.published(now, k == r.current)}
		if e := k.lastExp.Load(); e != 0 {
			ki.LastExpiry = time.Unix(e, 0).UTC()
		}
		out = append(out, ki)
	}
	return out
}
