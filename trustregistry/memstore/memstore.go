// Package memstore is an in-memory trustregistry.Store: for tests, examples and throw-away registries.
// It keeps every record as encoded JSON, as a remote backend would, so callers never share
// memory with it, and it passes the same storetest suite as the bbolt backend.
package memstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
)

// Store is an in-memory trustregistry.Store.
type Store struct {
	mu        sync.RWMutex
	version   uint64
	objects   map[string][]byte // kind \x00 id
	revisions map[string][][]byte
	audit     [][]byte
	proposals map[string][]byte
	accounts  map[string][]byte
	tokens    map[string]string
	idem      map[string][]byte
	latest    []byte
	rotations [][]byte
	secrets   map[string][]byte
}

var _ trustregistry.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{objects: map[string][]byte{}, revisions: map[string][][]byte{}, proposals: map[string][]byte{},
		accounts: map[string][]byte{}, tokens: map[string]string{}, idem: map[string][]byte{}, secrets: map[string][]byte{}}
}

func key(k trustregistry.Kind, id string) string { return string(k) + "\x00" + id }

func enc(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("memstore: encoding %T: %v", v, err)) // our own types always encode
	}
	return b
}

// Version implements trustregistry.Store.
func (s *Store) Version(ctx context.Context) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version, nil
}

// LoadState implements trustregistry.Store.
func (s *Store) LoadState(ctx context.Context) (*trustregistry.State, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := trustregistry.NewState()
	st.Version = s.version
	for k, v := range s.objects {
		kind, id := splitKey(k)
		if err := st.SetObject(kind, id, v); err != nil {
			return nil, err
		}
	}
	if n := len(s.audit); n > 0 {
		var r trustregistry.AuditRecord
		json.Unmarshal(s.audit[n-1], &r)
		st.UpdatedAt = r.AppliedAt
	}
	return st, nil
}

func splitKey(k string) (trustregistry.Kind, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return trustregistry.Kind(k[:i]), k[i+1:]
		}
	}
	return "", k
}

// StateAt implements trustregistry.Store.
func (s *Store) StateAt(ctx context.Context, v uint64) (*trustregistry.State, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if v > s.version {
		return nil, errs.Errorf(trustregistry.CodeNotFound, "version %d is past the head %d: %w", v, s.version, trustregistry.ErrNotFound)
	}
	var revs []trustregistry.Revision
	for _, rs := range s.revisions {
		for _, b := range rs {
			var r trustregistry.Revision
			if err := json.Unmarshal(b, &r); err != nil {
				return nil, err
			}
			revs = append(revs, r)
		}
	}
	return trustregistry.StateFromRevisions(revs, v)
}

// Apply implements trustregistry.Store.
func (s *Store) Apply(ctx context.Context, c trustregistry.Commit) (trustregistry.AuditRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version != c.BaseVersion {
		return trustregistry.AuditRecord{}, errs.Errorf(trustregistry.CodeConflict, "store at version %d, commit based on %d: %w", s.version, c.BaseVersion, trustregistry.ErrVersionConflict)
	}
	var props []*trustregistry.Proposal
	for _, p := range append([]*trustregistry.Proposal{c.Proposal}, c.Closed...) {
		if p == nil {
			continue
		}
		cur, ok := s.proposals[p.ID]
		switch {
		case p.Rev == 0 && ok:
			return trustregistry.AuditRecord{}, errs.Errorf(trustregistry.CodeAlreadyExists, "proposal %q: %w", p.ID, trustregistry.ErrExists)
		case p.Rev == 0:
		case !ok:
			return trustregistry.AuditRecord{}, errs.Errorf(trustregistry.CodeNotFound, "proposal %q: %w", p.ID, trustregistry.ErrNotFound)
		default:
			var q trustregistry.Proposal
			json.Unmarshal(cur, &q)
			if q.Rev != p.Rev {
				return trustregistry.AuditRecord{}, errs.Errorf(trustregistry.CodeConflict, "proposal %q changed concurrently: %w", p.ID, trustregistry.ErrVersionConflict)
			}
		}
		props = append(props, p)
	}
	for _, w := range c.Accounts {
		if err := s.checkAccountLocked(w.Account, w.Create); err != nil {
			return trustregistry.AuditRecord{}, err
		}
	}
	next := s.version + 1
	rec := c.Audit
	rec.Version, rec.Diff = next, c.Changes
	var prev *trustregistry.AuditRecord
	if n := len(s.audit); n > 0 {
		prev = new(trustregistry.AuditRecord)
		json.Unmarshal(s.audit[n-1], prev)
	}
	if err := trustregistry.Chain(prev, &rec); err != nil {
		return trustregistry.AuditRecord{}, err
	}
	for _, ch := range c.Changes {
		k := key(ch.Kind, ch.ID)
		s.objects[k] = append([]byte(nil), ch.After...)
		s.revisions[k] = append(s.revisions[k], enc(trustregistry.Revision{Kind: ch.Kind, ID: ch.ID, Version: next, RecordedAt: c.RecordedAt, Object: ch.After}))
	}
	s.audit = append(s.audit, enc(rec))
	for _, w := range c.Accounts {
		s.putAccountLocked(w.Account)
	}
	for _, p := range props {
		p.Rev++
		s.proposals[p.ID] = enc(p)
	}
	s.version = next
	return rec, nil
}

