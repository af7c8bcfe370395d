// Package memstore is an in-memory issuer Store for tests and benchmarks that want the
// engine's cost without a disk. It is not durable.
package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/idport/idport/issuer/internal/core"
)

// Store implements core.Store in memory.
type Store struct {
	mu      sync.Mutex
	creds   map[string]core.IssueRecord
	alloc   map[core.StatusRef]string
	states  map[core.StatusRef]core.State
	keys    map[string]core.KeyRecord
	keyExp  map[string]time.Time
	apiKeys map[string]core.APIKeyRecord
}

// New returns an empty store.
func New() *Store {
	return &Store{creds: map[string]core.IssueRecord{}, alloc: map[core.StatusRef]string{}, states: map[core.StatusRef]core.State{},
		keys: map[string]core.KeyRecord{}, keyExp: map[string]time.Time{}, apiKeys: map[string]core.APIKeyRecord{}}
}

// Record implements core.Store.
func (s *Store) Record(_ context.Context, rec core.IssueRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.alloc[rec.Status]; ok && id != rec.ID {
		return fmt.Errorf("%w: %d/%d", core.ErrIndexTaken, rec.Status.Set, rec.Status.Index)
	}
	if old, ok := s.creds[rec.ID]; ok && old.Status != rec.Status {
		return fmt.Errorf("%w: %q", core.ErrDuplicateCredential, rec.ID)
	}
	s.alloc[rec.Status] = rec.ID
	s.creds[rec.ID] = rec
	exp := rec.Expires
	if exp.IsZero() {
		exp = core.MaxTime
	}
	if exp.After(s.keyExp[rec.KeyID]) {
		s.keyExp[rec.KeyID] = exp.Truncate(time.Second)
	}
	return nil
}

// Credential implements core.Store.
func (s *Store) Credential(_ context.Context, id string) (core.IssueRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.creds[id]
	return r, ok, nil
}

// SetState implements core.Store.
func (s *Store) SetState(_ context.Context, ref core.StatusRef, st core.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states[ref] = st
	return nil
}

// LoadStatus implements core.Store.
func (s *Store) LoadStatus(_ context.Context, fn func(core.StatusRef, core.State) error) error {
	s.mu.Lock()
	refs := make([]core.StatusRef, 0, len(s.alloc))
	for r := range s.alloc {
		refs = append(refs, r)
	}
	states := make([]core.State, len(refs))
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

// PutKey implements core.Store.
func (s *Store) PutKey(_ context.Context, k core.KeyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.ID] = k
	return nil
}

// Keys implements core.Store.
func (s *Store) Keys(context.Context) ([]core.KeyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]core.KeyRecord, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b core.KeyRecord) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// KeyExpiries implements core.Store.
func (s *Store) KeyExpiries(context.Context) (map[string]time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]time.Time, len(s.keyExp))
	for k, v := range s.keyExp {
		out[k] = v
	}
	return out, nil
}

// PutAPIKey implements core.Store.
func (s *Store) PutAPIKey(_ context.Context, k core.APIKeyRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKeys[k.ID] = k
	return nil
}

// APIKeys implements core.Store.
func (s *Store) APIKeys(context.Context) ([]core.APIKeyRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]core.APIKeyRecord, 0, len(s.apiKeys))
	for _, k := range s.apiKeys {
		out = append(out, k)
	}
	return out, nil
}

// Close implements core.Store.
func (s *Store) Close() error { return nil }

var _ core.Store = (*Store)(nil)
