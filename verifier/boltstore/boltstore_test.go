package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/boltstore"
)

func openDB(t *testing.T, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestChallengeSingleUseAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "verifier.db")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	db := openDB(t, path)
	s, err := boltstore.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := verifier.IssueChallenge(ctx, s, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	unused, _, err := verifier.IssueChallenge(ctx, s, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Consume(ctx, c, now.Add(time.Second)); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, path)
	defer db.Close()
	s, err = boltstore.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		challenge string
		at        time.Time
		want      error
	}{
		{"replay after restart", c, now.Add(2 * time.Second), verifier.ErrChallengeUsed},
		{"never issued", "nope", now, verifier.ErrChallengeUnknown},
		{"empty", "", now, verifier.ErrChallengeUnknown},
		{"expired", unused, now.Add(time.Minute), verifier.ErrChallengeUnknown},
		{"unused still valid", unused, now.Add(30 * time.Second), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Consume(ctx, tt.challenge, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("Consume = %v, want %v", err, tt.want)
			}
		})
	}
	n, err := s.Purge(now.Add(2 * time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2", n, err)
	}
}

func TestChallengeConcurrentConsume(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "v.db"))
	defer db.Close()
	s, err := boltstore.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c, _, err := verifier.IssueChallenge(ctx, s, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.Consume(ctx, c, now) == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d concurrent consumes succeeded, want exactly 1", ok)
	}
}
