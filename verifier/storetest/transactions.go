package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/verifier/openid4vp"
)

// NewTransactionStore returns a fresh, empty transaction store for one
// subtest; register cleanup with t.Cleanup.
type NewTransactionStore func(t *testing.T) openid4vp.TransactionStore

// RunTransactionStore runs the conformance suite of
// openid4vp.TransactionStore: a created transaction reads back; it is
// answered once (a second answer, concurrent or not, is
// ErrTransactionDone and changes nothing); unknown and expired
// transactions are ErrTransactionUnknown; an answer stays readable for the
// request's lifetime after it was given (openid4vp.Transaction.Gone); a
// transaction's owner reads back, pending and answered.
func RunTransactionStore(t *testing.T, newStore NewTransactionStore) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s openid4vp.TransactionStore)
	}{
		{"create and get", testTxCreateGet},
		{"answered once", testTxAnsweredOnce},
		{"unknown and expired", testTxUnknownExpired},
		{"answered at the last moment", testTxAnsweredLate},
		{"concurrent completion", testTxConcurrent},
		{"owner kept", testTxOwner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore(t)) })
	}
}

func newTx(t *testing.T, s openid4vp.TransactionStore) *openid4vp.Transaction {
	t.Helper()
	tx := &openid4vp.Transaction{ID: openid4vp.NewTransactionID(), Request: openid4vp.Request{
		ClientID: "redirect_uri:https://rp.example/cb", ResponseURI: "https://rp.example/cb", ResponseMode: openid4vp.DirectPost,
		Nonce: "n-" + openid4vp.NewTransactionID(), State: "s", Query: json.RawMessage(`{"credentials":[]}`),
		Created: epoch, Expires: epoch.Add(5 * time.Minute),
	}}
	if err := s.Create(context.Background(), tx); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return tx
}

func testTxCreateGet(t *testing.T, s openid4vp.TransactionStore) {
	tx := newTx(t, s)
	got, err := s.Get(context.Background(), tx.ID, epoch.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.Done || got.Request.Nonce != tx.Request.Nonce || !got.Request.Expires.Equal(tx.Request.Expires) || string(got.Request.Query) != string(tx.Request.Query) {
		t.Fatalf("read back %+v, stored %+v", got, tx)
	}
}

func testTxAnsweredOnce(t *testing.T, s openid4vp.TransactionStore) {
	ctx := context.Background()
	tx := newTx(t, s)
	at := epoch.Add(time.Minute)
	if err := s.Complete(ctx, tx.ID, json.RawMessage(`{"verified":true}`), at); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, tx.ID, json.RawMessage(`{"verified":false}`), at); !errors.Is(err, openid4vp.ErrTransactionDone) {
		t.Fatalf("second answer: %v, want ErrTransactionDone", err)
	}
	got, err := s.Get(ctx, tx.ID, at)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Done || string(got.Result) != `{"verified":true}` {
		t.Fatalf("after a refused second answer: done=%v result=%s", got.Done, got.Result)
	}
}

func testTxUnknownExpired(t *testing.T, s openid4vp.TransactionStore) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "nope", epoch); !errors.Is(err, openid4vp.ErrTransactionUnknown) {
		t.Fatalf("unknown: %v", err)
	}
	if err := s.Complete(ctx, "nope", json.RawMessage(`{}`), epoch); !errors.Is(err, openid4vp.ErrTransactionUnknown) {
		t.Fatalf("complete unknown: %v", err)
	}
	tx := newTx(t, s)
	late := tx.Request.Expires
	if err := s.Complete(ctx, tx.ID, json.RawMessage(`{}`), late); !errors.Is(err, openid4vp.ErrTransactionUnknown) {
		t.Fatalf("complete expired: %v", err)
	}
	if _, err := s.Get(ctx, tx.ID, late); !errors.Is(err, openid4vp.ErrTransactionUnknown) {
		t.Fatalf("get expired: %v", err)
	}
}

// testTxAnsweredLate: an answer given a second before the request expires
// is readable after the expiry, for the request's lifetime after the
// answer, and stays the one answer.
func testTxAnsweredLate(t *testing.T, s openid4vp.TransactionStore) {
	ctx := context.Background()
	tx := newTx(t, s)
	life := tx.Request.Expires.Sub(tx.Request.Created)
	answered := tx.Request.Expires.Add(-time.Second)
	if err := s.Complete(ctx, tx.ID, json.RawMessage(`{"verified":true}`), answered); err != nil {
		t.Fatal(err)
	}
	after := tx.Request.Expires.Add(time.Second)
	got, err := s.Get(ctx, tx.ID, after)
	if err != nil || !got.Done || string(got.Result) != `{"verified":true}` {
		t.Fatalf("an answer given just before the expiry, read just after: %+v, %v", got, err)
	}
	if err := s.Complete(ctx, tx.ID, json.RawMessage(`{"verified":false}`), after); !errors.Is(err, openid4vp.ErrTransactionDone) {
		t.Fatalf("second answer after the expiry: %v, want ErrTransactionDone", err)
	}
	if _, err := s.Get(ctx, tx.ID, answered.Add(life)); !errors.Is(err, openid4vp.ErrTransactionUnknown) {
		t.Fatalf("read a lifetime after the answer: %v, want ErrTransactionUnknown", err)
	}
}

func testTxConcurrent(t *testing.T, s openid4vp.TransactionStore) {
	tx := newTx(t, s)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- s.Complete(context.Background(), tx.ID, json.RawMessage(`{"verified":true}`), epoch.Add(time.Second))
		})
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, openid4vp.ErrTransactionDone):
			t.Fatalf("concurrent completion: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d completions succeeded, want exactly 1", ok)
	}
}

// testTxOwner: the owner of a transaction (the relying party and profile
// that alone may read it) reads back as stored, before and after the
// answer; a transaction without one reads back without one.
func testTxOwner(t *testing.T, s openid4vp.TransactionStore) {
	ctx := context.Background()
	owner := openid4vp.Owner{RelyingParty: "bank", Profile: "bank-kyc"}
	tx := &openid4vp.Transaction{ID: openid4vp.NewTransactionID(), Owner: owner, Request: openid4vp.Request{
		ClientID: "redirect_uri:https://rp.example/cb", ResponseURI: "https://rp.example/cb", ResponseMode: openid4vp.DirectPost,
		Nonce: "n-" + openid4vp.NewTransactionID(), State: "s", Query: json.RawMessage(`{"credentials":[]}`),
		Created: epoch, Expires: epoch.Add(5 * time.Minute),
	}}
	if err := s.Create(ctx, tx); err != nil {
		t.Fatalf("Create: %v", err)
	}
	at := epoch.Add(time.Minute)
	if got, err := s.Get(ctx, tx.ID, at); err != nil || got.Owner != owner {
		t.Fatalf("pending: owner %+v, %v; want %+v", got, err, owner)
	}
	if err := s.Complete(ctx, tx.ID, json.RawMessage(`{"verified":true}`), at); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, tx.ID, at); err != nil || got.Owner != owner {
		t.Fatalf("answered: owner %+v, %v; want %+v", got, err, owner)
	}
	plain := newTx(t, s)
	if got, err := s.Get(ctx, plain.ID, at); err != nil || !got.Owner.IsZero() {
		t.Fatalf("a transaction without an owner reads back with %+v, %v", got, err)
	}
}
