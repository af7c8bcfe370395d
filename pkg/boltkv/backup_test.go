package boltkv

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var (
	bData = []byte("data")
	bMeta = []byte("meta")
	kLast = []byte("last")
)

const keysPerTx = 20

// commit writes transaction i: keysPerTx keys named after it plus the "last" mark, atomically.
func commit(db *bolt.DB, i uint64) error {
	return db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bData)
		if err != nil {
			return err
		}
		for k := range keysPerTx {
			if err := b.Put(fmt.Appendf(nil, "%08d/%02d", i, k), bytes.Repeat([]byte{byte(i)}, 512)); err != nil {
				return err
			}
		}
		m, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		return m.Put(kLast, Uint64Key(i))
	})
}

// checkConsistent opens a backup and checks it holds every key of transactions 1..last and
// nothing else: no half transaction, nothing past the mark.
func checkConsistent(t *testing.T, path string) uint64 {
	t.Helper()
	if err := CheckFile(path); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var last uint64
	err = db.View(func(tx *bolt.Tx) error {
		last = KeyUint64(tx.Bucket(bMeta).Get(kLast))
		per := map[uint64]int{}
		if err := tx.Bucket(bData).ForEach(func(k, v []byte) error {
			var i uint64
			var n int
			if _, err := fmt.Sscanf(string(k), "%08d/%02d", &i, &n); err != nil {
				return err
			}
			per[i]++
			return nil
		}); err != nil {
			return err
		}
		for i := uint64(1); i <= last; i++ {
			if per[i] != keysPerTx {
				return fmt.Errorf("transaction %d has %d of %d keys", i, per[i], keysPerTx)
			}
		}
		if len(per) != int(last) {
			return fmt.Errorf("%d transactions present, the mark says %d", len(per), last)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// liveDB opens a database in a fresh directory holding transaction 1.
func liveDB(t *testing.T) (string, *bolt.DB) {
	t.Helper()
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := commit(db, 1); err != nil {
		t.Fatal(err)
	}
	return dir, db
}

// pausingWriter lets the test run code after the first bytes of a backup are out and before
// the rest is written.
type pausingWriter struct {
	w     io.Writer
	once  sync.Once
	pause func()
}

func (p *pausingWriter) Write(b []byte) (int, error) {
	p.once.Do(p.pause)
	return p.w.Write(b)
}

// TestBackupDuringWrites: transactions commit while a backup is being written (the writer is
// paused mid-copy until more commits land); the copy opens with bbolt and holds exactly the
// transactions committed before it began, and the live file keeps all of them.
func TestBackupDuringWrites(t *testing.T) {
	dir := t.TempDir()
	// A large initial mmap: a writer that must grow the mapping waits for open read
	// transactions, and this test holds one open on purpose.
	db, err := bolt.Open(filepath.Join(dir, "live.db"), 0o600, &bolt.Options{InitialMmapSize: 256 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := uint64(1); i <= 50; i++ {
		if err := commit(db, i); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "backup.db")
	var during uint64
	pause := func() {
		// Inside the backup's read transaction: 100 more transactions commit meanwhile.
		for i := uint64(51); i <= 150; i++ {
			if err := commit(db, i); err != nil {
				t.Error(err)
			}
		}
		during = 100
	}
	info, err := WriteFileAtomic(out, func(w io.Writer) (int64, error) {
		return WriteBackup(db, &pausingWriter{w: w, pause: pause})
	})
	if err != nil {
		t.Fatal(err)
	}
	if during != 100 {
		t.Fatal("writers did not run during the backup")
	}
	if got := checkConsistent(t, out); got != 50 {
		t.Fatalf("backup holds %d transactions, want the 50 committed before it began", got)
	}
	raw, _ := os.ReadFile(out)
	if int64(len(raw)) != info.Size || sha256.Sum256(raw) != info.SHA256 {
		t.Fatalf("info %d %s does not describe the file (%d bytes)", info.Size, info.Hex(), len(raw))
	}
	if d, err := ParseReprDigest(info.ReprDigest()); err != nil || d != info.SHA256 {
		t.Fatalf("Repr-Digest round trip: %v", err)
	}
	// A backup after the writes holds all of them.
	if _, err := BackupToFile(db, out); err != nil {
		t.Fatal(err)
	}
	if got := checkConsistent(t, out); got != 150 {
		t.Fatalf("second backup holds %d transactions, want 150", got)
	}
}

// TestBackupConcurrentWriters: goroutines commit without pause while backups run; every backup
// is a consistent prefix, and later backups are never behind earlier ones.
func TestBackupConcurrentWriters(t *testing.T) {
	dir, db := liveDB(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := uint64(2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			i := next
			next++
			err := commit(db, i) // one writer at a time keeps the mark monotone
			mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var prev uint64
	for n := range 5 {
		sp, err := SpoolBackup(db, dir)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("b%d.db", n))
		f, _ := os.Create(path)
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(f, h), sp.File); err != nil {
			t.Fatal(err)
		}
		f.Close()
		sp.Close()
		if !bytes.Equal(h.Sum(nil), sp.SHA256[:]) {
			t.Fatal("spool digest does not match its bytes")
		}
		got := checkConsistent(t, path)
		if got < prev {
			t.Fatalf("backup %d holds %d transactions, the one before held %d", n, got, prev)
		}
		prev = got
	}
	close(stop)
	wg.Wait()
}

func TestBackupFailures(t *testing.T) {
	dir, db := liveDB(t)
	// An unwritable destination leaves nothing behind.
	if _, err := BackupToFile(db, filepath.Join(dir, "missing", "b.db")); !errors.Is(err, ErrBackup) {
		t.Fatalf("got %v, want ErrBackup", err)
	}
	// A writer failing half-way: ErrBackup, no file at the destination.
	out := filepath.Join(dir, "b.db")
	_, err := WriteFileAtomic(out, func(w io.Writer) (int64, error) {
		return WriteBackup(db, failAfter{w, 4096})
	})
	if !errors.Is(err, ErrBackup) {
		t.Fatalf("got %v, want ErrBackup", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("partial backup left at %s: %v", out, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	// Junk and truncated copies are refused by CheckFile.
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("x"), 8192), 0o600)
	if err := CheckFile(junk); !errors.Is(err, ErrNotDatabase) {
		t.Fatalf("junk: got %v", err)
	}
	for _, v := range []string{"", "md5=:AAAA:", "sha-256=:short:"} {
		if _, err := ParseReprDigest(v); !errors.Is(err, ErrDigestMismatch) {
			t.Errorf("ParseReprDigest(%q): %v", v, err)
		}
	}
}

type failAfter struct {
	w io.Writer
	n int
}

func (f failAfter) Write(b []byte) (int, error) {
	if len(b) > f.n {
		return 0, errors.New("disk full")
	}
	return f.w.Write(b)
}

func FuzzParseReprDigest(f *testing.F) {
	f.Add("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
	f.Add("md5=:x:, sha-256=:AA==:")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		d, err := ParseReprDigest(v)
		if err == nil && (BackupInfo{SHA256: d}).ReprDigest() == "" {
			t.Fatal("empty re-encoding")
		}
	})
}
