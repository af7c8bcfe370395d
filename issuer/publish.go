package issuer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/pkg/vcld"
)

// listCache keeps the last signed form of each status list, re-signed when its set changed
// or half of its validity has passed.
type listCache struct {
	mu      sync.Mutex
	entries map[string]*cachedList
}

type cachedList struct {
	mu      sync.Mutex
	token   string
	etag    string
	version uint64
	signed  time.Time
	ok      bool
}

func (c *listCache) entry(name string) *cachedList {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[name]
	if e == nil {
		e = &cachedList{}
		c.entries[name] = e
	}
	return e
}

// PublishedList is a signed status list ready to serve.
type PublishedList struct {
	// Token is the signed list: a BitstringStatusListCredential as vc+jwt or (ListDataIntegrity)
	// as JSON-LD with an eddsa-rdfc-2022 proof, or a statuslist+jwt.
	Token string
	// MaxAge is how long caches may keep it.
	MaxAge time.Duration
	// Version changes whenever an entry of the list changes.
	Version uint64
	// ETag identifies this signed token (a strong validator).
	ETag string
}

// parseListName reads "revocation-N" / "suspension-N".
func parseListName(name string) (purpose string, set uint32, err error) {
	purpose, num, ok := strings.Cut(name, "-")
	if !ok || (purpose != "revocation" && purpose != "suspension") {
		return "", 0, errs.Errorf(CodeStatusListNotFound, "status list not found: %q (want revocation-N or suspension-N)", name)
	}
	n, err := parseSet(num)
	return purpose, n, err
}

func parseSet(num string) (uint32, error) {
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil || n == 0 || (len(num) > 1 && num[0] == '0') {
		return 0, errs.Errorf(CodeStatusListNotFound, "status list not found: list number %q", num)
	}
	return uint32(n), nil
}

// ListSecuring is how a Bitstring Status List credential is secured.
type ListSecuring int

// Securing mechanisms of a Bitstring Status List credential.
const (
	// ListJOSE is VC-JOSE-COSE: a compact JWS, application/vc+jwt (the default).
	ListJOSE ListSecuring = iota
	// ListDataIntegrity is the JSON-LD credential with an eddsa-rdfc-2022 Data Integrity proof,
	// application/vc+ld+json. It needs an Ed25519 signing key.
	ListDataIntegrity
)

// BitstringList returns the signed BitstringStatusListCredential (vc+jwt) named
// "revocation-N" or "suspension-N".
func (is *Issuer) BitstringList(ctx context.Context, name string) (PublishedList, error) {
	return is.BitstringListAs(ctx, name, ListJOSE)
}

// CanSecureListsWith reports whether the current signing key can secure status lists with
// sec (Data Integrity needs Ed25519).
func (is *Issuer) CanSecureListsWith(sec ListSecuring) bool {
	return sec == ListJOSE || is.ring.signer().key.Alg == keys.EdDSA
}

// BitstringListAs returns the BitstringStatusListCredential named "revocation-N" or
// "suspension-N" secured with sec. Both forms carry the same list and are cached apart.
func (is *Issuer) BitstringListAs(ctx context.Context, name string, sec ListSecuring) (PublishedList, error) {
	purpose, set, err := parseListName(name)
	if err != nil {
		return PublishedList{}, err
	}
	want := StateRevoked
	if purpose == "suspension" {
		want = StateSuspended
	}
	cacheName := name
	if sec == ListDataIntegrity {
		cacheName += "+ld"
	}
	return is.publish(cacheName, set, func(states []State, sk *signingKey) (string, error) {
		bs, err := statuslist.NewBitstring(ListSize)
		if err != nil {
			return "", err
		}
		for i, st := range states {
			if st == want {
				if err := bs.Set(i, true); err != nil {
					return "", err
				}
			}
		}
		if sec != ListDataIntegrity {
			return statuslist.SignBitstringCredential(sk.key, sk.did, is.BitstringURL(purpose, set), purpose, bs, is.cfg.StatusTTL)
		}
		return is.signBitstringLD(ctx, sk, purpose, set, bs)
	})
}

