// Package memstore is an in-memory trust.Store: for tests, examples and throw-away registries.
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

	"github.com/idport/idport/trustregistry/trust"
)

// Store is an in-memory trust.Store.
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

var _ trust.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{objects: map[string][]byte{}, revisions: map[string][][]byte{}, proposals: map[string][]byte{},
		accounts: map[string][]byte{}, tokens: map[string]string{}, idem: map[string][]byte{}, secrets: map[string][]byte{}}
}

func key(k trust.Kind, id string) string { return string(k) + "\x00" + id }

func enc(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("memstore: encoding %T: %v", v, err)) // our own types always encode
	}
	return b
}

// Version implements trust.Store.
func (s *Store) Version(ctx context.Context) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version, nil
}

// LoadState implements trust.Store.
func (s *Store) LoadState(ctx context.Context) (*trust.State, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := trust.NewState()
	st.Version = s.version
	for k, v := range s.objects {
		kind, id := splitKey(k)
		if err := st.SetObject(kind, id, v); err != nil {
			return nil, err
		}
	}
	if n := len(s.audit); n > 0 {
		var r trust.AuditRecord
		json.Unmarshal(s.audit[n-1], &r)
		st.UpdatedAt = r.AppliedAt
	}
	return st, nil
}

func splitKey(k string) (trust.Kind, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return trust.Kind(k[:i]), k[i+1:]
		}
	}
	return "", k
}

// StateAt implements trust.Store.
func (s *Store) StateAt(ctx context.Context, v uint64) (*trust.State, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if v > s.version {
		return nil, fmt.Errorf("version %d is past the head %d: %w", v, s.version, trust.ErrNotFound)
	}
	var revs []trust.Revision
	for _, rs := range s.revisions {
		for _, b := range rs {
			var r trust.Revision
			if err := json.Unmarshal(b, &r); err != nil {
				return nil, err
			}
			revs = append(revs, r)
		}
	}
	return trust.StateFromRevisions(revs, v)
}

// Apply implements trust.Store.
func (s *Store) Apply(ctx context.Context, c trust.Commit) (trust.AuditRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.version != c.BaseVersion {
		return trust.AuditRecord{}, fmt.Errorf("store at version %d, commit based on %d: %w", s.version, c.BaseVersion, trust.ErrVersionConflict)
	}
	var newProposal []byte
	if c.Proposal != nil {
		cur, ok := s.proposals[c.Proposal.ID]
		if !ok {
			return trust.AuditRecord{}, fmt.Errorf("proposal %q: %w", c.Proposal.ID, trust.ErrNotFound)
		}
		var p trust.Proposal
		json.Unmarshal(cur, &p)
		if p.Rev != c.Proposal.Rev {
			return trust.AuditRecord{}, fmt.Errorf("proposal %q changed concurrently: %w", p.ID, trust.ErrVersionConflict)
		}
		c.Proposal.Rev++
		newProposal = enc(c.Proposal)
	}
	next := s.version + 1
	rec := c.Audit
	rec.Version, rec.Diff = next, c.Changes
	var prev *trust.AuditRecord
	if n := len(s.audit); n > 0 {
		prev = new(trust.AuditRecord)
		json.Unmarshal(s.audit[n-1], prev)
	}
	if err := trust.Chain(prev, &rec); err != nil {
		return trust.AuditRecord{}, err
	}
	for _, ch := range c.Changes {
		k := key(ch.Kind, ch.ID)
		s.objects[k] = append([]byte(nil), ch.After...)
		s.revisions[k] = append(s.revisions[k], enc(trust.Revision{Kind: ch.Kind, ID: ch.ID, Version: next, RecordedAt: c.RecordedAt, Object: ch.After}))
	}
	s.audit = append(s.audit, enc(rec))
	if newProposal != nil {
		s.proposals[c.Proposal.ID] = newProposal
	}
	s.version = next
	return rec, nil
}

