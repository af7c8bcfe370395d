package issuer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/vc"
)

// apiKeyPrefix starts every API key token so that leaked tokens are easy to recognise.
const apiKeyPrefix = "idpi_"

// apiKeyIDLen is how many characters of the random part form the public key id.
const apiKeyIDLen = 8

// DefaultAPIKeyTTL is how long an API key authenticates unless configured otherwise
// (Config.APIKeyTTL): 90 days, after which its client needs a rotated key.
const DefaultAPIKeyTTL = 90 * 24 * time.Hour

// ScopeAll lets an API key issue and manage every credential type.
const ScopeAll = "*"

// ScopeAdmin lets an API key take online backups (GET /admin/backup) and change the status
// of any credential, whichever key issued it. It is not a credential type and ScopeAll does
// not include it: a backup holds every credential record and the sealed keys, so operators
// grant it to a separate key.
const ScopeAdmin = "admin"

// Client is an authenticated API client.
type Client struct {
	// ID is the API key id (safe to log).
	ID string
	// Principal is the client the key belongs to (the first key id of its rotation chain);
	// the issuance log records credentials under it.
	Principal string
	// Scopes are the credential types it may issue and manage; "*" means all.
	Scopes []string
	// Tenant is the tenant the key belongs to ("" for the default issuer).
	Tenant string
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

// AllowsTypes reports whether the client may issue a credential with these types: every
// type beyond the base type VerifiableCredential must be in its scopes (one allowed type does
// not authorise the others); a credential of the base type alone needs that type in scope.
func (c *Client) AllowsTypes(types []string) bool {
	specific := 0
	for _, t := range types {
		if t == vc.TypeCredential {
			continue
		}
		specific++
		if !c.Allows(t) {
			return false
		}
	}
	return specific > 0 || c.Allows(vc.TypeCredential)
}

// Manages reports whether the client may change the status of a credential recorded under
// the principal issuedBy: the client that issued it, or an admin.
func (c *Client) Manages(issuedBy string) bool {
	if c == nil || c.IsAdmin() {
		return true
	}
	return issuedBy != "" && issuedBy == c.principal()
}

// Owner is the principal the issuance log records the client's credentials under: Principal,
// or ID for a client without one ("" for nil, the in-process caller).
func (c *Client) Owner() string { return c.principal() }

func (c *Client) principal() string {
	if c == nil {
		return ""
	}
	if c.Principal != "" {
		return c.Principal
	}
	return c.ID
}

// IsAdmin reports whether the client holds ScopeAdmin (in-process callers, nil, do).
func (c *Client) IsAdmin() bool {
	if c == nil {
		return true
	}
	return slices.Contains(c.Scopes, ScopeAdmin)
}

// APIKeyInfo describes an API key without its secret or hash.
type APIKeyInfo struct {
	ID        string     `json:"id"`
	Name      string     `json:"name,omitempty"`
	Scopes    []string   `json:"scopes"`
	Principal string     `json:"principal"`
	Created   time.Time  `json:"created"`
	Expires   time.Time  `json:"expires"`
	Revoked   *time.Time `json:"revoked,omitempty"`
	// State is "active", "expired" or "revoked".
	State string `json:"state"`
}

// apiKeys authenticates API keys: records by id, compared by SHA-256 hash in constant time.
type apiKeys struct {
	store Store
	clock func() time.Time
	ttl   time.Duration
	mu    sync.RWMutex
	byID  map[string]APIKeyRecord
	// tenant is the issuer's tenant: only its keys are loaded, created and authenticated.
	tenant string
}

// load reads every API key of the tenant from the store and merges them into memory. It also
// reloads the keys (Issuer.Refresh), concurrently with revocations and creations on this
// process: the store read may predate a change this process applied meanwhile, so the merge
// never undoes one. A revocation is final (a key revoked in memory stays revoked whatever an
// older read says), and a key created here after the read stays known. The store never
// deletes a key record, so keeping records the read lacks loses nothing.
func (a *apiKeys) load(ctx context.Context) error {
	recs, err := a.store.APIKeys(ctx)
	if err != nil {
		return errs.Wrap(CodeStore, "store failed: loading API keys", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	m := make(map[string]APIKeyRecord, max(len(recs), len(a.byID)))
	maps.Copy(m, a.byID)
	for _, r := range recs {
		if r.Tenant != a.tenant {
			continue // never authenticates here, whatever its store says
		}
		if old, ok := m[r.ID]; ok && old.Revoked != nil && r.Revoked == nil {
			continue // revoked here after the read: the read is older
		}
		m[r.ID] = r
	}
	a.byID = m
	return nil
}

// expires is the end of a record's life (records stored before keys expired get the default).
func expires(r APIKeyRecord) time.Time {
	if r.Expires.IsZero() {
		return r.Created.Add(DefaultAPIKeyTTL)
	}
	return r.Expires
}

// create makes a new API key and returns its token, which is shown once and stored only as a
// hash. principal is "" for a new client, or the principal of the key it rotates.
func (a *apiKeys) create(ctx context.Context, name string, scopes []string, principal string) (string, APIKeyRecord, error) {
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
	now := a.clock().UTC()
	rec := APIKeyRecord{ID: apiKeyPrefix + secret[:apiKeyIDLen], Hash: sum[:], Scopes: append([]string(nil), scopes...),
		Name: name, Created: now, Expires: now.Add(a.ttl), Principal: principal, Tenant: a.tenant}
	if rec.Principal == "" {
		rec.Principal = rec.ID
	}
	if err := a.put(ctx, rec); err != nil {
		return "", APIKeyRecord{}, err
	}
	return token, rec, nil
}

func (a *apiKeys) put(ctx context.Context, rec APIKeyRecord) error {
	if err := a.store.PutAPIKey(ctx, rec); err != nil {
		return errs.Wrap(CodeStore, "store failed: storing API key", err)
	}
	a.mu.Lock()
	a.byID[rec.ID] = rec
	a.mu.Unlock()
	return nil
}

// get returns the record of a key id.
func (a *apiKeys) get(id string) (APIKeyRecord, error) {
	a.mu.RLock()
	rec, ok := a.byID[id]
	a.mu.RUnlock()
	if !ok {
		return APIKeyRecord{}, errs.Errorf(CodeAPIKeyNotFound, "API key not found: %q", id)
	}
	return rec, nil
}

// revoke marks a key revoked; revoking a revoked key changes nothing.
func (a *apiKeys) revoke(ctx context.Context, id string) (APIKeyRecord, error) {
	rec, err := a.get(id)
	if err != nil || rec.Revoked != nil {
		return rec, err
	}
	now := a.clock().UTC()
	rec.Revoked = &now
	return rec, a.put(ctx, rec)
}

// list returns every key, oldest first, without hashes.
func (a *apiKeys) list() []APIKeyInfo {
	now := a.clock()
	a.mu.RLock()
	out := make([]APIKeyInfo, 0, len(a.byID))
	for _, r := range a.byID {
		info := APIKeyInfo{ID: r.ID, Name: r.Name, Scopes: slices.Clone(r.Scopes), Principal: r.Principal,
			Created: r.Created, Expires: expires(r), Revoked: r.Revoked, State: "active"}
		if info.Principal == "" {
			info.Principal = r.ID
		}
		switch {
		case r.Revoked != nil:
			info.State = "revoked"
		case !now.Before(info.Expires):
			info.State = "expired"
		}
		out = append(out, info)
	}
	a.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out
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
	if subtle.ConstantTimeCompare(sum[:], want) != 1 || !ok || rec.Tenant != a.tenant {
		return nil, errs.Errorf(CodeUnauthorized, "unauthorized: unknown API key")
	}
	// The token is proven: saying why it no longer works helps its owner and tells an
	// attacker nothing.
	if rec.Revoked != nil {
		return nil, errs.Errorf(CodeUnauthorized, "unauthorized: API key %s was revoked", rec.ID)
	}
	if !a.clock().Before(expires(rec)) {
		return nil, errs.Errorf(CodeUnauthorized, "unauthorized: API key %s expired at %s", rec.ID, expires(rec).Format(time.RFC3339))
	}
	p := rec.Principal
	if p == "" {
		p = rec.ID
	}
	return &Client{ID: rec.ID, Principal: p, Scopes: rec.Scopes, Tenant: rec.Tenant}, nil
}
