package issuer_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/internal/memstore"
)

// staleStore is a Store whose next armed read (API keys, keys or status entries) pauses after
// it took its snapshot, until the test has changed the issuer: the reload then applies a read
// older than that change, as a replica's periodic Refresh does when it races an operator.
type staleStore struct {
	issuer.Store
	mu     sync.Mutex
	armed  string
	read   chan struct{} // closed once the armed read holds its snapshot
	resume chan struct{} // closed by the test after its change
}

func (s *staleStore) hold(what string) {
	s.mu.Lock()
	if s.armed != what {
		s.mu.Unlock()
		return
	}
	s.armed = ""
	read, resume := s.read, s.resume
	s.mu.Unlock()
	close(read)
	<-resume
}

func (s *staleStore) APIKeys(ctx context.Context) ([]issuer.APIKeyRecord, error) {
	recs, err := s.Store.APIKeys(ctx)
	s.hold("apikeys")
	return recs, err
}

func (s *staleStore) Keys(ctx context.Context) ([]issuer.KeyRecord, error) {
	recs, err := s.Store.Keys(ctx)
	s.hold("keys")
	return recs, err
}

func (s *staleStore) LoadStatus(ctx context.Context, fn func(issuer.StatusRef, issuer.State) error) error {
	type entry struct {
		ref issuer.StatusRef
		st  issuer.State
	}
	var read []entry
	if err := s.Store.LoadStatus(ctx, func(ref issuer.StatusRef, st issuer.State) error {
		read = append(read, entry{ref, st})
		return nil
	}); err != nil {
		return err
	}
	s.hold("status")
	for _, e := range read {
		if err := fn(e.ref, e.st); err != nil {
			return err
		}
	}
	return nil
}

func newStaleIssuer(t *testing.T) (*issuer.Issuer, *staleStore) {
	t.Helper()
	st := &staleStore{Store: memstore.New()}
	is, err := issuer.New(context.Background(), issuer.Config{Store: st, BaseURL: "https://issuer.example.sg",
		Secret: secret, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return is, st
}

// issueOne issues one BusinessRegistration credential.
func issueOne(t *testing.T, is *issuer.Issuer) *issuer.Issued {
	t.Helper()
	out, err := is.Issue(context.Background(), issuer.Request{Type: "BusinessRegistration", Subject: benchSubject})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantState fails the test unless the credential id is in state want (when says when).
func wantState(t *testing.T, is *issuer.Issuer, id string, want issuer.State, when string) {
	t.Helper()
	res, err := is.Status(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if res.State != want.String() {
		t.Fatalf("credential %s %s, want %s", res.State, when, want)
	}
}

// staleRefresh runs a Refresh whose read of what (see staleStore) happens before change and
// whose result is applied after it.
func staleRefresh(t *testing.T, is *issuer.Issuer, st *staleStore, what string, change func()) {
	t.Helper()
	st.mu.Lock()
	st.armed, st.read, st.resume = what, make(chan struct{}), make(chan struct{})
	read, resume := st.read, st.resume
	st.mu.Unlock()
	done := make(chan error, 1)
	go func() { done <- is.Refresh(context.Background()) }()
	select {
	case <-read:
	case <-time.After(10 * time.Second):
		t.Fatalf("the refresh never read %s", what)
	}
	func() {
		defer close(resume) // also when change fails the test
		change()
	}()
	if err := <-done; err != nil {
		t.Fatalf("refresh: %v", err)
	}
}

// A reload that read the API keys before a revocation must not make the key work again.
func TestRefreshKeepsAPIKeyRevocation(t *testing.T) {
	ctx := context.Background()
	is, st := newStaleIssuer(t)
	tok, err := is.CreateAPIKey(ctx, "client", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := is.Authenticate(tok)
	if err != nil {
		t.Fatal(err)
	}
	var tok2 string
	staleRefresh(t, is, st, "apikeys", func() {
		if err := is.RevokeAPIKey(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if tok2, err = is.CreateAPIKey(ctx, "client 2", []string{"*"}); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := is.Authenticate(tok); err == nil || is.APIKeyActive(c.ID) {
		t.Fatalf("a revoked API key authenticates again after an older reload (err %v)", err)
	}
	if _, err := is.Authenticate(tok2); err != nil {
		t.Fatalf("an API key created during a reload is forgotten by it: %v", err)
	}
	if err := is.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := is.Authenticate(tok); err == nil {
		t.Fatal("a revoked API key authenticates after a fresh reload")
	}
}

// A reload that read the keys before a rotation must not bring the retired key back as the
// signing key, nor forget the new one.
func TestRefreshKeepsKeyRetirement(t *testing.T) {
	ctx := context.Background()
	is, st := newStaleIssuer(t)
	oldKID := is.KID()
	var rotated issuer.KeyInfo
	staleRefresh(t, is, st, "keys", func() {
		var err error
		if rotated, err = is.Rotate(ctx, ""); err != nil {
			t.Fatal(err)
		}
	})
	if is.KID() != rotated.KID || is.KID() == oldKID {
		t.Fatalf("signing with %s after an older reload, want the rotated key %s (old %s)", is.KID(), rotated.KID, oldKID)
	}
	for _, k := range is.Keys() {
		if k.KID == oldKID && (k.RetiredAt == nil || k.Current) {
			t.Fatalf("the rotated-out key is active again after an older reload: %+v", k)
		}
	}
	if out := issueOne(t, is); out.Token == "" {
		t.Fatal("no credential")
	}
}

// A reload that read the status entries before a revocation must not reinstate the
// credential in this process's status lists.
func TestRefreshKeepsCredentialRevocation(t *testing.T) {
	ctx := context.Background()
	is, st := newStaleIssuer(t)
	out := issueOne(t, is)
	staleRefresh(t, is, st, "status", func() {
		if _, err := is.ChangeStatus(ctx, nil, out.ID, issuer.ActionRevoke); err != nil {
			t.Fatal(err)
		}
	})
	wantState(t, is, out.ID, issuer.StateRevoked, "after an older reload")
}

// A reload that read the status entries before a suspension or a reinstatement made here
// leaves it alone, and later reloads still apply the changes other replicas store.
func TestRefreshKeepsStatusChange(t *testing.T) {
	ctx := context.Background()
	is, st := newStaleIssuer(t)
	out := issueOne(t, is)
	state := func(want issuer.State, when string) {
		t.Helper()
		wantState(t, is, out.ID, want, when)
	}
	change := func(a issuer.Action) func() {
		return func() {
			if _, err := is.ChangeStatus(ctx, nil, out.ID, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	staleRefresh(t, is, st, "status", change(issuer.ActionSuspend))
	state(issuer.StateSuspended, "after an older reload than its suspension")
	staleRefresh(t, is, st, "status", change(issuer.ActionReinstate))
	state(issuer.StateValid, "after an older reload than its reinstatement")

	// Another replica suspends it: the next reload shows it here.
	rec, ok, err := st.Credential(ctx, out.ID)
	if err != nil || !ok {
		t.Fatalf("credential record: %v %v", ok, err)
	}
	if err := st.Store.SetState(ctx, rec.Status, issuer.StateSuspended); err != nil {
		t.Fatal(err)
	}
	if err := is.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	state(issuer.StateSuspended, "after a reload of another replica's suspension")
}
