// Package etcdstore is the trust registry's Store on etcd, for deployments that outgrow one
// machine (DESIGN §6). Every registry object, proposal, account and record is one key under a
// prefix, its value JSON. Each write is one etcd transaction whose If clause compares the
// revisions it read (compare-and-swap): a change set is applied in a single Txn together with
// its history revisions, its chained audit record and the version bump, so it lands whole or
// not at all, and two registry processes racing on the same head cannot both win.
//
// Key layout under the prefix P (P ends with "/"):
//
//	P meta/version            current registry version (JSON number)
//	P obj/<kind>/<id>         current object
//	P rev/<version>           the history revisions written by that version (JSON array)
//	P audit/<seq>             audit record
//	P proposal/<id>           proposal
//	P account/<name>          account
//	P token/<sha256>          account name of a token hash (JSON string)
//	P idem/<key>              idempotency record
//	P snapshot/latest         latest snapshot; P rotation/<seq> rotation announcements
//	P secret/<name>           sealed blob (JSON, base64)
//
// Numbers in keys are zero-padded to 20 digits so that key order is numeric order.
//
// The registry service keeps an in-memory index and issues snapshots, so one process writes a
// prefix at a time: Store.Lock takes a lease-backed etcd mutex (P lock/...) that other
// processes wait on as hot standbys, and fences every later write of the store with it, so a
// deposed holder's writes fail with ErrNotLeader instead of interleaving.
//
// etcd limits a transaction to --max-txn-ops operations (default 128): a change set of n
// objects needs n+4, so keep change sets under 124 objects or raise the server limit.
package etcdstore

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrBadPrefix reports an unusable configuration given to Open (key prefix, no client).
var ErrBadPrefix = errors.New("etcdstore: bad key prefix")

// ErrCorrupt reports a key or value under the prefix that the store cannot decode.
var ErrCorrupt = errors.New("etcdstore: corrupt data")

// maxRetries bounds the re-read loops of writes that replace rather than compare (accounts,
// snapshots, idempotency answers) when a concurrent writer touches the same keys.
const maxRetries = 16

// Store implements trustregistry.Store on an etcd cluster.
type Store struct {
	cli    *clientv3.Client
	owned  bool // Close closes cli (Open made it)
	prefix string
	fence  atomic.Pointer[fence] // set while the store writes under a Lock
}

var _ trustregistry.Store = (*Store)(nil)

// Config configures Open.
type Config struct {
	// Client is an etcd client to use; the store does not own it (Close leaves it open). When
	// nil, Open makes one from Endpoints, TLS, Username and Password, and Close closes it.
	Client *clientv3.Client
	// Endpoints are the etcd client URLs (when Client is nil).
	Endpoints []string
	// TLS for the connection to etcd (nil: plain).
	TLS *tls.Config
	// Username and Password for etcd authentication (optional).
	Username, Password string
	// DialTimeout bounds reaching the cluster in Open (default 5s).
	DialTimeout time.Duration
	// Prefix is the key prefix of the registry's state, for example "/idport/registry/"
	// (a trailing "/" is added when missing).
	Prefix string
}

// Open returns a store keeping its keys under cfg.Prefix. It checks that the cluster answers.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Prefix == "" || strings.ContainsRune(cfg.Prefix, 0) {
		return nil, fmt.Errorf("%w: %q", ErrBadPrefix, cfg.Prefix)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	prefix := cfg.Prefix
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	s := &Store{cli: cfg.Client, prefix: prefix}
	if s.cli == nil {
		if len(cfg.Endpoints) == 0 {
			return nil, fmt.Errorf("%w: no client and no endpoints", ErrBadPrefix)
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: cfg.Endpoints, DialTimeout: cfg.DialTimeout, TLS: cfg.TLS,
			Username: cfg.Username, Password: cfg.Password})
		if err != nil {
			return nil, fmt.Errorf("etcdstore: client for %v: %w", cfg.Endpoints, err)
		}
		s.cli, s.owned = cli, true
	}
	octx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	if _, err := s.cli.Get(octx, s.key("meta/version")); err != nil {
		s.Close()
		return nil, fmt.Errorf("etcdstore: reach cluster %v: %w", s.cli.Endpoints(), err)
	}
	return s, nil
}