// signBitstringLD secures a Bitstring Status List credential with eddsa-rdfc-2022.
func (is *Issuer) signBitstringLD(ctx context.Context, sk *signingKey, purpose string, set uint32, bs *statuslist.Bitstring) (string, error) {
	if sk.key.Alg != keys.EdDSA {
		return "", errs.Errorf(CodeAlgNotAllowed, "algorithm not allowed: a Data Integrity status list needs an Ed25519 key; this issuer signs with %s", sk.key.Alg)
	}
	now := is.cfg.Clock().UTC().Truncate(time.Second)
	c, err := statuslist.BitstringCredential(statuslist.BitstringParams{Issuer: sk.did, ID: is.BitstringURL(purpose, set),
		Purpose: purpose, List: bs, ValidFrom: now, ValidUntil: now.Add(is.cfg.StatusTTL)})
	if err != nil {
		return "", err
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	out, err := vcld.SignCredential(ctx, doc, vcld.SignOptions{Signer: sk.key.Signer, VerificationMethod: sk.key.ID, Created: now})
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// TokenList returns the signed Token Status List (statuslist+jwt) number set (as a string).
func (is *Issuer) TokenList(ctx context.Context, num string) (PublishedList, error) {
	set, err := parseSet(num)
	if err != nil {
		return PublishedList{}, err
	}
	return is.publish("token-"+num, set, func(states []State, sk *signingKey) (string, error) {
		tl, err := statuslist.NewTokenList(ListSize, 2)
		if err != nil {
			return "", err
		}
		for i, st := range states {
			if st != StateValid {
				if err := tl.Set(i, uint8(st)); err != nil {
					return "", err
				}
			}
		}
		return statuslist.SignTokenList(sk.key, sk.did, is.TokenListURL(set), tl, is.cfg.StatusTTL)
	})
}

// publish returns the cached signed list, re-signing it when the set changed, when half of
// its validity passed, or when the signing key changed.
func (is *Issuer) publish(name string, set uint32, sign func([]State, *signingKey) (string, error)) (PublishedList, error) {
	e := is.lists.entry(name)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := is.cfg.Clock()
	fresh := e.ok && now.Sub(e.signed) < is.cfg.StatusTTL/2
	states, v, ok, changed := is.status.snapshot(set, e.version, fresh)
	if !ok {
		return PublishedList{}, errs.Errorf(CodeStatusListNotFound, "status list not found: %s", name)
	}
	if !changed {
		return is.published(e, now), nil
	}
	tok, err := sign(states, is.ring.signer())
	if err != nil {
		return PublishedList{}, fmt.Errorf("signing status list %s: %w", name, err)
	}
	sum := sha256.Sum256([]byte(tok))
	e.token, e.etag, e.version, e.signed, e.ok = tok, `"`+hex.EncodeToString(sum[:12])+`"`, v, now, true
	return is.published(e, now), nil
}

func (is *Issuer) published(e *cachedList, now time.Time) PublishedList {
	// Caches may keep the list until it is due for re-signing, bounded by a minute so that
	// a status change reaches verifiers quickly.
	age := is.cfg.StatusTTL/2 - now.Sub(e.signed)
	if age > time.Minute {
		age = time.Minute
	}
	if age < 0 {
		age = 0
	}
	return PublishedList{Token: e.token, MaxAge: age.Truncate(time.Second), Version: e.version, ETag: e.etag}
}

// DIDDocument returns the issuer's DID document: for did:web every published key (current
// and retired keys whose credentials may still be valid); for did:key and did:jwk the
// document of the current DID.
func (is *Issuer) DIDDocument() ([]byte, error) {
	pub := is.ring.publishedKeys(is.cfg.Clock())
	var ks []*keys.Key
	d := is.ring.signer().did
	for _, k := range pub {
		if k.did == d {
			ks = append(ks, k.key.PublicOnly())
		}
	}
	doc, err := did.NewDocumentErr(d, ks)
	if err != nil {
		return nil, fmt.Errorf("building DID document: %w", err)
	}
	return doc.Marshal()
}

// JWKS returns the JSON Web Key Set of every published key, kid = verification method id.
func (is *Issuer) JWKS() ([]byte, error) {
	pub := is.ring.publishedKeys(is.cfg.Clock())
	ks := make([]*keys.Key, 0, len(pub))
	for _, k := range pub {
		ks = append(ks, k.key.PublicOnly())
	}
	return keys.JWKS(ks)
}

// IssuerMetadata returns the SD-JWT VC issuer metadata (/.well-known/jwt-vc-issuer): the
// issuer identifier and its JWKS inline.
func (is *Issuer) IssuerMetadata() ([]byte, error) {
	jwks, err := is.JWKS()
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Issuer string          `json:"issuer"`
		JWKS   json.RawMessage `json:"jwks"`
		DID    string          `json:"did,omitempty"`
	}{is.cfg.BaseURL, jwks, is.DID()})
}
