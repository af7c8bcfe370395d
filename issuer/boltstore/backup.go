package boltstore

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/idport/idport/pkg/boltkv"
)

// Backup implements issuer.Backupper: it copies the bbolt file from one read transaction
// (the issuer keeps issuing) into a private temporary directory beside the live file, writes
// the restored-from-backup marker into the copy (never into the live file, see
// MarkBackupCopy), and returns the copy as an unlinked file with the size and SHA-256 of the
// marked bytes. The copy is a complete data file: keys stay sealed (restore with the same key
// secret).
func (s *Store) Backup(ctx context.Context, takenAt time.Time) (*boltkv.Spool, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", boltkv.ErrBackup, err)
	}
	if s.tenant != nil {
		return nil, fmt.Errorf("%w: a tenant's view cannot back up the whole file", boltkv.ErrBackup)
	}
	dir, err := os.MkdirTemp(filepath.Dir(s.db.Path()), ".backup-*")
	if err != nil {
		return nil, fmt.Errorf("%w: spool directory: %w", boltkv.ErrBackup, err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, DBFile)
	if _, err := boltkv.WriteFileAtomic(path, func(w io.Writer) (int64, error) { return boltkv.WriteBackup(s.db, w) }); err != nil {
		return nil, err
	}
	if err := MarkBackupCopy(path, takenAt); err != nil {
		return nil, fmt.Errorf("%w: %w", boltkv.ErrBackup, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: reopening the marked copy: %w", boltkv.ErrBackup, err)
	}
	os.Remove(path) // the open descriptor keeps the data until Close
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: hashing the marked copy: %w", boltkv.ErrBackup, err)
	}
	sp := &boltkv.Spool{File: f}
	sp.Size = n
	copy(sp.SHA256[:], h.Sum(nil))
	return sp, nil
}