// History implements trustregistry.Store.
func (s *Store) History(ctx context.Context, kind trustregistry.Kind, id string) ([]trustregistry.Revision, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rs := s.revisions[key(kind, id)]
	if len(rs) == 0 {
		return nil, errs.Errorf(trustregistry.CodeNotFound, "%s %q: %w", kind, id, trustregistry.ErrNotFound)
	}
	out := make([]trustregistry.Revision, len(rs))
	for i, b := range rs {
		json.Unmarshal(b, &out[i])
	}
	return out, nil
}

// Audit implements trustregistry.Store.
func (s *Store) Audit(ctx context.Context, after uint64, limit int) ([]trustregistry.AuditRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []trustregistry.AuditRecord
	for i := after; i < uint64(len(s.audit)) && (limit <= 0 || len(out) < limit); i++ {
		var r trustregistry.AuditRecord
		if err := json.Unmarshal(s.audit[i], &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// CreateProposal implements trustregistry.Store.
func (s *Store) CreateProposal(ctx context.Context, p *trustregistry.Proposal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.proposals[p.ID]; ok {
		return errs.Errorf(trustregistry.CodeAlreadyExists, "proposal %q: %w", p.ID, trustregistry.ErrExists)
	}
	p.Rev = 1
	s.proposals[p.ID] = enc(p)
	return nil
}

// GetProposal implements trustregistry.Store.
func (s *Store) GetProposal(ctx context.Context, id string) (*trustregistry.Proposal, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.proposals[id]
	if !ok {
		return nil, errs.Errorf(trustregistry.CodeNotFound, "proposal %q: %w", id, trustregistry.ErrNotFound)
	}
	p := new(trustregistry.Proposal)
	return p, json.Unmarshal(b, p)
}

// ListProposals implements trustregistry.Store.
func (s *Store) ListProposals(ctx context.Context, f trustregistry.ProposalFilter) ([]*trustregistry.Proposal, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.proposals))
	for id := range s.proposals {
		if id > f.After {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []*trustregistry.Proposal
	for _, id := range ids {
		if f.Limit > 0 && len(out) >= f.Limit {
			break
		}
		p := new(trustregistry.Proposal)
		json.Unmarshal(s.proposals[id], p)
		if f.Status == "" || p.Status == f.Status {
			out = append(out, p)
		}
	}
	return out, nil
}

// UpdateProposal implements trustregistry.Store.
func (s *Store) UpdateProposal(ctx context.Context, p *trustregistry.Proposal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.proposals[p.ID]
	if !ok {
		return errs.Errorf(trustregistry.CodeNotFound, "proposal %q: %w", p.ID, trustregistry.ErrNotFound)
	}
	var cur trustregistry.Proposal
	json.Unmarshal(b, &cur)
	if cur.Rev != p.Rev {
		return errs.Errorf(trustregistry.CodeConflict, "proposal %q changed concurrently: %w", p.ID, trustregistry.ErrVersionConflict)
	}
	p.Rev++
	s.proposals[p.ID] = enc(p)
	return nil
}

// PutAccount implements trustregistry.Store.
func (s *Store) PutAccount(ctx context.Context, a trustregistry.Account, create bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkAccountLocked(a, create); err != nil {
		return err
	}
	s.putAccountLocked(a)
	return nil
}

// checkAccountLocked reports why a cannot be written (created when create, else replaced).
func (s *Store) checkAccountLocked(a trustregistry.Account, create bool) error {
	_, exists := s.accounts[a.Name]
	if create && exists {
		return errs.Errorf(trustregistry.CodeAlreadyExists, "account %q: %w", a.Name, trustregistry.ErrExists)
	}
	if !create && !exists {
		return errs.Errorf(trustregistry.CodeNotFound, "account %q: %w", a.Name, trustregistry.ErrNotFound)
	}
	if owner, ok := s.tokens[a.TokenHash]; a.TokenHash != "" && ok && owner != a.Name {
		return errs.Errorf(trustregistry.CodeAlreadyExists, "token hash already used by another account: %w", trustregistry.ErrExists)
	}
	return nil
}

// putAccountLocked writes a and its token index.
func (s *Store) putAccountLocked(a trustregistry.Account) {
	if b, exists := s.accounts[a.Name]; exists {
		var old trustregistry.Account
		json.Unmarshal(b, &old)
		delete(s.tokens, old.TokenHash)
	}
	if a.TokenHash != "" {
		s.tokens[a.TokenHash] = a.Name
	}
	s.accounts[a.Name] = enc(a)
}

// GetAccount implements trustregistry.Store.
func (s *Store) GetAccount(ctx context.Context, name string) (trustregistry.Account, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var a trustregistry.Account
	b, ok := s.accounts[name]
	if !ok {
		return a, errs.Errorf(trustregistry.CodeNotFound, "account %q: %w", name, trustregistry.ErrNotFound)
	}
	return a, json.Unmarshal(b, &a)
}

// AccountByTokenHash implements trustregistry.Store.
func (s *Store) AccountByTokenHash(ctx context.Context, h string) (trustregistry.Account, error) {
	s.mu.RLock()
	name, ok := s.tokens[h]
	s.mu.RUnlock()
	if !ok {
		return trustregistry.Account{}, errs.Errorf(trustregistry.CodeNotFound, "token: %w", trustregistry.ErrNotFound)
	}
	return s.GetAccount(ctx, name)
}

// ListAccounts implements trustregistry.Store.
func (s *Store) ListAccounts(ctx context.Context) ([]trustregistry.Account, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]trustregistry.Account, 0, len(s.accounts))
	for _, b := range s.accounts {
		var a trustregistry.Account
		json.Unmarshal(b, &a)
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// PutIdempotency implements trustregistry.Store.
func (s *Store) PutIdempotency(ctx context.Context, r trustregistry.IdempotencyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.idem[r.Key]; ok {
		return errs.Errorf(trustregistry.CodeAlreadyExists, "idempotency key: %w", trustregistry.ErrExists)
	}
	s.idem[r.Key] = enc(r)
	return nil
}

// FinishIdempotency implements trustregistry.Store.
func (s *Store) FinishIdempotency(ctx context.Context, r trustregistry.IdempotencyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.idem[r.Key]
	if !ok {
		return errs.Errorf(trustregistry.CodeNotFound, "idempotency key: %w", trustregistry.ErrNotFound)
	}
	var cur trustregistry.IdempotencyRecord
	json.Unmarshal(b, &cur)
	if cur.Status != 0 {
		return errs.Errorf(trustregistry.CodeConflict, "idempotency key answered already: %w", trustregistry.ErrVersionConflict)
	}
	s.idem[r.Key] = enc(r)
	return nil
}

// DeleteIdempotency implements trustregistry.Store.
func (s *Store) DeleteIdempotency(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.idem, key)
	return nil
}

// GetIdempotency implements trustregistry.Store.
func (s *Store) GetIdempotency(ctx context.Context, k string) (trustregistry.IdempotencyRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var r trustregistry.IdempotencyRecord
	b, ok := s.idem[k]
	if !ok {
		return r, errs.Errorf(trustregistry.CodeNotFound, "idempotency key: %w", trustregistry.ErrNotFound)
	}
	return r, json.Unmarshal(b, &r)
}

// PurgeIdempotency implements trustregistry.Store.
func (s *Store) PurgeIdempotency(ctx context.Context, before time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, b := range s.idem {
		var r trustregistry.IdempotencyRecord
		if json.Unmarshal(b, &r) != nil || r.CreatedAt.Before(before) {
			delete(s.idem, k)
		}
	}
	return nil
}

// PutSnapshot implements trustregistry.Store.
func (s *Store) PutSnapshot(ctx context.Context, r trustregistry.SnapshotRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latest != nil {
		var cur trustregistry.SnapshotRecord
		json.Unmarshal(s.latest, &cur)
		if r.Sequence <= cur.Sequence {
			return errs.Errorf(trustregistry.CodeConflict, "snapshot sequence %d not after %d: %w", r.Sequence, cur.Sequence, trustregistry.ErrVersionConflict)
		}
	}
	s.latest = enc(r)
	if r.Rotation {
		s.rotations = append(s.rotations, s.latest)
	}
	return nil
}

// LatestSnapshot implements trustregistry.Store.
func (s *Store) LatestSnapshot(ctx context.Context) (trustregistry.SnapshotRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var r trustregistry.SnapshotRecord
	if s.latest == nil {
		return r, errs.Errorf(trustregistry.CodeNotFound, "snapshot: %w", trustregistry.ErrNotFound)
	}
	return r, json.Unmarshal(s.latest, &r)
}

// Rotations implements trustregistry.Store.
func (s *Store) Rotations(ctx context.Context) ([]trustregistry.SnapshotRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]trustregistry.SnapshotRecord, len(s.rotations))
	for i, b := range s.rotations {
		json.Unmarshal(b, &out[i])
	}
	return out, nil
}

// PutSecret implements trustregistry.Store.
func (s *Store) PutSecret(ctx context.Context, name string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[name] = append([]byte(nil), b...)
	return nil
}

// GetSecret implements trustregistry.Store.
func (s *Store) GetSecret(ctx context.Context, name string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.secrets[name]
	if !ok {
		return nil, errs.Errorf(trustregistry.CodeNotFound, "secret %q: %w", name, trustregistry.ErrNotFound)
	}
	return append([]byte(nil), b...), nil
}

// Close implements trustregistry.Store.
func (s *Store) Close() error { return nil }
