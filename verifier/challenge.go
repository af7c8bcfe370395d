package verifier

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"
	"time"
)

// DefaultChallengeTTL is how long an issued challenge stays usable.
const DefaultChallengeTTL = 5 * time.Minute

// ChallengeStore issues single-use, expiring challenges (nonces) for
// presentations. verifier/boltstore persists them so that a replay is
// rejected even after a restart.
type ChallengeStore interface {
	// Put records a new challenge valid until expires.
	Put(ctx context.Context, challenge string, expires time.Time) error
	// Consume marks challenge used at now. It returns ErrChallengeUnknown
	// for a challenge never issued or expired, ErrChallengeUsed for one
	// already consumed.
	Consume(ctx context.Context, challenge string, now time.Time) error
}

// NewChallenge returns a fresh random challenge (128 bits, base64url).
func NewChallenge() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("verifier: challenge randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// MemoryChallenges is an in-memory ChallengeStore (challenges do not
// survive a restart; use verifier/boltstore for that).
type MemoryChallenges struct {
	mu sync.Mutex
	m  map[string]memChallenge
}

type memChallenge struct {
	expires time.Time
	used    bool
}

// NewMemoryChallenges returns an empty MemoryChallenges.
func NewMemoryChallenges() *MemoryChallenges {
	return &MemoryChallenges{m: make(map[string]memChallenge)}
}

// Put implements ChallengeStore.
func (s *MemoryChallenges) Put(_ context.Context, c string, expires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[c]; ok {
		return fmt.Errorf("verifier: challenge already exists: %w", ErrChallengeUsed)
	}
	s.m[c] = memChallenge{expires: expires}
	return nil
}

// Consume implements ChallengeStore.
func (s *MemoryChallenges) Consume(_ context.Context, c string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[c]
	switch {
	case !ok:
		return ErrChallengeUnknown
	case e.used:
		return ErrChallengeUsed
	case !now.Before(e.expires):
		return ErrChallengeUnknown
	}
	e.used = true
	s.m[c] = e
	// Drop expired entries now and then, keeping used ones until expiry.
	if len(s.m) > 1024 {
		for k, v := range s.m {
			if !now.Before(v.expires) {
				delete(s.m, k)
			}
		}
	}
	return nil
}

// IssueChallenge creates, stores and returns a challenge valid for ttl
// (DefaultChallengeTTL when ttl <= 0).
func IssueChallenge(ctx context.Context, s ChallengeStore, now time.Time, ttl time.Duration) (string, time.Time, error) {
	if ttl <= 0 {
		ttl = DefaultChallengeTTL
	}
	c, err := NewChallenge()
	if err != nil {
		return "", time.Time{}, err
	}
	exp := now.Add(ttl)
	if err := s.Put(ctx, c, exp); err != nil {
		return "", time.Time{}, fmt.Errorf("verifier: store challenge: %w", err)
	}
	return c, exp, nil
}
