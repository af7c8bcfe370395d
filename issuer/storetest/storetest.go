// Package storetest is the conformance suite every issuer Store backend passes:
// storetest.Run(t, newStore) with a constructor returning a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
)

// Run runs the suite. newStore returns an empty store; reopen, when not nil, closes a store
// and opens the same data again (durability checks).
func Run(t *testing.T, newStore func(t *testing.T) issuer.Store, reopen func(t *testing.T, s issuer.Store) issuer.Store) {
	t.Run("RecordAndRead", func(t *testing.T) { testRecord(t, newStore(t)) })
	t.Run("IndexTaken", func(t *testing.T) { testIndexTaken(t, newStore(t)) })
	t.Run("DuplicateCredential", func(t *testing.T) { testDuplicate(t, newStore(t)) })
	t.Run("States", func(t *testing.T) { testStates(t, newStore(t)) })
	t.Run("KeysAndExpiry", func(t *testing.T) { testKeys(t, newStore(t)) })
	t.Run("APIKeys", func(t *testing.T) { testAPIKeys(t, newStore(t)) })
	t.Run("ConcurrentRecords", func(t *testing.T) { testConcurrent(t, newStore(t)) })
	if reopen != nil {
		t.Run("Durable", func(t *testing.T) { testDurable(t, newStore(t), reopen) })
	}
	if _, ok := newStore(t).(issuer.TenantStore); ok {
		t.Run("TenantIsolation", func(t *testing.T) { testTenantIsolation(t, newStore(t), reopen) })
	}
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func rec(id string, set, idx uint32, kid string, exp time.Time) issuer.IssueRecord {
	return issuer.IssueRecord{ID: id, Type: "BusinessRegistration", Format: "vc+jwt", Status: issuer.StatusRef{Set: set, Index: idx},
		KeyID: kid, Issued: t0, Expires: exp, Client: "idpi_test"}
}

func testRecord(t *testing.T, s issuer.Store) {
	ctx := context.Background()
	r := rec("urn:uuid:1", 1, 42, "k1", t0.Add(time.Hour))
	if err := s.Record(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, r); err != nil {
		t.Fatalf("recording the same record twice: %v", err)
	}
	got, ok, err := s.Credential(ctx, "urn:uuid:1")
	if err != nil || !ok {
		t.Fatalf("Credential: ok=%v err=%v", ok, err)
	}
	if got.ID != r.ID || got.Status != r.Status || got.KeyID != r.KeyID || !got.Issued.Equal(r.Issued) || !got.Expires.Equal(r.Expires) || got.Type != r.Type {
		t.Fatalf("Credential = %+v, want %+v", got, r)
	}
	if _, ok, err := s.Credential(ctx, "urn:uuid:none"); ok || err != nil {
		t.Fatalf("unknown credential: ok=%v err=%v", ok, err)
	}
	var refs []issuer.StatusRef
	if err := s.LoadStatus(ctx, func(r issuer.StatusRef, st issuer.State) error {
		refs = append(refs, r)
		if st != issuer.StateValid {
			return fmt.Errorf("state %v", st)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(refs) != 1 || refs[0] != (issuer.StatusRef{Set: 1, Index: 42}) {
		t.Fatalf("LoadStatus = %v", refs)
	}
}

func testIndexTaken(t *testing.T, s issuer.Store) {
	ctx := context.Background()
	if err := s.Record(ctx, rec("urn:uuid:a", 1, 7, "k", t0)); err != nil {
		t.Fatal(err)
	}
	err := s.Record(ctx, rec("urn:uuid:b", 1, 7, "k", t0))
	if !errors.Is(err, issuer.ErrIndexTaken) {
		t.Fatalf("second credential on the same index: %v, want ErrIndexTaken", err)
	}
	if _, ok, _ := s.Credential(ctx, "urn:uuid:b"); ok {
		t.Fatal("refused record was stored")
	}
	if err := s.Record(ctx, rec("urn:uuid:c", 2, 7, "k", t0)); err != nil {
		t.Fatalf("same index in another set: %v", err)
	}
}

func testDuplicate(t *testing.T, s issuer.Store) {
	ctx := context.Background()
	if err := s.Record(ctx, rec("urn:uuid:d", 1, 1, "k", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, rec("urn:uuid:d", 1, 2, "k", t0)); !errors.Is(err, issuer.ErrDuplicateCredential) {
		t.Fatalf("same id, other index: %v, want ErrDuplicateCredential", err)
	}
}

func testStates(t *testing.T, s issuer.Store) {
	ctx := context.Background()
	for i := uint32(0); i < 3; i++ {
		if err := s.Record(ctx, rec(fmt.Sprintf("urn:uuid:s%d", i), 1, i, "k", t0)); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		idx uint32
		st  issuer.State
	}{{0, issuer.StateRevoked}, {1, issuer.StateSuspended}, {1, issuer.StateValid}, {2, issuer.StateSuspended}}
	for _, st := range steps {
		if err := s.SetState(ctx, issuer.StatusRef{Set: 1, Index: st.idx}, st.st); err != nil {
			t.Fatal(err)
		}
	}
	want := map[uint32]issuer.State{0: issuer.StateRevoked, 1: issuer.StateValid, 2: issuer.StateSuspended}
	got := map[uint32]issuer.State{}
	if err := s.LoadStatus(ctx, func(r issuer.StatusRef, st issuer.State) error { got[r.Index] = st; return nil }); err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("index %d: state %v, want %v", i, got[i], w)
		}
	}
}

func testKeys(t *testing.T, s issuer.Store) {
	ctx := context.Background()
	k1 := issuer.KeyRecord{ID: "k1", Alg: "EdDSA", Sealed: []byte("sealed-1"), Created: t0}
	k2 := issuer.KeyRecord{ID: "k2", Alg: "ES256", Sealed: []byte("sealed-2"), Created: t0.Add(time.Hour)}
	for _, k := range []issuer.KeyRecord{k2, k1} {
		if err := s.PutKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	ret := t0.Add(2 * time.Hour)
	k1.RetiredAt = &ret
	if err := s.PutKey(ctx, k1); err != nil {
		t.Fatal(err)
	}
	ks, err := s.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 2 || ks[0].ID != "k1" || ks[1].ID != "k2" || ks[0].RetiredAt == nil || string(ks[1].Sealed) != "sealed-2" {
		t.Fatalf("Keys = %+v", ks)
	}
	late, early := t0.Add(48*time.Hour), t0.Add(24*time.Hour)
	for i, r := range []issuer.IssueRecord{rec("urn:uuid:e1", 1, 1, "k1", late), rec("urn:uuid:e2", 1, 2, "k1", early),
		rec("urn:uuid:e3", 1, 3, "k2", time.Time{})} {
		if err := s.Record(ctx, r); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	exp, err := s.KeyExpiries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !exp["k1"].Equal(late) {
		t.Errorf("k1 expiry %v, want the latest %v", exp["k1"], late)
	}
	if !exp["k2"].Equal(issuer.MaxTime) {
		t.Errorf("k2 expiry %v, want MaxTime for a credential without expiry", exp["k2"])
	}
}

func testAPIKeys(t *testing.T, s issuer.Store) {
	ctx := context.Background()
	a := issuer.APIKeyRecord{ID: "idpi_a", Hash: []byte{1, 2, 3}, Scopes: []string{"BusinessRegistration"}, Created: t0}
	if err := s.PutAPIKey(ctx, a); err != nil {
		t.Fatal(err)
	}
	ks, err := s.APIKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 1 || ks[0].ID != "idpi_a" || len(ks[0].Hash) != 3 || ks[0].Scopes[0] != "BusinessRegistration" {
		t.Fatalf("APIKeys = %+v", ks)
	}
}

func testConcurrent(t *testing.T, s issuer.Store) {
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Record(ctx, rec(fmt.Sprintf("urn:uuid:c%d", i), 3, uint32(i), "k", t0))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	count := 0
	if err := s.LoadStatus(ctx, func(issuer.StatusRef, issuer.State) error { count++; return nil }); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("%d entries after %d concurrent records", count, n)
	}
}

func testDurable(t *testing.T, s issuer.Store, reopen func(*testing.T, issuer.Store) issuer.Store) {
	ctx := context.Background()
	if err := s.Record(ctx, rec("urn:uuid:x", 5, 9, "k", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetState(ctx, issuer.StatusRef{Set: 5, Index: 9}, issuer.StateRevoked); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAPIKey(ctx, issuer.APIKeyRecord{ID: "idpi_x", Hash: []byte{9}, Scopes: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s)
	if _, ok, err := s.Credential(ctx, "urn:uuid:x"); !ok || err != nil {
		t.Fatalf("after reopen: ok=%v err=%v", ok, err)
	}
	var st issuer.State
	if err := s.LoadStatus(ctx, func(r issuer.StatusRef, x issuer.State) error { st = x; return nil }); err != nil {
		t.Fatal(err)
	}
	if st != issuer.StateRevoked {
		t.Fatalf("state after reopen %v", st)
	}
	if ks, _ := s.APIKeys(ctx); len(ks) != 1 {
		t.Fatalf("API keys after reopen: %d", len(ks))
	}
}

// testTenantIsolation gives the deployment and two tenants the same credential ids, status
// indexes, key ids and API key ids: each view sees only its own records.
func testTenantIsolation(t *testing.T, s issuer.Store, reopen func(*testing.T, issuer.Store) issuer.Store) {
	ctx := context.Background()
	names := []string{"", "alpha", "beta"}
	view := func(s issuer.Store, name string) issuer.Store {
		if name == "" {
			return s
		}
		v, err := s.(issuer.TenantStore).Tenant(ctx, name)
		if err != nil {
			t.Fatalf("Tenant(%s): %v", name, err)
		}
		return v
	}
	for i, name := range names {
		if name != "" {
			if err := s.(issuer.TenantStore).PutTenant(ctx, issuer.TenantRecord{Name: name, Created: t0}); err != nil {
				t.Fatal(err)
			}
		}
		v := view(s, name)
		r := rec("urn:uuid:same", 1, 7, "kid-same", t0.Add(time.Duration(i+1)*time.Hour))
		r.Type, r.Tenant = "T-"+name, name
		if err := v.Record(ctx, r); err != nil {
			t.Fatalf("%q: Record of an id and index other tenants use: %v", name, err)
		}
		if name == "beta" {
			if err := v.SetState(ctx, r.Status, issuer.StateRevoked); err != nil {
				t.Fatal(err)
			}
		}
		if err := v.PutKey(ctx, issuer.KeyRecord{ID: "kid-same", Alg: "EdDSA", Sealed: []byte(name), Created: t0, Tenant: name}); err != nil {
			t.Fatal(err)
		}
		if err := v.PutAPIKey(ctx, issuer.APIKeyRecord{ID: "idpi_same", Hash: []byte(name + "h"), Scopes: []string{"*"}, Created: t0, Tenant: name}); err != nil {
			t.Fatal(err)
		}
	}
	if reopen != nil {
		s = reopen(t, s)
	}
	if ts, err := s.(issuer.TenantStore).Tenants(ctx); err != nil || len(ts) != 2 {
		t.Fatalf("Tenants = %+v, %v; want alpha and beta", ts, err)
	}
	for i, name := range names {
		v := view(s, name)
		got, ok, err := v.Credential(ctx, "urn:uuid:same")
		if err != nil || !ok || got.Type != "T-"+name || got.Tenant != name {
			t.Fatalf("%q: Credential = %+v ok=%v err=%v; want its own record", name, got, ok, err)
		}
		var states []issuer.State
		if err := v.LoadStatus(ctx, func(_ issuer.StatusRef, st issuer.State) error { states = append(states, st); return nil }); err != nil {
			t.Fatal(err)
		}
		want := issuer.StateValid
		if name == "beta" {
			want = issuer.StateRevoked
		}
		if len(states) != 1 || states[0] != want {
			t.Fatalf("%q: status entries %v, want [%v]: a tenant sees only its own entries", name, states, want)
		}
		ks, err := v.Keys(ctx)
		if err != nil || len(ks) != 1 || string(ks[0].Sealed) != name || ks[0].Tenant != name {
			t.Fatalf("%q: Keys = %+v, %v", name, ks, err)
		}
		exp, err := v.KeyExpiries(ctx)
		if err != nil || !exp["kid-same"].Equal(t0.Add(time.Duration(i+1)*time.Hour)) {
			t.Fatalf("%q: KeyExpiries = %v, %v", name, exp, err)
		}
		aks, err := v.APIKeys(ctx)
		if err != nil || len(aks) != 1 || string(aks[0].Hash) != name+"h" || aks[0].Tenant != name {
			t.Fatalf("%q: APIKeys = %+v, %v", name, aks, err)
		}
	}
	if _, ok, _ := view(s, "alpha").Credential(ctx, "urn:uuid:none"); ok {
		t.Fatal("unknown credential found in a tenant")
	}
}
