// Package boltstore keeps the verifier's presentation challenge state in a
// bbolt file: the key that authenticates challenges and the challenges
// already used, so that a challenge stays valid, and single-use, across
// restarts. Issuing a challenge writes nothing.
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

var (
	// bucketUsed maps the canonical bytes of each consumed challenge to
	// its expiry (unix seconds, 8 bytes big-endian).
	bucketUsed = []byte("challenges")
	// bucketMeta holds the challenge key.
	bucketMeta = []byte("challenge_meta")
	keyHMAC    = []byte("hmac_key")
)

// Store is a verifier.ChallengeStore on bbolt. Challenges are stateless
// (verifier.ChallengeKey, its 32-byte key created once and kept in the
// file); Consume records a challenge as used until its expiry, and Purge
// deletes the records of expired challenges.
type Store struct {
	db  *bbolt.DB
	key *verifier.ChallengeKey
}

var _ verifier.AudienceChallengeStore = (*Store)(nil)

// Open opens (or creates) the challenge store in db, which the caller owns
// and closes. The challenge key is created on first use and read back on
// later opens, so that challenges issued before a restart stay valid.
func Open(db *bbolt.DB) (*Store, error) {
	var key *verifier.ChallengeKey
	err := db.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bucketUsed); err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if b := meta.Get(keyHMAC); b != nil {
			key, err = verifier.ChallengeKeyFromBytes(b)
			return err
		}
		key = verifier.NewChallengeKey()
		return meta.Put(keyHMAC, key.Bytes())
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open challenge store: %w", err)
	}
	return &Store{db: db, key: key}, nil
}

// Issue implements verifier.ChallengeStore: it writes nothing.
func (s *Store) Issue(ctx context.Context, now time.Time, ttl time.Duration) (string, time.Time, error) {
	return s.IssueFor(ctx, "", now, ttl)
}

// IssueFor implements verifier.AudienceChallengeStore: it writes nothing.
func (s *Store) IssueFor(_ context.Context, audience string, now time.Time, ttl time.Duration) (string, time.Time, error) {
	c, exp, err := s.key.IssueFor(now, ttl, audience)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("boltstore: %w", err)
	}
	return c, exp, nil
}

// Consume implements verifier.ChallengeStore: ConsumeFor with no audience.
func (s *Store) Consume(ctx context.Context, challenge string, now time.Time) error {
	return s.ConsumeFor(ctx, challenge, "", now)
}

// ConsumeFor implements verifier.AudienceChallengeStore. The MAC, expiry and audience are checked
// first, without touching the file: a forged, expired or wrong-audience
// challenge causes no write. The used check and the record then happen in one write
// transaction, so two concurrent presentations of the same challenge cannot
// both succeed. Concurrent consumes share an fsync through db.Batch; a batch
// member that fails is re-run alone, so each answer reflects the committed
// state.
func (s *Store) ConsumeFor(_ context.Context, challenge, audience string, now time.Time) error {
	id, exp, err := s.key.CheckFor(challenge, audience, now)
	if err != nil {
		return err
	}
	err = s.db.Batch(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketUsed)
		if v := b.Get(id); len(v) == 8 && now.Unix() < int64(binary.BigEndian.Uint64(v)) {
			return verifier.ErrChallengeUsed
		}
		v := make([]byte, 8)
		binary.BigEndian.PutUint64(v, uint64(exp.Unix()))
		return b.Put(id, v)
	})
	if err != nil {
		if errors.Is(err, verifier.ErrChallengeUsed) {
			return err
		}
		return fmt.Errorf("boltstore: consume challenge: %w", err)
	}
	return nil
}

// Purge deletes the records of challenges that expired at or before now
// (and records of an older layout) and returns how many.
func (s *Store) Purge(now time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketUsed)
		// Collect first: deleting under a cursor can skip the next key.
		var expired [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) <= now.Unix() {
				expired = append(expired, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range expired {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(expired)
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