// Prefix returns the key prefix of the store.
func (s *Store) Prefix() string { return s.prefix }

// Close implements trustregistry.Store: it closes the client when Open made it.
func (s *Store) Close() error {
	if s.owned {
		return s.cli.Close()
	}
	return nil
}

func (s *Store) key(parts ...string) string { return s.prefix + strings.Join(parts, "") }

func pad(n uint64) string { return fmt.Sprintf("%020d", n) }

func (s *Store) versionKey() string { return s.key("meta/version") }
func (s *Store) objKey(k trustregistry.Kind, id string) string {
	return s.key("obj/", string(k), "/", id)
}
func (s *Store) revKey(v uint64) string        { return s.key("rev/", pad(v)) }
func (s *Store) auditKey(seq uint64) string    { return s.key("audit/", pad(seq)) }
func (s *Store) proposalKey(id string) string  { return s.key("proposal/", id) }
func (s *Store) accountKey(name string) string { return s.key("account/", name) }
func (s *Store) tokenKey(h string) string      { return s.key("token/", h) }
func (s *Store) idemKey(k string) string       { return s.key("idem/", k) }
func (s *Store) snapshotKey() string           { return s.key("snapshot/latest") }
func (s *Store) rotationKey(seq uint64) string { return s.key("rotation/", pad(seq)) }
func (s *Store) secretKey(name string) string  { return s.key("secret/", name) }

func decode(key []byte, v []byte, into any) error {
	if err := json.Unmarshal(v, into); err != nil {
		return fmt.Errorf("%w: value of %q: %w", ErrCorrupt, key, err)
	}
	return nil
}

func decodeVersion(r *clientv3.GetResponse) (uint64, error) {
	if len(r.Kvs) == 0 {
		return 0, nil
	}
	v, err := strconv.ParseUint(string(r.Kvs[0].Value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: registry version %q: %w", ErrCorrupt, r.Kvs[0].Value, err)
	}
	return v, nil
}

// get reads one key; ok is false when absent, modRev is 0 then.
func (s *Store) get(ctx context.Context, key string, into any) (ok bool, modRev int64, err error) {
	r, err := s.cli.Get(ctx, key)
	if err != nil {
		return false, 0, fmt.Errorf("etcd get %q: %w", key, err)
	}
	if len(r.Kvs) == 0 {
		return false, 0, nil
	}
	kv := r.Kvs[0]
	if into != nil {
		if err := decode(kv.Key, kv.Value, into); err != nil {
			return false, 0, err
		}
	}
	return true, kv.ModRevision, nil
}

func (s *Store) put(key string, v any) (clientv3.Op, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return clientv3.Op{}, fmt.Errorf("encode %q: %w", key, err)
	}
	return clientv3.OpPut(key, string(b)), nil
}

// unchanged is the compare that holds when key still has the mod revision read before (0: absent).
func unchanged(key string, modRev int64) clientv3.Cmp {
	return clientv3.Compare(clientv3.ModRevision(key), "=", modRev)
}

func prefixEnd(p string) string { return clientv3.GetPrefixRangeEnd(p) }

// Version implements trustregistry.Store.
func (s *Store) Version(ctx context.Context) (uint64, error) {
	r, err := s.cli.Get(ctx, s.versionKey())
	if err != nil {
		return 0, fmt.Errorf("etcd registry version: %w", err)
	}
	return decodeVersion(r)
}

