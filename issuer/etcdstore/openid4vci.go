package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/errs"
)

// VCIStore is the openid4vci.Store in etcd: offers, the indexes from code and token hashes to
// offer ids, and the c_nonces consumed. Single-use rules hold across processes because
// UpdateOffer is one transaction that compares the revision of the offer it read and requires
// the nonce's used record not to exist yet.
type VCIStore struct {
	s *Store
	// legacyGone is set once a Purge deleted the legacy c_nonce records: later purges skip
	// that delete, a write through the cluster's consensus even when nothing matches.
	legacyGone atomic.Bool
}

var _ openid4vci.Store = (*VCIStore)(nil)

// OpenID4VCIStore returns the OpenID4VCI state store over the same cluster and prefix.
func (s *Store) OpenID4VCIStore() openid4vci.Store { return &VCIStore{s: s} }

func (v *VCIStore) offerKey(id string) string { return v.s.root("vci/offer/", id) }
func (v *VCIStore) codeKey(h string) string   { return v.s.root("vci/code/", h) }
func (v *VCIStore) tokenKey(h string) string  { return v.s.root("vci/token/", h) }
func (v *VCIStore) nonceKey(n string) string  { return v.s.root("vci/usednonce/", n) }

// legacyNoncePrefix held issued c_nonces when issuing one wrote a record; none of them is
// valid any more, and the first Purge of a VCIStore deletes them.
const legacyNoncePrefix = "vci/nonce/"

// PutOffer implements openid4vci.Store.
func (v *VCIStore) PutOffer(ctx context.Context, rec *openid4vci.OfferRecord) error {
	val, err := json.Marshal(rec)
	if err != nil {
		return wrap("encode offer", err)
	}
	_, err = v.s.cli.Txn(ctx).Then(clientv3.OpPut(v.offerKey(rec.ID), string(val)), clientv3.OpPut(v.codeKey(rec.CodeHash), rec.ID)).Commit()
	return wrap("put offer", err)
}

// find reads the offer l names with its mod revision.
func (v *VCIStore) find(ctx context.Context, l openid4vci.Lookup) (*openid4vci.OfferRecord, int64, error) {
	id := l.Value
	var index string
	switch l.Kind {
	case openid4vci.ByCode:
		index = v.codeKey(l.Value)
	case openid4vci.ByToken:
		index = v.tokenKey(l.Value)
	}
	if index != "" {
		r, err := v.s.cli.Get(ctx, index)
		if err != nil {
			return nil, 0, err
		}
		if len(r.Kvs) == 0 {
			return nil, 0, openid4vci.ErrOfferNotFound
		}
		id = string(r.Kvs[0].Value)
	}
	r, err := v.s.cli.Get(ctx, v.offerKey(id))
	if err != nil {
		return nil, 0, err
	}
	if len(r.Kvs) == 0 {
		return nil, 0, openid4vci.ErrOfferNotFound
	}
	var rec openid4vci.OfferRecord
	if err := json.Unmarshal(r.Kvs[0].Value, &rec); err != nil {
		return nil, 0, fmt.Errorf("decode offer %s: %w", id, err)
	}
	return &rec, r.Kvs[0].ModRevision, nil
}

// Offer implements openid4vci.Store.
func (v *VCIStore) Offer(ctx context.Context, l openid4vci.Lookup) (*openid4vci.OfferRecord, error) {
	rec, _, err := v.find(ctx, l)
	return rec, wrap("offer", err)
}

// UpdateOffer implements openid4vci.Store: read the offer (and the nonce's used record), run fn, and write
// in one transaction that holds only if neither changed meanwhile; on a race, start again.
func (v *VCIStore) UpdateOffer(ctx context.Context, l openid4vci.Lookup, nonce openid4vci.Nonce, now time.Time, fn openid4vci.UpdateFunc) error {
	for range maxRetries {
		ferr, err := v.updateOnce(ctx, l, nonce, now, fn)
		if err == errConflict {
			continue
		}
		if err != nil {
			return wrap("update offer", err)
		}
		return ferr
	}
	return wrap("update offer", fmt.Errorf("%w: gave up after %d tries", errConflict, maxRetries))
}

