// Package boltstore keeps the verifier's presentation challenges in a bbolt
// file, so that a challenge is single-use even across restarts.
package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/idport/idport/verifier"
)

var bucketChallenges = []byte("challenges")

// maxChallengeLen bounds the challenge strings accepted (outside input).
const maxChallengeLen = 256

// Store is a verifier.ChallengeStore on bbolt. Each challenge maps to a
// 9-byte value: its expiry (unix nanoseconds, big-endian) and a used flag.
// Used challenges are kept until they expire, then purged by Purge.
type Store struct {
	db *bbolt.DB
}

// ErrChallengeExists: Put was given a challenge already stored.
var ErrChallengeExists = errors.New("boltstore: challenge already exists")

var _ verifier.ChallengeStore = (*Store)(nil)

// Open opens (or creates) the challenge store in db, which the caller owns
// and closes.
func Open(db *bbolt.DB) (*Store, error) {
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketChallenges)
		return err
	}); err != nil {
		return nil, fmt.Errorf("boltstore: create bucket: %w", err)
	}
	return &Store{db: db}, nil
}

func encode(exp time.Time, used bool) []byte {
	v := make([]byte, 9)
	binary.BigEndian.PutUint64(v, uint64(exp.UnixNano()))
	if used {
		v[8] = 1
	}
	return v
}

// Put implements verifier.ChallengeStore.
func (s *Store) Put(_ context.Context, challenge string, expires time.Time) error {
	if challenge == "" || len(challenge) > maxChallengeLen {
		return fmt.Errorf("boltstore: challenge length %d: %w", len(challenge), verifier.ErrChallengeUnknown)
	}
	// Batch coalesces concurrent writers into one fsync; fn is idempotent
	// (bbolt may run it again alone if another fn of the batch fails).
	err := s.db.Batch(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketChallenges)
		if b.Get([]byte(challenge)) != nil {
			return ErrChallengeExists
		}
		return b.Put([]byte(challenge), encode(expires, false))
	})
	if err != nil {
		return fmt.Errorf("boltstore: put challenge: %w", err)
	}
	return nil
}

// Consume implements verifier.ChallengeStore: the check and the marking
// happen in one write transaction, so two concurrent presentations of the
// same challenge cannot both succeed. Concurrent consumes share an fsync
// through db.Batch; a batch member that fails is re-run alone, so each
// answer reflects the committed state.
func (s *Store) Consume(_ context.Context, challenge string, now time.Time) error {
	if challenge == "" || len(challenge) > maxChallengeLen {
		return verifier.ErrChallengeUnknown
	}
	err := s.db.Batch(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketChallenges)
		v := b.Get([]byte(challenge))
		if len(v) != 9 {
			return verifier.ErrChallengeUnknown
		}
		if v[8] == 1 {
			return verifier.ErrChallengeUsed
		}
		exp := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
		if !now.Before(exp) {
			return verifier.ErrChallengeUnknown
		}
		return b.Put([]byte(challenge), encode(exp, true))
	})
	if err != nil {
		if errors.Is(err, verifier.ErrChallengeUnknown) || errors.Is(err, verifier.ErrChallengeUsed) {
			return err
		}
		return fmt.Errorf("boltstore: consume challenge: %w", err)
	}
	return nil
}

// Purge deletes challenges that expired before now and returns how many.
func (s *Store) Purge(now time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketChallenges).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) != 9 || int64(binary.BigEndian.Uint64(v)) < now.UnixNano() {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("boltstore: purge challenges: %w", err)
	}
	return n, nil
}

// Run purges expired challenges every interval until ctx ends.
func (s *Store) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			if _, err := s.Purge(now); err != nil {
				return err
			}
		}
	}
}