// LoadState implements trustregistry.Store: version, objects and the last audit record are read in one
// transaction, so at one etcd revision.
func (s *Store) LoadState(ctx context.Context) (*trustregistry.State, error) {
	objPrefix := s.key("obj/")
	r, err := s.cli.Txn(ctx).Then(
		clientv3.OpGet(s.versionKey()),
		clientv3.OpGet(objPrefix, clientv3.WithPrefix()),
		clientv3.OpGet(s.key("audit/"), clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(1)),
	).Commit()
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	st := trustregistry.NewState()
	if st.Version, err = decodeVersion((*clientv3.GetResponse)(r.Responses[0].GetResponseRange())); err != nil {
		return nil, err
	}
	for _, kv := range r.Responses[1].GetResponseRange().Kvs {
		kind, id, ok := strings.Cut(strings.TrimPrefix(string(kv.Key), objPrefix), "/")
		if !ok {
			return nil, fmt.Errorf("%w: object key %q", ErrCorrupt, kv.Key)
		}
		if err := st.SetObject(trustregistry.Kind(kind), id, kv.Value); err != nil {
			return nil, fmt.Errorf("load state: %w", err)
		}
	}
	if last := r.Responses[2].GetResponseRange().Kvs; st.Version > 0 && len(last) == 1 {
		var rec trustregistry.AuditRecord
		if err := decode(last[0].Key, last[0].Value, &rec); err != nil {
			return nil, err
		}
		st.UpdatedAt = rec.AppliedAt
	}
	return st, nil
}

// revisions reads the history revisions of versions 1..v (all when v is 0) at one revision,
// with the head version.
func (s *Store) revisions(ctx context.Context, upTo uint64) ([]trustregistry.Revision, uint64, error) {
	end := prefixEnd(s.key("rev/"))
	if upTo > 0 {
		end = s.revKey(upTo + 1)
	}
	r, err := s.cli.Txn(ctx).Then(
		clientv3.OpGet(s.versionKey()),
		clientv3.OpGet(s.revKey(1), clientv3.WithRange(end)),
	).Commit()
	if err != nil {
		return nil, 0, fmt.Errorf("etcd read history: %w", err)
	}
	head, err := decodeVersion((*clientv3.GetResponse)(r.Responses[0].GetResponseRange()))
	if err != nil {
		return nil, 0, err
	}
	var out []trustregistry.Revision
	for _, kv := range r.Responses[1].GetResponseRange().Kvs {
		var batch []trustregistry.Revision
		if err := decode(kv.Key, kv.Value, &batch); err != nil {
			return nil, 0, err
		}
		out = append(out, batch...)
	}
	return out, head, nil
}

// StateAt implements trustregistry.Store.
func (s *Store) StateAt(ctx context.Context, v uint64) (*trustregistry.State, error) {
	if v == 0 {
		return trustregistry.StateFromRevisions(nil, 0)
	}
	revs, head, err := s.revisions(ctx, v)
	if err != nil {
		return nil, err
	}
	if v > head {
		return nil, errs.Errorf(trustregistry.CodeNotFound, "version %d is past the head %d: %w", v, head, trustregistry.ErrNotFound)
	}
	return trustregistry.StateFromRevisions(revs, v)
}

// Apply implements trustregistry.Store: objects, the version's revisions, the audit record, the version
// and the proposal go in one etcd transaction, guarded by the mod revisions of the version key,
// the last audit record and the proposal as read.
func (s *Store) Apply(ctx context.Context, c trustregistry.Commit) (trustregistry.AuditRecord, error) {
	rec, err := s.apply(ctx, c)
	if err != nil {
		return trustregistry.AuditRecord{}, fmt.Errorf("apply change set: %w", err)
	}
	return rec, nil
}

