package verifier

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// DefaultChallengeTTL is how long an issued challenge stays usable.
const DefaultChallengeTTL = 5 * time.Minute

// ChallengeStore issues and consumes single-use, expiring presentation
// challenges (nonces).
//
// Issuing writes nothing: a challenge is self-authenticating (see
// ChallengeKey), so that anyone may ask for one without growing the store.
// Only Consume writes, and only for a challenge whose MAC and expiry are
// good: it records the challenge as used until its expiry. verifier/boltstore
// keeps both the key and the used records in a bbolt file, so that issued
// challenges stay valid and used ones stay used across a restart.
type ChallengeStore interface {
	// Issue returns a new challenge valid from now for ttl
	// (DefaultChallengeTTL when ttl <= 0) and its expiry. It stores nothing.
	Issue(ctx context.Context, now time.Time, ttl time.Duration) (challenge string, expires time.Time, err error)
	// Consume checks challenge at now and records it as used. A challenge
	// this store did not issue (bad MAC, malformed) or that has expired
	// yields ErrChallengeUnknown and records nothing; one already consumed
	// yields ErrChallengeUsed. Check and record are atomic: of concurrent
	// consumes of one challenge, exactly one succeeds.
	Consume(ctx context.Context, challenge string, now time.Time) error
}

// AudienceChallengeStore is a ChallengeStore that also issues challenges
// bound to an audience (a relying-party profile, say), accepted only when
// consumed for that same audience. Its Consume is ConsumeFor with no
// audience: it refuses a challenge issued for one. The stores of this
// module (MemoryChallenges, verifier/boltstore, verifier/etcdstore)
// implement it.
type AudienceChallengeStore interface {
	ChallengeStore
	// IssueFor is Issue for audience ("": Issue's challenge, for no
	// audience).
	IssueFor(ctx context.Context, audience string, now time.Time, ttl time.Duration) (challenge string, expires time.Time, err error)
	// ConsumeFor is Consume for audience: a challenge of this store issued
	// for another audience (or for one when audience is "", or for none
	// when it is not) yields ErrChallengeWrongAudience and records nothing.
	ConsumeFor(ctx context.Context, challenge, audience string, now time.Time) error
}

// Challenge layout: version || expiry (unix seconds, big-endian) || random
// || first 16 bytes of HMAC-SHA256(key, the preceding bytes). A challenge
// for an audience (version 2) carries the audience's tag after the random
// bytes, under the MAC.
const (
	challengeAudVersion = 2
	challengeAudTagLen  = 16
	challengeAudBodyLen = challengeBodyLen + challengeAudTagLen
	challengeAudRawLen  = challengeAudBodyLen + challengeMACLen
	challengeAudTextLen = (challengeAudRawLen*8 + 5) / 6

	challengeVersion  = 1
	challengeRandLen  = 16
	challengeMACLen   = 16
	challengeBodyLen  = 1 + 8 + challengeRandLen
	challengeRawLen   = challengeBodyLen + challengeMACLen
	challengeKeyLen   = 32
	challengeTextLen  = (challengeRawLen*8 + 5) / 6 // unpadded base64url
	maxChallengeTTL   = 24 * time.Hour
	memPurgeThreshold = 1024
)

// ChallengeKey mints and checks stateless challenges:
// base64url(0x01 || expiry unix seconds (8 bytes) || 16 random bytes ||
// first 16 bytes of HMAC-SHA256(key, the preceding 25 bytes)).
// A challenge for an audience (IssueFor) is base64url(0x02 || expiry ||
// 16 random bytes || audience tag || MAC of the preceding 41 bytes), the
// tag being the first 16 bytes of HMAC-SHA256(key, "idport challenge
// audience" 0x00 audience): Check accepts it only for that audience.
// A challenge carries its own proof of origin and expiry, so that issuing
// one needs no storage; single use is enforced by recording consumed
// challenges until they expire (MemoryChallenges, verifier/boltstore).
// A ChallengeKey is safe for concurrent use.
type ChallengeKey struct {
	key [challengeKeyLen]byte
}

// NewChallengeKey returns a ChallengeKey with 32 fresh random bytes.
func NewChallengeKey() *ChallengeKey {
	k := &ChallengeKey{}
	rand.Read(k.key[:]) // crypto/rand.Read never fails (Go >= 1.24)
	return k
}

