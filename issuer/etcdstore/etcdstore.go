// Package etcdstore is the issuer's Store on etcd, so that several issuer processes (replicas
// behind one address) share one state: credential records, status allocations and states,
// sealed signing keys, API keys, tenants, OpenID4VCI state and onboarding records. Every
// record is one key under a prefix, its value JSON.
//
// Status allocation is a compare-and-swap: Record writes the allocation key of its status
// entry in one etcd transaction whose If clause requires that key (and the credential id) to
// be unused, so two processes that picked the same index cannot both record it; the loser
// gets issuer.ErrIndexTaken and the issuer engine picks another index and signs again. The
// key's expiry mark is raised in the same transaction.
//
// Key layout under the prefix P (P ends with "/"); S is P "d/" for the default issuer and
// P "t/<tenant>/" for a tenant:
//
//	S cred/<id>                 issuer.IssueRecord
//	S alloc/<set>/<index>       credential id holding the status entry (10-digit numbers)
//	S state/<set>/<index>       state byte of a revoked or suspended entry (absent: valid)
//	S key/<id>                  issuer.KeyRecord
//	S keyexp/<id>               latest expiry (unix seconds, 20 digits) of the key's credentials
//	S apikey/<id>               issuer.APIKeyRecord
//	P tenant/<name>             issuer.TenantRecord
//	P onboarding/<id>           issuer.OnboardingRecord
//	P vci/offer/<id>, vci/code/<hash>, vci/token/<hash>, vci/usednonce/<nonce>
//
// The store implements neither issuer.Backupper (back the cluster up with etcd's own
// snapshots) nor issuer.GenerationStore.
package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/etcdx"
)

// Config configures Open: how to reach the cluster, and the key prefix (default
// DefaultPrefix).
type Config = etcdx.Config

// DefaultPrefix is the key prefix when Config.Prefix is empty.
const DefaultPrefix = "/idport/issuer/"

// maxRetries bounds the optimistic loops of writes that read before they compare.
const maxRetries = 32

// Store implements issuer.Store on etcd, and the optional issuer.TenantStore. A tenant's view
// (Tenant) is a Store too, whose keys live under the tenant's own space.
type Store struct {
	conn  *etcdx.Conn
	cli   *clientv3.Client
	space string // S: key prefix of this view's records
	// tenant is "" for the deployment's store.
	tenant string
}

var (
	_ issuer.Store       = (*Store)(nil)
	_ issuer.TenantStore = (*Store)(nil)
)

// Open connects to the cluster and returns the store of the default issuer (a *Store).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	c, err := etcdx.Connect(ctx, cfg)
	if err != nil {
		return nil, errs.Wrap(issuer.CodeStore, "store failed: opening the etcd store", err)
	}
	return &Store{conn: c, cli: c.Client, space: c.Prefix + "d/"}, nil
}

// Prefix returns the store's key prefix.
func (s *Store) Prefix() string { return s.conn.Prefix }

// Close closes the client when Open made it; closing a tenant's view does nothing.
func (s *Store) Close() error {
	if s.tenant != "" {
		return nil
	}
	return s.conn.Close()
}

func (s *Store) key(parts ...string) string  { return s.space + strings.Join(parts, "") }
func (s *Store) root(parts ...string) string { return s.conn.Prefix + strings.Join(parts, "") }

func refPart(r issuer.StatusRef) string { return fmt.Sprintf("%010d/%010d", r.Set, r.Index) }

func parseRef(part string) (issuer.StatusRef, error) {
	a, b, ok := strings.Cut(part, "/")
	set, err1 := strconv.ParseUint(a, 10, 32)
	idx, err2 := strconv.ParseUint(b, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return issuer.StatusRef{}, fmt.Errorf("corrupt status key %q", part)
	}
	return issuer.StatusRef{Set: uint32(set), Index: uint32(idx)}, nil
}

func (s *Store) allocKey(r issuer.StatusRef) string { return s.key("alloc/", refPart(r)) }
func (s *Store) stateKey(r issuer.StatusRef) string { return s.key("state/", refPart(r)) }
func (s *Store) credKey(id string) string           { return s.key("cred/", id) }
func (s *Store) keyExpKey(kid string) string        { return s.key("keyexp/", kid) }

func wrap(op string, err error) error {
	if err == nil || errs.As(err) != nil {
		return err
	}
	return errs.Wrap(issuer.CodeStore, "store failed: "+op, err)
}

func absent(key string) clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
}