func (s *Store) apply(ctx context.Context, c trustregistry.Commit) (trustregistry.AuditRecord, error) {
	r, err := s.cli.Txn(ctx).Then(
		clientv3.OpGet(s.versionKey()),
		clientv3.OpGet(s.key("audit/"), clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(1)),
	).Commit()
	if err != nil {
		return trustregistry.AuditRecord{}, fmt.Errorf("etcd read head: %w", err)
	}
	vr := (*clientv3.GetResponse)(r.Responses[0].GetResponseRange())
	head, err := decodeVersion(vr)
	if err != nil {
		return trustregistry.AuditRecord{}, err
	}
	if head != c.BaseVersion {
		return trustregistry.AuditRecord{}, errs.Errorf(trustregistry.CodeConflict, "store at version %d, commit based on %d: %w", head, c.BaseVersion, trustregistry.ErrVersionConflict)
	}
	var verRev int64
	if len(vr.Kvs) == 1 {
		verRev = vr.Kvs[0].ModRevision
	}
	next := head + 1
	rec := c.Audit
	var prev *trustregistry.AuditRecord
	if last := r.Responses[1].GetResponseRange().Kvs; len(last) == 1 {
		prev = new(trustregistry.AuditRecord)
		if err := decode(last[0].Key, last[0].Value, prev); err != nil {
			return trustregistry.AuditRecord{}, fmt.Errorf("last audit record: %w: %w", trustregistry.ErrAuditBroken, err)
		}
	}
	rec.Version = next
	rec.Diff = c.Changes
	if err := trustregistry.Chain(prev, &rec); err != nil {
		return trustregistry.AuditRecord{}, err
	}
	auditKey := s.auditKey(rec.Seq)
	conds := []clientv3.Cmp{unchanged(s.versionKey(), verRev), unchanged(auditKey, 0)}
	ops := make([]clientv3.Op, 0, len(c.Changes)+4)
	revs := make([]trustregistry.Revision, 0, len(c.Changes))
	for _, ch := range c.Changes {
		ops = append(ops, clientv3.OpPut(s.objKey(ch.Kind, ch.ID), string(ch.After)))
		revs = append(revs, trustregistry.Revision{Kind: ch.Kind, ID: ch.ID, Version: next, RecordedAt: c.RecordedAt, Object: ch.After})
	}
	for _, kv := range []struct {
		key string
		v   any
	}{{s.revKey(next), revs}, {auditKey, rec}, {s.versionKey(), next}} {
		op, err := s.put(kv.key, kv.v)
		if err != nil {
			return trustregistry.AuditRecord{}, err
		}
		ops = append(ops, op)
	}
	props := append([]*trustregistry.Proposal{c.Proposal}, c.Closed...)
	for _, p := range props {
		if p == nil {
			continue
		}
		var cur trustregistry.Proposal
		ok, modRev, err := s.get(ctx, s.proposalKey(p.ID), &cur)
		if err != nil {
			return trustregistry.AuditRecord{}, err
		}
		if p.Rev == 0 && ok {
			return trustregistry.AuditRecord{}, errs.Errorf(trustregistry.CodeAlreadyExists, "proposal %q: %w", p.ID, trustregistry.ErrExists)
		}
		if !ok && p.Rev != 0 {
			return trustregistry.AuditRecord{}, errs.Errorf(trustregistry.CodeNotFound, "proposal %q: %w", p.ID, trustregistry.ErrNotFound)
		}
		if ok && cur.Rev != p.Rev {
			return trustregistry.AuditRecord{}, errs.Errorf(trustregistry.CodeConflict, "proposal %q changed concurrently (rev %d, expected %d): %w", p.ID, cur.Rev, p.Rev, trustregistry.ErrVersionConflict)
		}
		stored := *p
		stored.Rev++
		op, err := s.put(s.proposalKey(p.ID), &stored)
		if err != nil {
			return trustregistry.AuditRecord{}, err
		}
		conds = append(conds, unchanged(s.proposalKey(p.ID), modRev))
		ops = append(ops, op)
	}
	for _, w := range c.Accounts {
		ac, ao, err := s.accountOps(ctx, w.Account, w.Create)
		if err != nil {
			return trustregistry.AuditRecord{}, err
		}
		conds, ops = append(conds, ac...), append(ops, ao...)
	}
	ok, err := s.write(ctx, conds, ops...)
	if err != nil {
		return trustregistry.AuditRecord{}, fmt.Errorf("etcd txn (%d ops): %w", len(ops), err)
	}
	if !ok {
		return trustregistry.AuditRecord{}, errs.Errorf(trustregistry.CodeConflict, "registry head or proposal changed during the commit on version %d: %w", c.BaseVersion, trustregistry.ErrVersionConflict)
	}
	for _, p := range props {
		if p != nil {
			p.Rev++
		}
	}
	return rec, nil
}

