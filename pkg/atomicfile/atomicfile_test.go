package atomicfile_test

import (
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/idport/idport/pkg/atomicfile"
)

func TestWriteFileReplacesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "f")
	if err := atomicfile.WriteFile(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("got %q", b)
	}
}

func TestWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := atomicfile.WriteFile(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if _, err := atomicfile.Write(path, func(w io.Writer) (int64, error) { w.Write([]byte("partial")); return 7, boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("got %q", b)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Fatalf("temporary file left: %v", es)
	}
	info, err := atomicfile.Write(path, func(w io.Writer) (int64, error) { n, err := w.Write([]byte("abc")); return int64(n), err })
	if err != nil || info.Size != 3 || info.SHA256 != sha256.Sum256([]byte("abc")) {
		t.Fatalf("info %+v err %v", info, err)
	}
}
