package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/errs"
)

var (
	bucketMeta = []byte("meta")
	// keyGeneration holds the status-list generation new credentials are allocated in.
	keyGeneration = []byte("list-generation")
	// keyRestored marks a backup copy (issuer.RestoreMarker as JSON); the live file never has it.
	keyRestored = []byte("restored-from-backup")
)

func readGeneration(meta *bolt.Bucket) uint32 {
	if b := meta; b != nil {
		if v := b.Get(keyGeneration); len(v) == 4 {
			return binary.BigEndian.Uint32(v)
		}
	}
	return 0
}

// OpenGeneration implements issuer.GenerationStore: without a marker it only reads the
// generation; with one, it stores the generation next picks and deletes the marker in one
// transaction, so a crash leaves either the marked copy or the rotated file.
func (s *Store) OpenGeneration(ctx context.Context, next func(issuer.RestoreMarker) (uint32, error)) (uint32, *issuer.RestoreMarker, error) {
	var gen uint32
	var marked *issuer.RestoreMarker
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := s.bucket(tx, bucketMeta)
		gen = readGeneration(meta)
		var m issuer.RestoreMarker
		ok, err := getJSON(meta, keyRestored, &m)
		if err != nil || !ok {
			return err
		}
		if gen, err = next(m); err != nil {
			return err
		}
		if err := meta.Put(keyGeneration, binary.BigEndian.AppendUint32(nil, gen)); err != nil {
			return err
		}
		marked = &m
		return meta.Delete(keyRestored)
	})
	if err != nil {
		return 0, nil, wrap("open list generation", err)
	}
	return gen, marked, nil
}

// Restored reports the backup marker of the file, if any (tests and tools).
func (s *Store) Restored() (*issuer.RestoreMarker, error) {
	var m issuer.RestoreMarker
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(s.bucket(tx, bucketMeta), keyRestored, &m)
		return err
	})
	if err != nil || !ok {
		return nil, wrap("read backup marker", err)
	}
	return &m, nil
}

// MarkBackupCopy writes the backup marker into the bbolt file at path, which must be a copy
// no process has open (a fresh backup, or a file restored before its issuer starts):
// RestoreMarker{TakenAt: takenAt, SourceGeneration: the copy's own list generation}, and the
// same into every tenant's space with that tenant's generation.
func MarkBackupCopy(path string, takenAt time.Time) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: boltkv.LockTimeout, NoSync: true})
	if err != nil {
		return errs.Wrap(issuer.CodeStore, fmt.Sprintf("store failed: opening backup copy %s", path), err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		m := issuer.RestoreMarker{TakenAt: takenAt.UTC(), SourceGeneration: readGeneration(tx.Bucket(bucketMeta))}
		if err := boltkv.PutJSON(tx, bucketMeta, keyRestored, m); err != nil {
			return err
		}
		return markTenants(tx, takenAt)
	})
	if err == nil {
		err = db.Sync()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errs.Wrap(issuer.CodeStore, fmt.Sprintf("store failed: marking backup copy %s", path), err)
	}
	return nil
}

var _ issuer.GenerationStore = (*Store)(nil)
