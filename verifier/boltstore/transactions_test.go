package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/idport/idport/verifier/boltstore"
	"github.com/idport/idport/verifier/openid4vp"
	"github.com/idport/idport/verifier/storetest"
)

func TestTransactionsConformance(t *testing.T) {
	storetest.RunTransactionStore(t, func(t *testing.T) openid4vp.TransactionStore {
		db := openDB(t, filepath.Join(t.TempDir(), "v.db"))
		t.Cleanup(func() { db.Close() })
		s, err := boltstore.OpenTransactions(db)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestTransactionsSurviveReopenAndPurge(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	db := openDB(t, path)
	s, err := boltstore.OpenTransactions(db)
	if err != nil {
		t.Fatal(err)
	}
	tx := &openid4vp.Transaction{ID: "t1", Request: openid4vp.Request{Nonce: "n", Expires: now.Add(time.Minute)}}
	if err := s.Create(ctx, tx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openDB(t, path)
	defer db.Close()
	s, err = boltstore.OpenTransactions(db)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "t1", now); err != nil || got.Request.Nonce != "n" {
		t.Fatalf("after reopen: %v %+v", err, got)
	}
	if n, err := s.PurgeTransactions(now.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if _, err := s.Get(ctx, "t1", now); !errors.Is(err, openid4vp.ErrTransactionUnknown) {
		t.Fatalf("after purge: %v", err)
	}
}
