package boltstore_test

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/boltstore"
	"github.com/idport/idport/verifier/storetest"
)

func openDB(t *testing.T, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func openStore(t *testing.T, db *bbolt.DB) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// keyCount counts the keys of every bucket of db.
func keyCount(t *testing.T, db *bbolt.DB) int {
	t.Helper()
	n := 0
	err := db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bbolt.Bucket) error {
			n += b.Stats().KeyN
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestIssueWritesNothing: issuing is not a write path. 10,000 challenges
// leave the file's size, key count and transaction id unchanged.
func TestIssueWritesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "verifier.db")
	db := openDB(t, path)
	defer db.Close()
	s := openStore(t, db)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	size, keys := fileSize(t, path), keyCount(t, db)
	txn := db.Stats().TxN
	seen := make(map[string]bool, 10000)
	for i := range 10000 {
		c, exp, err := s.Issue(ctx, now, time.Minute)
		if err != nil || !exp.Equal(now.Add(time.Minute)) || seen[c] {
			t.Fatalf("issue %d: %q %v %v (duplicate %v)", i, c, exp, err, seen[c])
		}
		seen[c] = true
	}
	if got := db.Stats().TxN; got != txn {
		t.Errorf("Issue opened %d transactions", got-txn)
	}
	if got := fileSize(t, path); got != size {
		t.Errorf("verifier.db grew from %d to %d bytes", size, got)
	}
	if got := keyCount(t, db); got != keys {
		t.Errorf("key count went from %d to %d", keys, got)
	}
	if keys != 1 {
		t.Errorf("fresh store holds %d keys, want 1 (the challenge key)", keys)
	}
}

// tamper changes byte i of the decoded challenge and re-encodes it.
func tamper(t *testing.T, c string, i int) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		t.Fatal(err)
	}
	if i < 0 {
		i += len(raw)
	}
	raw[i] ^= 1
	return base64.RawURLEncoding.EncodeToString(raw)
}

// TestChallengeSingleUseAcrossRestart: challenges issued before a restart
// stay valid, used ones stay used; forged, foreign and expired ones are
// refused without a write.
func TestChallengeSingleUseAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "verifier.db")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	db := openDB(t, path)
	s := openStore(t, db)
	c, _, err := verifier.IssueChallenge(ctx, s, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	unused, _, err := s.Issue(ctx, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	short, _, err := s.Issue(ctx, now, time.Second)
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
	s = openStore(t, db)
	foreign, _, err := verifier.NewMemoryChallenges().Issue(ctx, now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The last character of 41 bytes in base64 carries 2 unused bits:
	// flipping one spells the same bytes differently.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	variant := unused[:len(unused)-1] + string(alphabet[strings.IndexByte(alphabet, unused[len(unused)-1])^1])
	if raw, err := base64.RawURLEncoding.DecodeString(variant); err != nil || base64.RawURLEncoding.EncodeToString(raw) != unused {
		t.Fatalf("variant %q does not decode to the challenge's bytes: %v", variant, err)
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
		{"forged MAC", tamper(t, unused, -1), now, verifier.ErrChallengeUnknown},
		{"expiry extended", tamper(t, short, 8), now, verifier.ErrChallengeUnknown},
		{"random part changed", tamper(t, unused, 12), now, verifier.ErrChallengeUnknown},
		{"version changed", tamper(t, unused, 0), now, verifier.ErrChallengeUnknown},
		{"non-canonical encoding", variant, now, verifier.ErrChallengeUnknown},
		{"another verifier's key", foreign, now, verifier.ErrChallengeUnknown},
		{"expired", short, now.Add(time.Second), verifier.ErrChallengeUnknown},
		{"expired long after", unused, now.Add(time.Hour), verifier.ErrChallengeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := keyCount(t, db)
			if err := s.Consume(ctx, tt.challenge, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("Consume = %v, want %v", err, tt.want)
			}
			if after := keyCount(t, db); after != before {
				t.Fatalf("a refused challenge wrote %d keys", after-before)
			}
		})
	}
	// Issued before the restart, consumed after it: valid once.
	if err := s.Consume(ctx, unused, now.Add(30*time.Second)); err != nil {
		t.Fatalf("challenge issued before the restart: %v", err)
	}
	if err := s.Consume(ctx, unused, now.Add(31*time.Second)); !errors.Is(err, verifier.ErrChallengeUsed) {
		t.Fatalf("second use: %v", err)
	}
	if n, err := s.Purge(now.Add(59 * time.Second)); err != nil || n != 0 {
		t.Fatalf("Purge before expiry = %d, %v; want 0", n, err)
	}
	if n, err := s.Purge(now.Add(time.Minute)); err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2", n, err)
	}
	if n := keyCount(t, db); n != 1 {
		t.Fatalf("%d keys after purge, want 1 (the challenge key)", n)
	}
}

func TestChallengeConcurrentConsume(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, filepath.Join(t.TempDir(), "v.db"))
	defer db.Close()
	s := openStore(t, db)
	now := time.Now()
	c, _, err := s.Issue(ctx, now, time.Minute)
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

// TestOldLayoutPurged: records of the earlier layout (random nonce -> 9
// bytes) are never valid challenges and go with the first purge.
func TestOldLayoutPurged(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "v.db"))
	defer db.Close()
	if err := db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("challenges"))
		if err != nil {
			return err
		}
		return b.Put([]byte("old-random-nonce"), make([]byte, 9))
	}); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, db)
	if err := s.Consume(context.Background(), "old-random-nonce", time.Now()); !errors.Is(err, verifier.ErrChallengeUnknown) {
		t.Fatalf("old nonce: %v", err)
	}
	if n, err := s.Purge(time.Now()); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
}

// TestConformance: the bbolt store passes the ChallengeStore conformance
// suite (each subtest on a fresh file).
func TestConformance(t *testing.T) {
	storetest.RunChallengeStore(t, func(t *testing.T) verifier.ChallengeStore {
		db := openDB(t, filepath.Join(t.TempDir(), "verifier.db"))
		t.Cleanup(func() { _ = db.Close() })
		return openStore(t, db)
	})
}