// ChallengeKeyFromBytes returns the ChallengeKey of a 32-byte secret (for
// example one kept in a file or database so that issued challenges
// survive a restart).
func ChallengeKeyFromBytes(b []byte) (*ChallengeKey, error) {
	if len(b) != challengeKeyLen {
		return nil, fmt.Errorf("%w: challenge key of %d bytes, want %d", ErrConfig, len(b), challengeKeyLen)
	}
	k := &ChallengeKey{}
	copy(k.key[:], b)
	return k, nil
}

// Bytes returns a copy of the key's secret, for storing it.
func (k *ChallengeKey) Bytes() []byte { return append([]byte(nil), k.key[:]...) }

func (k *ChallengeKey) mac(body []byte) []byte {
	m := hmac.New(sha256.New, k.key[:])
	m.Write(body)
	return m.Sum(nil)[:challengeMACLen]
}

// audienceTag is the tag of audience in its challenges. Its MAC input
// starts with a letter, a challenge body with its version byte: the two
// never collide.
func (k *ChallengeKey) audienceTag(audience string) []byte {
	return k.mac([]byte("idport challenge audience\x00" + audience))
}

// Issue returns a new challenge valid from now for ttl (DefaultChallengeTTL
// when ttl <= 0, at most 24 hours) and its expiry, truncated to the second.
func (k *ChallengeKey) Issue(now time.Time, ttl time.Duration) (string, time.Time, error) {
	return k.IssueFor(now, ttl, "")
}

// IssueFor is Issue for audience: the challenge is accepted only by
// CheckFor of the same audience. An empty audience is Issue's challenge.
func (k *ChallengeKey) IssueFor(now time.Time, ttl time.Duration, audience string) (string, time.Time, error) {
	if ttl <= 0 {
		ttl = DefaultChallengeTTL
	}
	if ttl > maxChallengeTTL {
		return "", time.Time{}, fmt.Errorf("%w: challenge lifetime %s exceeds %s", ErrConfig, ttl, maxChallengeTTL)
	}
	exp := now.Add(ttl).Unix()
	if exp <= now.Unix() {
		exp = now.Unix() + 1
	}
	raw := make([]byte, challengeBodyLen, challengeAudRawLen)
	raw[0] = challengeVersion
	binary.BigEndian.PutUint64(raw[1:9], uint64(exp))
	rand.Read(raw[9:challengeBodyLen]) // never fails (Go >= 1.24)
	if audience != "" {
		raw[0] = challengeAudVersion
		raw = append(raw, k.audienceTag(audience)...)
	}
	raw = append(raw, k.mac(raw)...)
	return base64.RawURLEncoding.EncodeToString(raw), time.Unix(exp, 0).UTC(), nil
}

// Check verifies a challenge's MAC (in constant time) and expiry at now,
// without recording anything. It returns the challenge's canonical form
// (the decoded bytes, the key to record it under) and its expiry, or an
// error wrapping ErrChallengeUnknown for a challenge not made with this
// key, malformed, or expired (now at or after its expiry). A challenge
// issued for an audience is ErrChallengeWrongAudience here (see CheckFor).
func (k *ChallengeKey) Check(challenge string, now time.Time) (id []byte, expires time.Time, err error) {
	return k.CheckFor(challenge, "", now)
}

