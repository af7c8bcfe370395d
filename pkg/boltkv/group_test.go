package boltkv

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openGroupDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Every write of concurrent callers is committed by the time its Do returns, and transactions
// are shared (fewer commits than writes).
func TestGroupCommitsEveryWriteBeforeReturning(t *testing.T) {
	db := openGroupDB(t)
	g := NewGroup(db, 16, time.Millisecond)
	var (
		mu  sync.Mutex
		txs = map[*bolt.Tx]bool{}
		wg  sync.WaitGroup
	)
	const n = 200
	for i := range n {
		wg.Go(func() {
			key := Uint64Key(uint64(i))
			err := g.Do(func(tx *bolt.Tx) error {
				mu.Lock()
				txs[tx] = true
				mu.Unlock()
				b, err := tx.CreateBucketIfNotExists([]byte("b"))
				if err != nil {
					return err
				}
				return b.Put(key, []byte("v"))
			})
			if err != nil {
				t.Error(err)
				return
			}
			// Committed: a read transaction started now sees it.
			if err := db.View(func(tx *bolt.Tx) error {
				if tx.Bucket([]byte("b")).Get(key) == nil {
					return fmt.Errorf("key %d not visible after Do returned", i)
				}
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(txs) >= n {
		t.Errorf("%d transactions for %d writes: no write shared one", len(txs), n)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		if got := tx.Bucket([]byte("b")).Stats().KeyN; got != n {
			return fmt.Errorf("%d keys stored, want %d", got, n)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}

// A failing write gets its own error, run alone; the other writes of its batch are committed
// without it.
func TestGroupFailingWriteDoesNotSinkItsBatch(t *testing.T) {
	db := openGroupDB(t)
	g := NewGroup(db, 64, 20*time.Millisecond) // a long linger puts all of them in one batch
	errBad := errors.New("bad write")
	var wg sync.WaitGroup
	errsGot := make([]error, 10)
	for i := range 10 {
		wg.Go(func() {
			errsGot[i] = g.Do(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte("b"))
				if err != nil {
					return err
				}
				if err := b.Put(Uint64Key(uint64(i)), []byte("v")); err != nil {
					return err
				}
				if i == 3 {
					return errBad
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errsGot {
		if want := i == 3; errors.Is(err, errBad) != want || (!want && err != nil) {
			t.Errorf("write %d: err %v", i, err)
		}
	}
	if err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		for i := range 10 {
			if got := b.Get(Uint64Key(uint64(i))) != nil; got != (i != 3) {
				return fmt.Errorf("key %d stored: %v", i, got)
			}
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}

// A full batch does not wait out the linger.
func TestGroupFullBatchSkipsLinger(t *testing.T) {
	db := openGroupDB(t)
	g := NewGroup(db, 4, time.Hour)
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		for i := range 4 {
			wg.Go(func() {
				if err := g.Do(func(tx *bolt.Tx) error {
					b, err := tx.CreateBucketIfNotExists([]byte("b"))
					if err != nil {
						return err
					}
					return b.Put(Uint64Key(uint64(i)), nil)
				}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a full batch waited for its linger")
	}
}