// History implements trust.Store.
func (s *Store) History(ctx context.Context, kind trust.Kind, id string) ([]trust.Revision, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rs := s.revisions[key(kind, id)]
	if len(rs) == 0 {
		return nil, fmt.Errorf("%s %q: %w", kind, id, trust.ErrNotFound)
	}
	out := make([]trust.Revision, len(rs))
	for i, b := range rs {
		json.Unmarshal(b, &out[i])
	}
	return out, nil
}

// Audit implements trust.Store.
func (s *Store) Audit(ctx context.Context, after uint64, limit int) ([]trust.AuditRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []trust.AuditRecord
	for i := after; i < uint64(len(s.audit)) && (limit <= 0 || len(out) < limit); i++ {
		var r trust.AuditRecord
		if err := json.Unmarshal(s.audit[i], &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// CreateProposal implements trust.Store.
func (s *Store) CreateProposal(ctx context.Context, p *trust.Proposal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.proposals[p.ID]; ok {
		return fmt.Errorf("proposal %q: %w", p.ID, trust.ErrExists)
	}
	p.Rev = 1
	s.proposals[p.ID] = enc(p)
	return nil
}

// GetProposal implements trust.Store.
func (s *Store) GetProposal(ctx context.Context, id string) (*trust.Proposal, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.proposals[id]
	if !ok {
		return nil, fmt.Errorf("proposal %q: %w", id, trust.ErrNotFound)
	}
	p := new(trust.Proposal)
	return p, json.Unmarshal(b, p)
}

// ListProposals implements trust.Store.
func (s *Store) ListProposals(ctx context.Context, f trust.ProposalFilter) ([]*trust.Proposal, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.proposals))
	for id := range s.proposals {
		if id > f.After {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []*trust.Proposal
	for _, id := range ids {
		if f.Limit > 0 && len(out) >= f.Limit {
			break
		}
		p := new(trust.Proposal)
		json.Unmarshal(s.proposals[id], p)
		if f.Status == "" || p.Status == f.Status {
			out = append(out, p)
		}
	}
	return out, nil
}

// UpdateProposal implements trust.Store.
func (s *Store) UpdateProposal(ctx context.Context, p *trust.Proposal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.proposals[p.ID]
	if !ok {
		return fmt.Errorf("proposal %q: %w", p.ID, trust.ErrNotFound)
	}
	var cur trust.Proposal
	json.Unmarshal(b, &cur)
	if cur.Rev != p.Rev {
		return fmt.Errorf("proposal %q changed concurrently: %w", p.ID, trust.ErrVersionConflict)
	}
	p.Rev++
	s.proposals[p.ID] = enc(p)
	return nil
}

// PutAccount implements trust.Store.
func (s *Store) PutAccount(ctx context.Context, a trust.Account, create bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, exists := s.accounts[a.Name]
	if create && exists {
		return fmt.Errorf("account %q: %w", a.Name, trust.ErrExists)
	}
	if !create && !exists {
		return fmt.Errorf("account %q: %w", a.Name, trust.ErrNotFound)
	}
	if owner, ok := s.tokens[a.TokenHash]; a.TokenHash != "" && ok && owner != a.Name {
		return fmt.Errorf("token hash already used by another account: %w", trust.ErrExists)
	}
	if exists {
		var old trust.Account
		json.Unmarshal(b, &old)
		delete(s.tokens, old.TokenHash)
	}
	if a.TokenHash != "" {
		s.tokens[a.TokenHash] = a.Name
	}
	s.accounts[a.Name] = enc(a)
	return nil
}

// GetAccount implements trust.Store.
func (s *Store) GetAccount(ctx context.Context, name string) (trust.Account, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var a trust.Account
	b, ok := s.accounts[name]
	if !ok {
		return a, fmt.Errorf("account %q: %w", name, trust.ErrNotFound)
	}
	return a, json.Unmarshal(b, &a)
}

// AccountByTokenHash implements trust.Store.
func (s *Store) AccountByTokenHash(ctx context.Context, h string) (trust.Account, error) {
	s.mu.RLock()
	name, ok := s.tokens[h]
	s.mu.RUnlock()
	if !ok {
		return trust.Account{}, fmt.Errorf("token: %w", trust.ErrNotFound)
	}
	return s.GetAccount(ctx, name)
}

// ListAccounts implements trust.Store.
func (s *Store) ListAccounts(ctx context.Context) ([]trust.Account, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]trust.Account, 0, len(s.accounts))
	for _, b := range s.accounts {
		var a trust.Account
		json.Unmarshal(b, &a)
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// PutIdempotency implements trust.Store.
func (s *Store) PutIdempotency(ctx context.Context, r trust.IdempotencyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.idem[r.Key]; ok {
		return fmt.Errorf("idempotency key: %w", trust.ErrExists)
	}
	s.idem[r.Key] = enc(r)
	return nil
}

// FinishIdempotency implements trust.Store.
func (s *Store) FinishIdempotency(ctx context.Context, r trust.IdempotencyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.idem[r.Key]
	if !ok {
		return fmt.Errorf("idempotency key: %w", trust.ErrNotFound)
	}
	var cur trust.IdempotencyRecord
	json.Unmarshal(b, &cur)
	if cur.Status != 0 {
		return fmt.Errorf("idempotency key answered already: %w", trust.ErrVersionConflict)
	}
	s.idem[r.Key] = enc(r)
	return nil
}

// DeleteIdempotency implements trust.Store.
func (s *Store) DeleteIdempotency(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.idem, key)
	return nil
}

// GetIdempotency implements trust.Store.
func (s *Store) GetIdempotency(ctx context.Context, k string) (trust.IdempotencyRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var r trust.IdempotencyRecord
	b, ok := s.idem[k]
	if !ok {
		return r, fmt.Errorf("idempotency key: %w", trust.ErrNotFound)
	}
	return r, json.Unmarshal(b, &r)
}

// PurgeIdempotency implements trust.Store.
func (s *Store) PurgeIdempotency(ctx context.Context, before time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, b := range s.idem {
		var r trust.IdempotencyRecord
		if json.Unmarshal(b, &r) != nil || r.CreatedAt.Before(before) {
			delete(s.idem, k)
		}
	}
	return nil
}

// PutSnapshot implements trust.Store.
func (s *Store) PutSnapshot(ctx context.Context, r trust.SnapshotRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latest != nil {
		var cur trust.SnapshotRecord
		json.Unmarshal(s.latest, &cur)
		if r.Sequence <= cur.Sequence {
			return fmt.Errorf("snapshot sequence %d not after %d: %w", r.Sequence, cur.Sequence, trust.ErrVersionConflict)
		}
	}
	s.latest = enc(r)
	if r.Rotation {
		s.rotations = append(s.rotations, s.latest)
	}
	return nil
}

// LatestSnapshot implements trust.Store.
func (s *Store) LatestSnapshot(ctx context.Context) (trust.SnapshotRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var r trust.SnapshotRecord
	if s.latest == nil {
		return r, fmt.Errorf("snapshot: %w", trust.ErrNotFound)
	}
	return r, json.Unmarshal(s.latest, &r)
}

// Rotations implements trust.Store.
func (s *Store) Rotations(ctx context.Context) ([]trust.SnapshotRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]trust.SnapshotRecord, len(s.rotations))
	for i, b := range s.rotations {
		json.Unmarshal(b, &out[i])
	}
	return out, nil
}

// PutSecret implements trust.Store.
func (s *Store) PutSecret(ctx context.Context, name string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[name] = append([]byte(nil), b...)
	return nil
}

// GetSecret implements trust.Store.
func (s *Store) GetSecret(ctx context.Context, name string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.secrets[name]
	if !ok {
		return nil, fmt.Errorf("secret %q: %w", name, trust.ErrNotFound)
	}
	return append([]byte(nil), b...), nil
}

// Close implements trust.Store.
func (s *Store) Close() error { return nil }
