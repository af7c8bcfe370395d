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

// put is a write of key i (value v) into bucket "b", made when missing.
func put(i int, v []byte) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("b"))
		if err != nil {
			return err
		}
		return b.Put(Uint64Key(uint64(i)), v)
	}
}

// checkBucket runs check on bucket "b" (nil when absent) in a read transaction started now,
// reporting its error.
func checkBucket(t *testing.T, db *bolt.DB, check func(b *bolt.Bucket) error) {
	t.Helper()
	if err := db.View(func(tx *bolt.Tx) error { return check(tx.Bucket([]byte("b"))) }); err != nil {
		t.Error(err)
	}
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
				return put(i, []byte("v"))(tx)
			})
			if err != nil {
				t.Error(err)
				return
			}
			// Committed: a read transaction started now sees it.
			checkBucket(t, db, func(b *bolt.Bucket) error {
				if b.Get(key) == nil {
					return fmt.Errorf("key %d not visible after Do returned", i)
				}
				return nil
			})
		})
	}
	wg.Wait()
	if len(txs) >= n {
		t.Errorf("%d transactions for %d writes: no write shared one", len(txs), n)
	}
	checkBucket(t, db, func(b *bolt.Bucket) error {
		if got := b.Stats().KeyN; got != n {
			return fmt.Errorf("%d keys stored, want %d", got, n)
		}
		return nil
	})
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
	checkBucket(t, db, func(b *bolt.Bucket) error {
		for i := range 10 {
			if got := b.Get(Uint64Key(uint64(i))) != nil; got != (i != 3) {
				return fmt.Errorf("key %d stored: %v", i, got)
			}
		}
		return nil
	})
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
				if err := g.Do(put(i, nil)); err != nil {
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

// Writes that fail or panic inside a shared transaction are rolled back there and run alone;
// every other write is applied exactly once (a counter each write increments equals the
// number of writes acknowledged), and every acknowledged write is visible when Do returns.
func TestGroupFailuresApplyEachWriteOnce(t *testing.T) {
	db := openGroupDB(t)
	g := NewGroup(db, 8, 5*time.Millisecond)
	errBad := errors.New("bad write")
	const n = 120
	var wg sync.WaitGroup
	errsGot := make([]error, n)
	panics := make([]any, n)
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errsGot[i] = g.Do(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte("b"))
				if err != nil {
					return err
				}
				c := uint64(0)
				if v := b.Get([]byte("count")); v != nil {
					c = KeyUint64(v)
				}
				if err := b.Put([]byte("count"), Uint64Key(c+1)); err != nil {
					return err
				}
				if err := b.Put(Uint64Key(uint64(i)), []byte("v")); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return errBad
				case 7:
					panic("write panicked")
				}
				return nil
			})
			if errsGot[i] == nil {
				checkBucket(t, db, func(b *bolt.Bucket) error {
					if b.Get(Uint64Key(uint64(i))) == nil {
						return fmt.Errorf("write %d acknowledged but not visible", i)
					}
					return nil
				})
			}
		})
	}
	wg.Wait()
	acked := 0
	for i := range n {
		switch i % 10 {
		case 3:
			if !errors.Is(errsGot[i], errBad) || panics[i] != nil {
				t.Errorf("write %d: err %v, panic %v; want its own error", i, errsGot[i], panics[i])
			}
		case 7:
			if panics[i] != "write panicked" {
				t.Errorf("write %d: err %v, panic %v; want its own panic", i, errsGot[i], panics[i])
			}
		default:
			if errsGot[i] != nil || panics[i] != nil {
				t.Errorf("write %d: err %v, panic %v", i, errsGot[i], panics[i])
			}
			acked++
		}
	}
	checkBucket(t, db, func(b *bolt.Bucket) error {
		if got := KeyUint64(b.Get([]byte("count"))); got != uint64(acked) {
			return fmt.Errorf("counter %d after %d acknowledged writes: a write was lost or applied twice", got, acked)
		}
		for i := range n {
			ok := i%10 != 3 && i%10 != 7
			if got := b.Get(Uint64Key(uint64(i))) != nil; got != ok {
				return fmt.Errorf("key %d stored: %v", i, got)
			}
		}
		return nil
	})
}

// Closing the database while writes wait for a commit: every Do returns, those that return nil
// are in the file when it is opened again, and the others report an error.
func TestGroupCloseWhileWritesWait(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGroup(db, 4, 2*time.Millisecond)
	const n = 64
	errsGot := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			if i == n/2 {
				errsGot[i] = fmt.Errorf("closer")
				if err := db.Close(); err != nil {
					t.Error(err)
				}
				return
			}
			errsGot[i] = g.Do(put(i, []byte("v")))
		})
	}
	close(start)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("writes still waiting after the database was closed")
	}
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkBucket(t, db, func(b *bolt.Bucket) error {
		for i := range n {
			if i == n/2 || errsGot[i] != nil {
				continue
			}
			if b == nil || b.Get(Uint64Key(uint64(i))) == nil {
				return fmt.Errorf("write %d acknowledged but not in the file", i)
			}
		}
		return nil
	})
}
