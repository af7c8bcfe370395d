package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
)

// Session lifetimes.
const (
	DefaultIdleTimeout     = 15 * time.Minute
	DefaultAbsoluteTimeout = 8 * time.Hour
	// maxSessions bounds the in-memory table (anonymous sign-in sessions included).
	maxSessions = 100000
)

// session is one browser's state, kept server-side. The browser holds only the random id.
type session struct {
	// hash is SHA-256 of the id: the table is keyed by it, so the id itself is never stored.
	hash [32]byte
	// csrf is the synchronizer token every form and script request of this session carries.
	csrf string
	// account is the signed-in account name ("" before sign-in).
	account string
	// token is the fingerprint (HashToken) of the token the account signed in with: the
	// session ends once it is no longer the account's token.
	token string
	// passkey is the credential id of the passkey that completed the sign-in, if one did: the
	// session ends once it is no longer one of the account's passkeys.
	passkey []byte
	// pending is true between a valid token and the passkey that account still owes.
	pending bool
	// webauthn holds a ceremony in progress (registration or login).
	webauthn *webauthn.SessionData
	created  time.Time
	lastSeen time.Time
}

// signedIn reports whether the session holds a fully authenticated account.
func (s *session) signedIn() bool { return s.account != "" && !s.pending }

// sessions is the in-memory session table. A restart signs everyone out.
type sessions struct {
	mu       sync.Mutex
	byHash   map[[32]byte]*session
	idle     time.Duration
	absolute time.Duration
	now      func() time.Time
}

func newSessions(idle, absolute time.Duration, now func() time.Time) *sessions {
	return &sessions{byHash: map[[32]byte]*session{}, idle: idle, absolute: absolute, now: now}
}

// randomToken returns 32 random bytes (256 bits), base64url.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("console: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session and returns it with its id (for the cookie).
func (t *sessions) create() (*session, string) {
	id := randomToken()
	now := t.now()
	s := &session{hash: sha256.Sum256([]byte(id)), csrf: randomToken(), created: now, lastSeen: now}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.byHash) >= maxSessions {
		t.sweepLocked(now)
	}
	t.byHash[s.hash] = s
	return s, id
}

// get returns the live session of id and marks it seen, or nil. Expired sessions are dropped.
func (t *sessions) get(id string) *session {
	if len(id) != 43 {
		return nil
	}
	h := sha256.Sum256([]byte(id))
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.byHash[h]
	// The map lookup finds the entry by hash; the stored hash is compared again in constant
	// time so that no timing depends on how much of an id matches.
	if !ok || subtle.ConstantTimeCompare(s.hash[:], h[:]) != 1 {
		return nil
	}
	if t.expired(s, now) {
		delete(t.byHash, h)
		return nil
	}
	s.lastSeen = now
	return s
}

func (t *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) > t.idle || now.Sub(s.created) > t.absolute
}

// rotate replaces a session's id (on sign-in, against fixation) and returns the new id.
func (t *sessions) rotate(s *session) string {
	id := randomToken()
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byHash, s.hash)
	s.hash = sha256.Sum256([]byte(id))
	s.csrf = randomToken()
	s.created = t.now()
	t.byHash[s.hash] = s
	return id
}

// drop ends a session.
func (t *sessions) drop(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byHash, s.hash)
}

// update runs fn on s under the table's lock.
func (t *sessions) update(fn func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fn()
}

func (t *sessions) sweepLocked(now time.Time) {
	for h, s := range t.byHash {
		if t.expired(s, now) {
			delete(t.byHash, h)
		}
	}
	// Still full: drop the anonymous ones (sign-in pages nobody used).
	if len(t.byHash) >= maxSessions {
		for h, s := range t.byHash {
			if s.account == "" {
				delete(t.byHash, h)
			}
		}
	}
}

// checkCSRF compares a submitted token with the session's in constant time.
func (s *session) checkCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}
