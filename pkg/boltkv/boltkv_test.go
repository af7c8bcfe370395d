package boltkv

import (
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestJSONRoundTripAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "x.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct{ Name string }
	if err := db.Update(func(tx *bolt.Tx) error { return PutJSON(tx, []byte("b"), Uint64Key(7), rec{"seven"}) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got rec
	var found bool
	err = db.View(func(tx *bolt.Tx) (err error) { found, err = GetJSON(tx, []byte("b"), Uint64Key(7), &got); return })
	if err != nil || !found || got.Name != "seven" {
		t.Fatalf("got %+v found=%v err=%v", got, found, err)
	}
	err = db.View(func(tx *bolt.Tx) (err error) { found, err = GetJSON(tx, []byte("missing"), Uint64Key(7), &got); return })
	if err != nil || found {
		t.Fatalf("missing bucket: found=%v err=%v", found, err)
	}
}

func TestOpenHeldFileFailsClearly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// bbolt's flock is per open file description, so a second Open in this process contends too.
	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: got %v, want ErrLocked", err)
	}
}

func TestUint64KeySorts(t *testing.T) {
	if string(Uint64Key(2)) >= string(Uint64Key(256)) {
		t.Fatal("keys do not sort numerically")
	}
	if KeyUint64(Uint64Key(1<<40)) != 1<<40 {
		t.Fatal("round trip failed")
	}
}
