package issuer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// apiKeyPrefix starts every API key token so that leaked tokens are easy to recognise.
const apiKeyPrefix = "idpi_"

// apiKeyIDLen is how many characters of the random part form the public key id.
const apiKeyIDLen = 8

// ScopeAll lets an API key issue and manage every credential type.
const ScopeAll = "*"

// ScopeAdmin lets an API key take online backups (GET /admin/backup). It is not a credential
// type and ScopeAll does not include it: a backup holds every credential record and the
// sealed keys, so operators grant it to a separate key.
const ScopeAdmin = "admin"

// Client is an authenticated API client.
type Client struct {
	// ID is the API key id (safe to log).
	ID string
	// Scopes are the credential types it may issue and manage; "*" means all.
	Scopes []string
}

// Allows reports whether the client may act on credentials of type t.
func (c *Client) Allows(t string) bool {
	if c == nil {
		return true // in-process callers
	}
	for _, s := range c.Scopes {
		if s == ScopeAdmin {
			continue // never a credential type
		}
		if s == ScopeAll || s == t {
			return true
		}
	}
	return false
}

// IsAdmin reports whether the client holds ScopeAdmin (in-process callers, nil, do).
func (c *Client) IsAdmin() bool {
	if c == nil {
		return true
	}
	for _, s := range c.Scopes {
		if s == ScopeAdmin {
			return true
		}
	}
	return false
}

// apiKeys authenticates API keys: records by id, compared by SHA-256 hash in constant time.
type apiKeys struct {
	store Store
	mu    sync.RWMutex
	byID  map[string]APIKeyRecord
}

func (a *apiKeys) load(ctx context.Context) error {
	recs, err := a.store.APIKeys(ctx)
	if err != nil {
		return errs.Wrap(CodeStore, "store failed: loading API keys", err)
	}
	m := make(map[string]APIKeyRecord, len(recs))
	for _, r := range recs {
		m[r.ID] = r
	}
	a.mu.Lock()
	a.byID = m
	a.mu.Unlock()
	return nil
}

// create makes a new API key and returns its token, which is shown once and stored only as a
// hash.
func (a *apiKeys) create(ctx context.Context, name string, scopes []string, now time.Time) (string, APIKeyRecord, error) {
	if len(scopes) == 0 {
		return "", APIKeyRecord{}, errs.Errorf(CodeInvalidRequest, "invalid request: an API key needs at least one scope (a credential type or \"*\")")
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", APIKeyRecord{}, errs.Wrap(CodeStore, "store failed: drawing a random API key", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw[:])
	token := apiKeyPrefix + secret
	sum := sha256.Sum256([]byte(token))
	rec := APIKeyRecord{ID: apiKeyPrefix + secret[:apiKeyIDLen], Hash: sum[:], Scopes: append([]string(nil), scopes...),
		Name: name, Created: now}
	if err := a.store.PutAPIKey(ctx, rec); err != nil {
		return "", APIKeyRecord{}, errs.Wrap(CodeStore, "store failed: storing API key", err)
	}
	a.mu.Lock()
	a.byID[rec.ID] = rec
	a.mu.Unlock()
	return token, rec, nil
}

// authenticate returns the client of a token, or ErrUnauthenticated.
func (a *apiKeys) authenticate(token string) (*Client, error) {
	if !strings.HasPrefix(token, apiKeyPrefix) || len(token) < len(apiKeyPrefix)+apiKeyIDLen || len(token) > 256 {
		return nil, errs.Errorf(CodeUnauthorized, "unauthorized: missing or malformed API key")
	}
	id := token[:len(apiKeyPrefix)+apiKeyIDLen]
	a.mu.RLock()
	rec, ok := a.byID[id]
	a.mu.RUnlock()
	sum := sha256.Sum256([]byte(token))
	want := rec.Hash
	if !ok {
		want = make([]byte, sha256.Size) // compare anyway: same work for known and unknown ids
	}
	if subtle.ConstantTimeCompare(sum[:], want) != 1 || !ok {
		return nil, errs.Errorf(CodeUnauthorized, "unauthorized: unknown API key")
	}
	return &Client{ID: rec.ID, Scopes: rec.Scopes}, nil
}