// raiseOp raises the expiry mark at key to exp (20-digit unix seconds): a nested transaction
// writes it when the stored mark is lower or missing, and only then.
func raiseOp(key string, exp time.Time) clientv3.Op {
	v := fmt.Sprintf("%020d", exp.Unix())
	put := clientv3.OpPut(key, v)
	return clientv3.OpTxn([]clientv3.Cmp{clientv3.Compare(clientv3.Value(key), "<", v)}, []clientv3.Op{put},
		[]clientv3.Op{clientv3.OpTxn([]clientv3.Cmp{absent(key)}, []clientv3.Op{put}, nil)})
}

// recordTxn is the transaction of one issuance record: the allocation and the log entry only
// if both keys are unused, with the key's expiry mark.
func (s *Store) recordTxn(rec issuer.IssueRecord) (cmps []clientv3.Cmp, ops []clientv3.Op, err error) {
	val, err := json.Marshal(rec)
	if err != nil {
		return nil, nil, fmt.Errorf("encode record: %w", err)
	}
	exp := rec.Expires
	if exp.IsZero() {
		exp = issuer.MaxTime
	}
	ak, ck := s.allocKey(rec.Status), s.credKey(rec.ID)
	return []clientv3.Cmp{absent(ak), absent(ck)},
		[]clientv3.Op{clientv3.OpPut(ak, rec.ID), clientv3.OpPut(ck, string(val)), raiseOp(s.keyExpKey(rec.KeyID), exp)}, nil
}

// explain reads why a record's transaction failed: nil when the same record is already stored
// (recording twice is allowed), ErrIndexTaken or ErrDuplicateCredential otherwise.
func (s *Store) explain(ctx context.Context, rec issuer.IssueRecord) error {
	r, err := s.cli.Txn(ctx).Then(clientv3.OpGet(s.allocKey(rec.Status)), clientv3.OpGet(s.credKey(rec.ID))).Commit()
	if err != nil {
		return err
	}
	if kvs := r.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 && string(kvs[0].Value) != rec.ID {
		return errs.Errorf(issuer.CodeIndexTaken, "status index already taken: %d/%d belongs to %s", rec.Status.Set, rec.Status.Index, kvs[0].Value)
	}
	if kvs := r.Responses[1].GetResponseRange().Kvs; len(kvs) > 0 {
		var o issuer.IssueRecord
		if err := json.Unmarshal(kvs[0].Value, &o); err != nil {
			return fmt.Errorf("decode credential %s: %w", rec.ID, err)
		}
		if o.Status != rec.Status {
			return errs.Errorf(issuer.CodeDuplicateCredential, "duplicate credential id: %q", rec.ID)
		}
	}
	return nil
}

// Record implements issuer.Store: one compare-and-swap transaction writes the allocation, the
// log entry and the key's expiry mark, or nothing.
func (s *Store) Record(ctx context.Context, rec issuer.IssueRecord) error {
	cmps, ops, err := s.recordTxn(rec)
	if err != nil {
		return wrap("record", err)
	}
	r, err := s.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return wrap("record", err)
	}
	if r.Succeeded {
		return nil
	}
	if err := s.explain(ctx, rec); err != nil {
		return wrap("record", err)
	}
	// The same record was stored before: make sure its key's mark is raised, as bbolt does.
	_, err = s.cli.Txn(ctx).Then(ops[2]).Commit()
	return wrap("record", err)
}

// Credential implements issuer.Store.
func (s *Store) Credential(ctx context.Context, id string) (issuer.IssueRecord, bool, error) {
	var rec issuer.IssueRecord
	ok, err := getJSON(ctx, s.cli, s.credKey(id), &rec)
	return rec, ok, wrap("credential", err)
}

// SetState implements issuer.Store (a valid state deletes the entry).
func (s *Store) SetState(ctx context.Context, ref issuer.StatusRef, st issuer.State) error {
	var err error
	if st == issuer.StateValid {
		_, err = s.cli.Delete(ctx, s.stateKey(ref))
	} else {
		_, err = s.cli.Put(ctx, s.stateKey(ref), string([]byte{byte(st)}))
	}
	return wrap("set state", err)
}

// LoadStatus implements issuer.Store: allocations and states are read at one revision.
func (s *Store) LoadStatus(ctx context.Context, fn func(issuer.StatusRef, issuer.State) error) error {
	sp := s.key("state/")
	states, err := s.cli.Get(ctx, sp, clientv3.WithPrefix())
	if err != nil {
		return wrap("load status", err)
	}
	m := map[issuer.StatusRef]issuer.State{}
	for _, kv := range states.Kvs {
		ref, err := parseRef(strings.TrimPrefix(string(kv.Key), sp))
		if err != nil {
			return wrap("load status", err)
		}
		if len(kv.Value) == 1 {
			m[ref] = issuer.State(kv.Value[0])
		}
	}
	ap := s.key("alloc/")
	allocs, err := s.cli.Get(ctx, ap, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithRev(states.Header.Revision))
	if err != nil {
		return wrap("load status", err)
	}
	for _, kv := range allocs.Kvs {
		ref, err := parseRef(strings.TrimPrefix(string(kv.Key), ap))
		if err != nil {
			return wrap("load status", err)
		}
		if err := fn(ref, m[ref]); err != nil {
			return err
		}
	}
	return nil
}