func (v *VCIStore) updateOnce(ctx context.Context, l openid4vci.Lookup, nonce openid4vci.Nonce, now time.Time, fn openid4vci.UpdateFunc) (ferr, err error) {
	rec, rev, err := v.find(ctx, l)
	if err != nil {
		return nil, err
	}
	save, ferr := fn(rec)
	cmps := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(v.offerKey(rec.ID)), "=", rev)}
	var ops []clientv3.Op
	if ferr == nil && nonce.Value != "" {
		nk := v.nonceKey(nonce.Value)
		r, err := v.s.cli.Get(ctx, nk, clientv3.WithCountOnly())
		if err != nil {
			return nil, err
		}
		if r.Count > 0 || !now.Before(nonce.Expires) {
			return nil, errs.Errorf(openid4vci.CodeInvalidNonce, "invalid nonce: the c_nonce is unknown, expired or already used")
		}
		// Consumed by another process meanwhile: the transaction fails, the retry reads the record.
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(nk), "=", 0))
		ops = append(ops, clientv3.OpPut(nk, strconv.FormatInt(nonce.Expires.UnixNano(), 10)))
	}
	if save {
		val, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		ops = append(ops, clientv3.OpPut(v.offerKey(rec.ID), string(val)))
		if rec.TokenHash != "" {
			ops = append(ops, clientv3.OpPut(v.tokenKey(rec.TokenHash), rec.ID))
		}
	}
	if len(ops) == 0 {
		return ferr, nil
	}
	r, err := v.s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return nil, err
	}
	if !r.Succeeded {
		return nil, errConflict
	}
	return ferr, nil
}

// Purge implements openid4vci.Store.
func (v *VCIStore) Purge(ctx context.Context, now time.Time) (int, error) {
	n := 0
	offers, err := listJSON[openid4vci.OfferRecord](ctx, v.s.cli, v.s.root("vci/offer/"))
	if err != nil {
		return 0, wrap("purge", err)
	}
	for _, rec := range offers {
		if openid4vci.Live(&rec, now) {
			continue
		}
		ops := []clientv3.Op{clientv3.OpDelete(v.offerKey(rec.ID)), clientv3.OpDelete(v.codeKey(rec.CodeHash))}
		if rec.TokenHash != "" {
			ops = append(ops, clientv3.OpDelete(v.tokenKey(rec.TokenHash)))
		}
		if _, err := v.s.cli.Txn(ctx).Then(ops...).Commit(); err != nil {
			return n, wrap("purge", err)
		}
		n++
	}
	if !v.legacyGone.Load() {
		if _, err := v.s.cli.Delete(ctx, v.s.root(legacyNoncePrefix), clientv3.WithPrefix()); err != nil {
			return n, wrap("purge", err)
		}
		v.legacyGone.Store(true)
	}
	r, err := v.s.cli.Get(ctx, v.s.root("vci/usednonce/"), clientv3.WithPrefix())
	if err != nil {
		return n, wrap("purge", err)
	}
	for _, kv := range r.Kvs {
		exp, perr := strconv.ParseInt(string(kv.Value), 10, 64)
		if perr == nil && now.Before(time.Unix(0, exp)) {
			continue
		}
		if _, err := v.s.cli.Delete(ctx, string(kv.Key)); err != nil {
			return n, wrap("purge", err)
		}
		n++
	}
	return n, nil
}

// OnboardingStore keeps onboarding records in etcd.
type OnboardingStore struct{ s *Store }

var _ issuer.OnboardingStore = (*OnboardingStore)(nil)

// OnboardingStore returns the onboarding record store over the same cluster and prefix.
func (s *Store) OnboardingStore() issuer.OnboardingStore { return &OnboardingStore{s: s} }

// PutOnboarding implements issuer.OnboardingStore.
func (o *OnboardingStore) PutOnboarding(ctx context.Context, rec issuer.OnboardingRecord) error {
	return wrap("put onboarding record", putJSON(ctx, o.s.cli, o.s.root("onboarding/", rec.ID), rec))
}

// Onboarding implements issuer.OnboardingStore.
func (o *OnboardingStore) Onboarding(ctx context.Context, id string) (issuer.OnboardingRecord, bool, error) {
	var rec issuer.OnboardingRecord
	ok, err := getJSON(ctx, o.s.cli, o.s.root("onboarding/", id), &rec)
	return rec, ok, wrap("read onboarding record", err)
}
