// Package memstore is an in-memory issuer Store for tests and benchmarks that want the
// engine's cost without a disk. It is not durable.
package memstore

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/errs"
)

// Store implements issuer.Store in memory.
type Store struct {
	mu      sync.Mutex
	creds   map[string]issuer.IssueRecord
	alloc   map[issuer.StatusRef]string
	states  map[issuer.StatusRef]issuer.State
	keys    map[string]issuer.KeyRecord
	keyExp  map[string]time.Time
	apiKeys map[string]issuer.APIKeyRecord
	// tenants are the tenants' own stores and records (deployment store only).
	tenants    map[string]*Store
	tenantRecs map[string]issuer.TenantRecord
}

var _ issuer.TenantStore = (*Store)(nil)

// Tenant implements issuer.TenantStore: each tenant has a Store of its own.
func (s *Store) Tenant(_ context.Context, name string) (issuer.Store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenants == nil {
		s.tenants = map[string]*Store{}
	}
	t := s.tenants[name]
	if t == nil {
		t = New()
		s.tenants[name] = t
	}
	return t, nil
}

// PutTenant implements issuer.TenantStore.
func (s *Store) PutTenant(_ context.Context, t issuer.TenantRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenantRecs == nil {
		s.tenantRecs = map[string]issuer.TenantRecord{}
	}
	s.tenantRecs[t.Name] = t
	return nil
}

// Tenants implements issuer.TenantStore.
func (s *Store) Tenants(context.Context) ([]issuer.TenantRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]issuer.TenantRecord, 0, len(s.tenantRecs))
	for _, t := range s.tenantRecs {
		out = append(out, t)
	}
	return out, nil
}

// New returns an empty store.
func New() *Store {
	return &Store{creds: map[string]issuer.IssueRecord{}, alloc: map[issuer.StatusRef]string{}, states: map[issuer.StatusRef]issuer.State{},
		keys: map[string]issuer.KeyRecord{}, keyExp: map[string]time.Time{}, apiKeys: map[string]issuer.APIKeyRecord{}}
}

// Record implements issuer.Store.
func (s *Store) Record(_ context.Context, rec issuer.IssueRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.alloc[rec.Status]; ok && id != rec.ID {
		return errs.Errorf(issuer.CodeIndexTaken, "status index already taken: %d/%d", rec.Status.Set, rec.Status.Index)
	}
	if old, ok := s.creds[rec.ID]; ok && old.Status != rec.Status {
		return errs.Errorf(issuer.CodeDuplicateCredential, "duplicate credential id: %q", rec.ID)
	}
	s.alloc[rec.Status] = rec.ID
	s.creds[rec.ID] = rec
	exp := rec.Expires
	if exp.IsZero() {
		exp = issuer.MaxTime
	}
	if exp.After(s.keyExp[rec.KeyID]) {
		s.keyExp[rec.KeyID] = exp.Truncate(time.Second)
	}
	return nil
}

// Credential implements issuer.Store.
func (s *Store) Credential(_ context.Context, id string) (issuer.IssueRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.creds[id]
	return r, ok, nil
}

// SetState implements issuer.Store.
func (s *Store) SetState(_ context.Context, ref issuer.StatusRef, st issuer.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states[ref] = st
	return nil
}

// LoadStatus implements issuer.Store.
func (s *Store) LoadStatus(_ context.Context, fn func(issuer.StatusRef, issuer.State) error) error {
	s.mu.Lock()
	refs := make([]issuer.StatusRef, 0, len(s.alloc))
	for r := range s.alloc {
		refs = append(refs, r)
	}
	states := make([]issuer.State, len(refs))
	for i, r := range refs {
		states[i] = s.states[r]
	}
	s.mu.Unlock()
	for i, r := range refs {
		if err := fn(r, states[i]); err != nil {
			return err
		}
	}
	return nil
}

// PutKey implements issuer.Store.
func (s *Store) PutKey(_ context.Context, k issuer.KeyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.ID] = k
	return nil
}

// Keys implements issuer.Store.
func (s *Store) Keys(context.Context) ([]issuer.KeyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]issuer.KeyRecord, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b issuer.KeyRecord) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// KeyExpiries implements issuer.Store.
func (s *Store) KeyExpiries(context.Context) (map[string]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]time.Time, len(s.keyExp))
	for k, v := range s.keyExp {
		out[k] = v
	}
	return out, nil
}

// PutAPIKey implements issuer.Store.
func (s *Store) PutAPIKey(_ context.Context, k issuer.APIKeyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKeys[k.ID] = k
	return nil
}

// APIKeys implements issuer.Store.
func (s *Store) APIKeys(context.Context) ([]issuer.APIKeyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]issuer.APIKeyRecord, 0, len(s.apiKeys))
	for _, k := range s.apiKeys {
		out = append(out, k)
	}
	return out, nil
}

// Close implements issuer.Store.
func (s *Store) Close() error { return nil }

var _ issuer.Store = (*Store)(nil)