// CheckFor is Check for audience: a challenge of this key issued for
// another audience, for one when audience is "", or for none when it is
// not, is ErrChallengeWrongAudience (after its MAC and expiry were found
// good).
func (k *ChallengeKey) CheckFor(challenge, audience string, now time.Time) (id []byte, expires time.Time, err error) {
	var bodyLen int
	var version byte
	switch len(challenge) {
	case challengeTextLen:
		bodyLen, version = challengeBodyLen, challengeVersion
	case challengeAudTextLen:
		bodyLen, version = challengeAudBodyLen, challengeAudVersion
	default:
		return nil, time.Time{}, fmt.Errorf("%w: not a challenge of this verifier (length %d)", ErrChallengeUnknown, len(challenge))
	}
	// Strict decoding: one encoding per challenge, so that a used record
	// cannot be bypassed by a variant spelling of the same bytes.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(challenge)
	if err != nil || len(raw) != bodyLen+challengeMACLen {
		return nil, time.Time{}, fmt.Errorf("%w: not a challenge of this verifier (encoding)", ErrChallengeUnknown)
	}
	if !hmac.Equal(raw[bodyLen:], k.mac(raw[:bodyLen])) || raw[0] != version {
		return nil, time.Time{}, fmt.Errorf("%w: not issued by this verifier (MAC mismatch)", ErrChallengeUnknown)
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(raw[1:9])), 0).UTC()
	if !now.Before(exp) {
		return nil, time.Time{}, fmt.Errorf("%w: expired at %s", ErrChallengeUnknown, exp.Format(time.RFC3339))
	}
	switch {
	case version == challengeVersion && audience != "":
		return nil, time.Time{}, fmt.Errorf("%w: issued for no audience, presented for one", ErrChallengeWrongAudience)
	case version == challengeAudVersion && (audience == "" || !hmac.Equal(raw[challengeBodyLen:bodyLen], k.audienceTag(audience))):
		return nil, time.Time{}, fmt.Errorf("%w: issued for another audience", ErrChallengeWrongAudience)
	}
	return raw, exp, nil
}

// NewChallenge returns a fresh random nonce (128 bits, base64url). It is
// not a challenge of any ChallengeStore; use it for caller-supplied
// challenges (Policy.AllowCallerChallenge).
func NewChallenge() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("verifier: challenge randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// MemoryChallenges is an in-memory ChallengeStore: stateless challenges of
// a ChallengeKey, with the used ones remembered in memory until they
// expire. Used records do not survive a restart (use verifier/boltstore
// for that); challenges do, for as long as the same key is used.
type MemoryChallenges struct {
	key  *ChallengeKey
	mu   sync.Mutex
	used map[string]time.Time // canonical challenge -> expiry
}

// NewMemoryChallenges returns a MemoryChallenges with a fresh random key.
func NewMemoryChallenges() *MemoryChallenges { return NewMemoryChallengesWithKey(NewChallengeKey()) }

// NewMemoryChallengesWithKey returns a MemoryChallenges issuing and
// checking challenges with k (for example a key kept across restarts).
// Verifiers that must accept each other's challenges share one store, not
// only its key: each store remembers its own used challenges, so that a
// challenge could otherwise be used once per store.
func NewMemoryChallengesWithKey(k *ChallengeKey) *MemoryChallenges {
	return &MemoryChallenges{key: k, used: make(map[string]time.Time)}
}

// Issue implements ChallengeStore; it stores nothing.
func (s *MemoryChallenges) Issue(_ context.Context, now time.Time, ttl time.Duration) (string, time.Time, error) {
	return s.key.Issue(now, ttl)
}

// IssueFor implements AudienceChallengeStore; it stores nothing.
func (s *MemoryChallenges) IssueFor(_ context.Context, audience string, now time.Time, ttl time.Duration) (string, time.Time, error) {
	return s.key.IssueFor(now, ttl, audience)
}

// Consume implements ChallengeStore.
func (s *MemoryChallenges) Consume(ctx context.Context, c string, now time.Time) error {
	return s.ConsumeFor(ctx, c, "", now)
}

// ConsumeFor implements AudienceChallengeStore.
func (s *MemoryChallenges) ConsumeFor(_ context.Context, c, audience string, now time.Time) error {
	id, exp, err := s.key.CheckFor(c, audience, now)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if until, ok := s.used[string(id)]; ok && now.Before(until) {
		return ErrChallengeUsed
	}
	s.used[string(id)] = exp
	if len(s.used) > memPurgeThreshold {
		for k, until := range s.used {
			if !now.Before(until) {
				delete(s.used, k)
			}
		}
	}
	return nil
}

// IssueChallenge returns a challenge of s valid for ttl (DefaultChallengeTTL
// when ttl <= 0). It is s.Issue, kept for callers of earlier releases.
func IssueChallenge(ctx context.Context, s ChallengeStore, now time.Time, ttl time.Duration) (string, time.Time, error) {
	c, exp, err := s.Issue(ctx, now, ttl)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("verifier: issue challenge: %w", err)
	}
	return c, exp, nil
}
