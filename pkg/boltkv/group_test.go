package boltkv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
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

// A commit that fails after every write function succeeded (here the file may not grow: a
// full disk) fails every write of its batch: none is answered nil and none is in the file.
func TestGroupFailedCommitFailsEveryWaiter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	if db, err = bolt.Open(path, 0o600, &bolt.Options{MaxSize: int(fi.Size())}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	g := NewGroup(db, 64, 50*time.Millisecond) // the linger puts every write in one batch
	const n = 8
	errsGot := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errsGot[i] = g.Do(put(i, make([]byte, 64<<10)))
		})
	}
	wg.Wait()
	for i, err := range errsGot {
		if !errors.Is(err, bolterrors.ErrMaxSizeReached) {
			t.Errorf("write %d: err %v, want the commit's ErrMaxSizeReached", i, err)
		}
	}
	checkBucket(t, db, func(b *bolt.Bucket) error {
		if k, _ := b.Cursor().First(); k != nil {
			return fmt.Errorf("key %x stored by a failed commit", k)
		}
		return nil
	})
}

// groupChildEnv makes the test binary a writer for TestGroupAnswersOnlyCommittedWrites.
const groupChildEnv = "BOLTKV_GROUP_CHILD_DB"

// A process writing through a Group is killed (SIGKILL) mid-load: every write it had
// answered, as printed before the kill, is in the file when it is opened again.
func TestGroupAnswersOnlyCommittedWrites(t *testing.T) {
	if path := os.Getenv(groupChildEnv); path != "" {
		groupChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "killed.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestGroupAnswersOnlyCommittedWrites$")
	cmd.Env = append(os.Environ(), groupChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []uint64
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 2000 {
		k, err := strconv.ParseUint(sc.Text(), 10, 64)
		if err != nil {
			continue // the test framework's own lines
		}
		acked = append(acked, k)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if len(acked) < 2000 {
		t.Fatalf("the writer answered %d writes before it ended", len(acked))
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkBucket(t, db, func(b *bolt.Bucket) error {
		for _, k := range acked {
			if b == nil || b.Get(Uint64Key(k)) == nil {
				return fmt.Errorf("write %d answered before the kill but not in the file", k)
			}
		}
		return nil
	})
}

// groupChild writes keys 0, 1, ... from 16 goroutines through a Group and prints each key
// once its Do returned nil, until it is killed.
func groupChild(path string) {
	db, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	g := NewGroup(db, 64, time.Millisecond)
	var next atomic.Uint64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				k := next.Add(1)
				if err := g.Do(put(int(k), []byte("v"))); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Println(k)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