// PutKey implements issuer.Store.
func (s *Store) PutKey(ctx context.Context, k issuer.KeyRecord) error {
	return wrap("put key", putJSON(ctx, s.cli, s.key("key/", k.ID), k))
}

// Keys implements issuer.Store (oldest first).
func (s *Store) Keys(ctx context.Context) ([]issuer.KeyRecord, error) {
	out, err := listJSON[issuer.KeyRecord](ctx, s.cli, s.key("key/"))
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Created.Before(out[j-1].Created); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, wrap("keys", err)
}

// KeyExpiries implements issuer.Store.
func (s *Store) KeyExpiries(ctx context.Context) (map[string]time.Time, error) {
	p := s.key("keyexp/")
	r, err := s.cli.Get(ctx, p, clientv3.WithPrefix())
	if err != nil {
		return nil, wrap("key expiries", err)
	}
	out := map[string]time.Time{}
	for _, kv := range r.Kvs {
		n, err := strconv.ParseInt(string(kv.Value), 10, 64)
		if err != nil {
			return nil, wrap("key expiries", fmt.Errorf("corrupt expiry mark %q", kv.Key))
		}
		out[strings.TrimPrefix(string(kv.Key), p)] = time.Unix(n, 0).UTC()
	}
	return out, nil
}

// PutAPIKey implements issuer.Store.
func (s *Store) PutAPIKey(ctx context.Context, k issuer.APIKeyRecord) error {
	return wrap("put API key", putJSON(ctx, s.cli, s.key("apikey/", k.ID), k))
}

// APIKeys implements issuer.Store.
func (s *Store) APIKeys(ctx context.Context) ([]issuer.APIKeyRecord, error) {
	out, err := listJSON[issuer.APIKeyRecord](ctx, s.cli, s.key("apikey/"))
	return out, wrap("API keys", err)
}

// errNoTenants refuses tenant operations on a tenant's view.
var errNoTenants = errs.Errorf(issuer.CodeConfig, "invalid configuration: a tenant's store holds no tenants")

// Tenant implements issuer.TenantStore: the tenant's view, sharing the client.
func (s *Store) Tenant(ctx context.Context, name string) (issuer.Store, error) {
	if s.tenant != "" {
		return nil, errNoTenants
	}
	if err := issuer.CheckTenantName(name); err != nil {
		return nil, err
	}
	return &Store{conn: s.conn, cli: s.cli, space: s.root("t/", name, "/"), tenant: name}, nil
}

// PutTenant implements issuer.TenantStore.
func (s *Store) PutTenant(ctx context.Context, t issuer.TenantRecord) error {
	if s.tenant != "" {
		return errNoTenants
	}
	return wrap("put tenant", putJSON(ctx, s.cli, s.root("tenant/", t.Name), t))
}

// Tenants implements issuer.TenantStore; a tenant's view has none.
func (s *Store) Tenants(ctx context.Context) ([]issuer.TenantRecord, error) {
	if s.tenant != "" {
		return nil, nil
	}
	out, err := listJSON[issuer.TenantRecord](ctx, s.cli, s.root("tenant/"))
	return out, wrap("tenants", err)
}

// getJSON decodes the value at key into v; false when the key is absent.
func getJSON(ctx context.Context, cli *clientv3.Client, key string, v any) (bool, error) {
	r, err := cli.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("etcd get %q: %w", key, err)
	}
	if len(r.Kvs) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(r.Kvs[0].Value, v); err != nil {
		return true, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

// putJSON stores v as JSON at key.
func putJSON(ctx context.Context, cli *clientv3.Client, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	if _, err := cli.Put(ctx, key, string(b)); err != nil {
		return fmt.Errorf("etcd put %q: %w", key, err)
	}
	return nil
}

// listJSON decodes every value under prefix, in key order.
func listJSON[T any](ctx context.Context, cli *clientv3.Client, prefix string) ([]T, error) {
	r, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("etcd list %q: %w", prefix, err)
	}
	out := make([]T, 0, len(r.Kvs))
	for _, kv := range r.Kvs {
		var v T
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return nil, fmt.Errorf("decode %q: %w", kv.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// errConflict is the internal signal of an optimistic transaction that lost a race.
var errConflict = errors.New("concurrent update")
