package boltkv

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/idport/idport/pkg/atomicfile"
	bolt "go.etcd.io/bbolt"
)

// ErrBackup reports a failed online backup (the database itself is unaffected).
var ErrBackup = errors.New("backup failed")

// ErrNotDatabase reports a backup file that does not open as a sound bbolt database.
var ErrNotDatabase = errors.New("not a sound bbolt database")

// ErrDigestMismatch reports a backup whose bytes do not match the digest announced for them.
var ErrDigestMismatch = errors.New("backup digest mismatch")

// HeaderReprDigest is the RFC 9530 header that carries a backup's SHA-256 on the wire.
const HeaderReprDigest = "Repr-Digest"

// BackupInfo describes a written backup.
type BackupInfo struct {
	// Size is the number of bytes written.
	Size int64
	// SHA256 is the digest of those bytes.
	SHA256 [sha256.Size]byte
}

// Hex returns the digest in lower-case hex (what sha256sum prints).
func (b BackupInfo) Hex() string { return hex.EncodeToString(b.SHA256[:]) }

// ReprDigest returns the RFC 9530 Repr-Digest field value: sha-256=:<base64>:.
func (b BackupInfo) ReprDigest() string {
	return "sha-256=:" + base64.StdEncoding.EncodeToString(b.SHA256[:]) + ":"
}

// ParseReprDigest extracts the sha-256 member of a Repr-Digest field value.
func ParseReprDigest(v string) ([sha256.Size]byte, error) {
	var out [sha256.Size]byte
	for _, m := range strings.Split(v, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(m), "=")
		if !ok || !strings.EqualFold(name, "sha-256") {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.Trim(val, ":"))
		if err != nil || len(raw) != sha256.Size {
			return out, fmt.Errorf("%w: malformed sha-256 in %s %q", ErrDigestMismatch, HeaderReprDigest, v)
		}
		copy(out[:], raw)
		return out, nil
	}
	return out, fmt.Errorf("%w: no sha-256 in %s %q", ErrDigestMismatch, HeaderReprDigest, v)
}

// WriteBackup writes a consistent copy of db to w from one read transaction (tx.WriteTo): the
// copy holds exactly the transactions committed before it started, while writers go on
// committing. A long backup keeps old pages alive and can delay a writer that must grow the
// file until it ends.
func WriteBackup(db *bolt.DB, w io.Writer) (int64, error) {
	var n int64
	err := db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("%w: %s: %w", ErrBackup, db.Path(), err)
	}
	return n, nil
}

// BackupToFile writes a consistent copy of db to path atomically: into a temporary file in the
// same directory (mode 0600), fsynced, then renamed over path, and the directory fsynced. A
// failure leaves no partial file at path.
func BackupToFile(db *bolt.DB, path string) (BackupInfo, error) {
	return WriteFileAtomic(path, func(w io.Writer) (int64, error) { return WriteBackup(db, w) })
}

// WriteFileAtomic writes what write produces to path through a temporary file in the same
// directory (mode 0600), fsync and rename (atomicfile.Write), returning the size and SHA-256
// of the bytes.
func WriteFileAtomic(path string, write func(io.Writer) (int64, error)) (BackupInfo, error) {
	info, err := atomicfile.Write(path, write)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("%w: %w", ErrBackup, err)
	}
	return BackupInfo{Size: info.Size, SHA256: info.SHA256}, nil
}

// Spool is a backup written to an anonymous temporary file, ready to be served with its size
// and digest known up front (a digest header cannot follow a body that is still being made).
type Spool struct {
	// File is positioned at the start of the backup.
	File *os.File
	BackupInfo
}

// SpoolBackup writes a consistent copy of db into a temporary file in dir ("" for the system
// default), unlinked at once, so only this process can read it and it vanishes on Close.
func SpoolBackup(db *bolt.DB, dir string) (*Spool, error) {
	return SpoolWith(dir, func(w io.Writer) (int64, error) { return WriteBackup(db, w) })
}

// SpoolWith is SpoolBackup with any producer of the backup bytes.
func SpoolWith(dir string, write func(io.Writer) (int64, error)) (*Spool, error) {
	f, err := os.CreateTemp(dir, "idport-backup-*.db")
	if err != nil {
		return nil, fmt.Errorf("%w: spool file: %w", ErrBackup, err)
	}
	os.Remove(f.Name()) // the open descriptor keeps the data until Close
	hw := atomicfile.NewHashingWriter(f)
	if _, err := write(hw); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: rewind spool: %w", ErrBackup, err)
	}
	info := hw.Info()
	return &Spool{File: f, BackupInfo: BackupInfo{Size: info.Size, SHA256: info.SHA256}}, nil
}

// Close releases the spool file.
func (s *Spool) Close() error { return s.File.Close() }

// CheckFile opens the bbolt file at path read-only and checks every page (tx.Check); it
// reports ErrNotDatabase with the first problem found.
func CheckFile(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: LockTimeout})
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrNotDatabase, path, err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() { // drain: Check's goroutine sends every problem
			if first == nil {
				first = fmt.Errorf("%w: %s: %w", ErrNotDatabase, path, err)
			}
		}
		return first
	})
}

// ServeTimeout bounds the sending of one backup by Spool.Serve.
const ServeTimeout = time.Hour

// Serve sends the spooled backup as an HTTP answer: application/octet-stream, Content-Length,
// Repr-Digest (SHA-256), Cache-Control no-store, and a Content-Disposition file name
// "<name>-<UTC time>.db".
func (s *Spool) Serve(w http.ResponseWriter, name string) error {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(s.Size, 10))
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+"-"+time.Now().UTC().Format("20060102T150405Z")+".db"))
	h.Set(HeaderReprDigest, s.ReprDigest())
	h.Set("Cache-Control", "no-store")
	// The server's write timeout is sized for API answers; give a large file time to travel.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(ServeTimeout))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, s.File); err != nil {
		return fmt.Errorf("%w: sending: %w", ErrBackup, err)
	}
	return nil
}