// History implements trustregistry.Store.
func (s *Store) History(ctx context.Context, kind trustregistry.Kind, id string) ([]trustregistry.Revision, error) {
	all, _, err := s.revisions(ctx, 0)
	if err != nil {
		return nil, err
	}
	var out []trustregistry.Revision
	for _, r := range all {
		if r.Kind == kind && r.ID == id {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, errs.Errorf(trustregistry.CodeNotFound, "%s %q: %w", kind, id, trustregistry.ErrNotFound)
	}
	return out, nil
}

// Audit implements trustregistry.Store.
func (s *Store) Audit(ctx context.Context, after uint64, limit int) ([]trustregistry.AuditRecord, error) {
	opts := []clientv3.OpOption{clientv3.WithRange(prefixEnd(s.key("audit/")))}
	if limit > 0 {
		opts = append(opts, clientv3.WithLimit(int64(limit)))
	}
	r, err := s.cli.Get(ctx, s.auditKey(after+1), opts...)
	if err != nil {
		return nil, fmt.Errorf("etcd read audit: %w", err)
	}
	out := make([]trustregistry.AuditRecord, 0, len(r.Kvs))
	for _, kv := range r.Kvs {
		var rec trustregistry.AuditRecord
		if err := json.Unmarshal(kv.Value, &rec); err != nil {
			return nil, fmt.Errorf("audit record at key %q: %w: %w", kv.Key, trustregistry.ErrAuditBroken, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// CreateProposal implements trustregistry.Store.
func (s *Store) CreateProposal(ctx context.Context, p *trustregistry.Proposal) error {
	stored := *p
	stored.Rev = 1
	k := s.proposalKey(p.ID)
	op, err := s.put(k, &stored)
	if err != nil {
		return err
	}
	ok, err := s.write(ctx, []clientv3.Cmp{unchanged(k, 0)}, op)
	if err != nil {
		return fmt.Errorf("etcd create proposal %q: %w", p.ID, err)
	}
	if !ok {
		return errs.Errorf(trustregistry.CodeAlreadyExists, "proposal %q: %w", p.ID, trustregistry.ErrExists)
	}
	p.Rev = 1
	return nil
}

// GetProposal implements trustregistry.Store.
func (s *Store) GetProposal(ctx context.Context, id string) (*trustregistry.Proposal, error) {
	p := new(trustregistry.Proposal)
	ok, _, err := s.get(ctx, s.proposalKey(id), p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Errorf(trustregistry.CodeNotFound, "proposal %q: %w", id, trustregistry.ErrNotFound)
	}
	return p, nil
}

// ListProposals implements trustregistry.Store.
func (s *Store) ListProposals(ctx context.Context, f trustregistry.ProposalFilter) ([]*trustregistry.Proposal, error) {
	pfx := s.key("proposal/")
	from := pfx
	if f.After != "" {
		from = pfx + f.After + "\x00" // the first key after the cursor
	}
	r, err := s.cli.Get(ctx, from, clientv3.WithRange(prefixEnd(pfx)))
	if err != nil {
		return nil, fmt.Errorf("etcd list proposals: %w", err)
	}
	var out []*trustregistry.Proposal
	for _, kv := range r.Kvs {
		if f.Limit > 0 && len(out) >= f.Limit {
			break
		}
		p := new(trustregistry.Proposal)
		if err := decode(kv.Key, kv.Value, p); err != nil {
			return nil, err
		}
		if f.Status == "" || p.Status == f.Status {
			out = append(out, p)
		}
	}
	return out, nil
}

// UpdateProposal implements trustregistry.Store.
func (s *Store) UpdateProposal(ctx context.Context, p *trustregistry.Proposal) error {
	k := s.proposalKey(p.ID)
	var cur trustregistry.Proposal
	ok, modRev, err := s.get(ctx, k, &cur)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Errorf(trustregistry.CodeNotFound, "proposal %q: %w", p.ID, trustregistry.ErrNotFound)
	}
	if cur.Rev != p.Rev {
		return errs.Errorf(trustregistry.CodeConflict, "proposal %q changed concurrently (rev %d, expected %d): %w", p.ID, cur.Rev, p.Rev, trustregistry.ErrVersionConflict)
	}
	stored := *p
	stored.Rev++
	op, err := s.put(k, &stored)
	if err != nil {
		return err
	}
	ok, err = s.write(ctx, []clientv3.Cmp{unchanged(k, modRev)}, op)
	if err != nil {
		return fmt.Errorf("etcd update proposal %q: %w", p.ID, err)
	}
	if !ok {
		return errs.Errorf(trustregistry.CodeConflict, "proposal %q changed concurrently: %w", p.ID, trustregistry.ErrVersionConflict)
	}
	p.Rev++
	return nil
}

// retry runs one read-compare-write attempt until it commits, fails, or maxRetries is reached.
// attempt returns done=false when its transaction lost a race and must re-read.
func retry(ctx context.Context, what string, attempt func() (done bool, err error)) error {
	for range maxRetries {
		done, err := attempt()
		if err != nil || done {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return errs.Errorf(trustregistry.CodeConflict, "%s: still contended after %d attempts: %w", what, maxRetries, trustregistry.ErrVersionConflict)
}

// PutAccount implements trustregistry.Store. The account and its token index change in one Txn.
func (s *Store) PutAccount(ctx context.Context, a trustregistry.Account, create bool) error {
	return retry(ctx, "put account", func() (bool, error) {
		conds, ops, err := s.accountOps(ctx, a, create)
		if err != nil {
			return false, err
		}
		ok, err := s.write(ctx, conds, ops...)
		if err != nil {
			return false, fmt.Errorf("etcd put account %q: %w", a.Name, err)
		}
		return ok, nil
	})
}

// accountOps returns the conditions and operations of a transaction writing a and its token
// index (created when create, else replaced).
func (s *Store) accountOps(ctx context.Context, a trustregistry.Account, create bool) ([]clientv3.Cmp, []clientv3.Op, error) {
	ak := s.accountKey(a.Name)
	var old trustregistry.Account
	exists, accRev, err := s.get(ctx, ak, &old)
	if err != nil {
		return nil, nil, err
	}
	if create && exists {
		return nil, nil, errs.Errorf(trustregistry.CodeAlreadyExists, "account %q: %w", a.Name, trustregistry.ErrExists)
	}
	if !create && !exists {
		return nil, nil, errs.Errorf(trustregistry.CodeNotFound, "account %q: %w", a.Name, trustregistry.ErrNotFound)
	}
	conds := []clientv3.Cmp{unchanged(ak, accRev)}
	var ops []clientv3.Op
	if exists && old.TokenHash != "" && old.TokenHash != a.TokenHash {
		ops = append(ops, clientv3.OpDelete(s.tokenKey(old.TokenHash)))
	}
	if a.TokenHash != "" {
		tk := s.tokenKey(a.TokenHash)
		var owner string
		used, tokRev, err := s.get(ctx, tk, &owner)
		if err != nil {
			return nil, nil, err
		}
		if used && owner != a.Name {
			return nil, nil, errs.Errorf(trustregistry.CodeAlreadyExists, "token hash already used by another account: %w", trustregistry.ErrExists)
		}
		op, err := s.put(tk, a.Name)
		if err != nil {
			return nil, nil, err
		}
		conds = append(conds, unchanged(tk, tokRev))
		ops = append(ops, op)
	}
	op, err := s.put(ak, a)
	if err != nil {
		return nil, nil, err
	}
	return conds, append(ops, op), nil
}

// GetAccount implements trustregistry.Store.
func (s *Store) GetAccount(ctx context.Context, name string) (trustregistry.Account, error) {
	var a trustregistry.Account
	ok, _, err := s.get(ctx, s.accountKey(name), &a)
	if err == nil && !ok {
		err = errs.Errorf(trustregistry.CodeNotFound, "account %q: %w", name, trustregistry.ErrNotFound)
	}
	return a, err
}

// AccountByTokenHash implements trustregistry.Store.
func (s *Store) AccountByTokenHash(ctx context.Context, h string) (trustregistry.Account, error) {
	var name string
	ok, _, err := s.get(ctx, s.tokenKey(h), &name)
	if err != nil {
		return trustregistry.Account{}, err
	}
	if !ok {
		return trustregistry.Account{}, errs.Errorf(trustregistry.CodeNotFound, "token: %w", trustregistry.ErrNotFound)
	}
	a, err := s.GetAccount(ctx, name)
	if errors.Is(err, trustregistry.ErrNotFound) {
		return trustregistry.Account{}, errs.Errorf(trustregistry.CodeNotFound, "token: %w", trustregistry.ErrNotFound)
	}
	if err == nil && a.TokenHash != h { // the index moved on between the two reads
		return trustregistry.Account{}, errs.Errorf(trustregistry.CodeNotFound, "token: %w", trustregistry.ErrNotFound)
	}
	return a, err
}

// ListAccounts implements trustregistry.Store.
func (s *Store) ListAccounts(ctx context.Context) ([]trustregistry.Account, error) {
	r, err := s.cli.Get(ctx, s.key("account/"), clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("etcd list accounts: %w", err)
	}
	var out []trustregistry.Account
	for _, kv := range r.Kvs {
		var a trustregistry.Account
		if err := decode(kv.Key, kv.Value, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// PutIdempotency implements trustregistry.Store.
func (s *Store) PutIdempotency(ctx context.Context, rec trustregistry.IdempotencyRecord) error {
	k := s.idemKey(rec.Key)
	op, err := s.put(k, rec)
	if err != nil {
		return err
	}
	ok, err := s.write(ctx, []clientv3.Cmp{unchanged(k, 0)}, op)
	if err != nil {
		return fmt.Errorf("etcd put idempotency key: %w", err)
	}
	if !ok {
		return errs.Errorf(trustregistry.CodeAlreadyExists, "idempotency key: %w", trustregistry.ErrExists)
	}
	return nil
}

// GetIdempotency implements trustregistry.Store.
func (s *Store) GetIdempotency(ctx context.Context, key string) (trustregistry.IdempotencyRecord, error) {
	var rec trustregistry.IdempotencyRecord
	ok, _, err := s.get(ctx, s.idemKey(key), &rec)
	if err == nil && !ok {
		err = errs.Errorf(trustregistry.CodeNotFound, "idempotency key: %w", trustregistry.ErrNotFound)
	}
	return rec, err
}

// FinishIdempotency implements trustregistry.Store.
func (s *Store) FinishIdempotency(ctx context.Context, rec trustregistry.IdempotencyRecord) error {
	k := s.idemKey(rec.Key)
	return retry(ctx, "finish idempotency key", func() (bool, error) {
		var cur trustregistry.IdempotencyRecord
		ok, modRev, err := s.get(ctx, k, &cur)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, errs.Errorf(trustregistry.CodeNotFound, "idempotency key: %w", trustregistry.ErrNotFound)
		}
		if cur.Status != 0 {
			return false, errs.Errorf(trustregistry.CodeConflict, "idempotency key answered already: %w", trustregistry.ErrVersionConflict)
		}
		op, err := s.put(k, rec)
		if err != nil {
			return false, err
		}
		ok, err = s.write(ctx, []clientv3.Cmp{unchanged(k, modRev)}, op)
		if err != nil {
			return false, fmt.Errorf("etcd finish idempotency key: %w", err)
		}
		return ok, nil
	})
}

// DeleteIdempotency implements trustregistry.Store.
func (s *Store) DeleteIdempotency(ctx context.Context, key string) error {
	if _, err := s.write(ctx, nil, clientv3.OpDelete(s.idemKey(key))); err != nil {
		return fmt.Errorf("etcd delete idempotency key: %w", err)
	}
	return nil
}

// PurgeIdempotency implements trustregistry.Store. Each expired record is deleted only if unchanged
// since it was read.
func (s *Store) PurgeIdempotency(ctx context.Context, before time.Time) error {
	r, err := s.cli.Get(ctx, s.key("idem/"), clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("etcd list idempotency keys: %w", err)
	}
	for _, kv := range r.Kvs {
		var rec trustregistry.IdempotencyRecord
		if json.Unmarshal(kv.Value, &rec) == nil && !rec.CreatedAt.Before(before) {
			continue
		}
		k := string(kv.Key)
		if _, err := s.write(ctx, []clientv3.Cmp{unchanged(k, kv.ModRevision)}, clientv3.OpDelete(k)); err != nil {
			return fmt.Errorf("etcd purge idempotency key: %w", err)
		}
	}
	return nil
}

// PutSnapshot implements trustregistry.Store.
func (s *Store) PutSnapshot(ctx context.Context, rec trustregistry.SnapshotRecord) error {
	k := s.snapshotKey()
	return retry(ctx, "put snapshot", func() (bool, error) {
		var cur trustregistry.SnapshotRecord
		ok, modRev, err := s.get(ctx, k, &cur)
		if err != nil {
			return false, err
		}
		if ok && rec.Sequence <= cur.Sequence {
			return false, errs.Errorf(trustregistry.CodeConflict, "snapshot sequence %d not after %d: %w", rec.Sequence, cur.Sequence, trustregistry.ErrVersionConflict)
		}
		op, err := s.put(k, rec)
		if err != nil {
			return false, err
		}
		ops := []clientv3.Op{op}
		if rec.Rotation {
			rop, err := s.put(s.rotationKey(rec.Sequence), rec)
			if err != nil {
				return false, err
			}
			ops = append(ops, rop)
		}
		ok, err = s.write(ctx, []clientv3.Cmp{unchanged(k, modRev)}, ops...)
		if err != nil {
			return false, fmt.Errorf("etcd put snapshot: %w", err)
		}
		return ok, nil
	})
}

// LatestSnapshot implements trustregistry.Store.
func (s *Store) LatestSnapshot(ctx context.Context) (trustregistry.SnapshotRecord, error) {
	var rec trustregistry.SnapshotRecord
	ok, _, err := s.get(ctx, s.snapshotKey(), &rec)
	if err == nil && !ok {
		err = errs.Errorf(trustregistry.CodeNotFound, "snapshot: %w", trustregistry.ErrNotFound)
	}
	return rec, err
}

// Rotations implements trustregistry.Store.
func (s *Store) Rotations(ctx context.Context) ([]trustregistry.SnapshotRecord, error) {
	r, err := s.cli.Get(ctx, s.key("rotation/"), clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("etcd list rotations: %w", err)
	}
	var out []trustregistry.SnapshotRecord
	for _, kv := range r.Kvs {
		var rec trustregistry.SnapshotRecord
		if err := decode(kv.Key, kv.Value, &rec); err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// PutSecret implements trustregistry.Store.
func (s *Store) PutSecret(ctx context.Context, name string, b []byte) error {
	op, err := s.put(s.secretKey(name), b)
	if err != nil {
		return err
	}
	if _, err := s.write(ctx, nil, op); err != nil {
		return fmt.Errorf("etcd put secret %q: %w", name, err)
	}
	return nil
}

// GetSecret implements trustregistry.Store.
func (s *Store) GetSecret(ctx context.Context, name string) ([]byte, error) {
	var b []byte
	ok, _, err := s.get(ctx, s.secretKey(name), &b)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Errorf(trustregistry.CodeNotFound, "secret %q: %w", name, trustregistry.ErrNotFound)
	}
	return b, nil
}
