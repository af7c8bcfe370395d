// Package atomicfile replaces files so that a crash leaves the old or the new file whole, never
// a mix: the bytes go to a temporary file in the same directory, which is fsynced, renamed over
// the target, and the directory fsynced. It imports only the standard library (the SDK uses it).
package atomicfile

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// Info describes a written file.
type Info struct {
	// Size is the number of bytes written.
	Size int64
	// SHA256 is the digest of those bytes.
	SHA256 [sha256.Size]byte
}

// Write replaces path with what write produces (mode 0600) and returns the size and SHA-256
// of the bytes. A failure leaves path as it was and no temporary file behind.
func Write(path string, write func(io.Writer) (int64, error)) (Info, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return Info{}, err
	}
	tmp := f.Name()
	fail := func(err error) (Info, error) {
		f.Close()
		os.Remove(tmp)
		return Info{}, fmt.Errorf("writing %s: %w", path, err)
	}
	hw := NewHashingWriter(f)
	if _, err := write(hw); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return Info{}, err
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return Info{}, fmt.Errorf("sync %s: %w", dir, err)
		}
	}
	return hw.Info(), nil
}

// WriteFile replaces path with b, creating its directory (mode 0700) when missing.
func WriteFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	_, err := Write(path, func(w io.Writer) (int64, error) {
		n, err := w.Write(b)
		return int64(n), err
	})
	return err
}

// HashingWriter counts and hashes (SHA-256) what passes through it to the writer beneath.
type HashingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

// NewHashingWriter returns a HashingWriter writing to w.
func NewHashingWriter(w io.Writer) *HashingWriter { return &HashingWriter{w: w, h: sha256.New()} }

// Write implements io.Writer.
func (h *HashingWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// Info returns the size and digest of what was written so far.
func (h *HashingWriter) Info() Info {
	var i Info
	i.Size = h.n
	copy(i.SHA256[:], h.h.Sum(nil))
	return i
}
