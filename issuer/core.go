package issuer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

// Config configures an Issuer.
type Config struct {
	// Store persists keys, the issuance log, status entries and API keys (see
	// issuer/boltstore). Required; the Issuer never closes it, its owner does.
	Store Store
	// BaseURL is the public URL of the service (https://issuer.example.sg); it names the
	// did:web and prefixes status-list URLs. Required.
	BaseURL string
	// Identity is IdentityWeb (default), IdentityKey or IdentityJWK.
	Identity string
	// Alg is the algorithm of generated keys: keys.EdDSA (default) or keys.ES256.
	Alg keys.Alg
	// Secret seals private keys at rest: at least keys.MinSecretBytes of randomness, checked by
	// keys.CheckSecret. Required.
	Secret []byte
	// CredentialTypes are the configured credential types; nil means DefaultTypes().
	CredentialTypes []CredentialType
	// AcceptForeignIssuer lets a client-supplied credential keep an issuer value other than
	// the instance's own DID (the W3C test suites expect it); off by default.
	AcceptForeignIssuer bool
	// FillIssuer gives a client-supplied credential without an issuer the instance's own DID.
	// Off by default: a request without an issuer is refused (400), since an issuer that
	// fills in what the client left out signs a statement the client never made; turn it on
	// for clients that rely on the VC-API's optional issuer. An explicit null is refused
	// either way.
	FillIssuer bool
	// DefaultFormat applies to client-supplied VC 2.0 credentials without a format option;
	// empty means vc+jwt. VC 1.1 credentials default to jwt_vc_json.
	DefaultFormat vc.Format
	// APIKeyTTL is how long a new API key authenticates (default DefaultAPIKeyTTL, 90 days).
	APIKeyTTL time.Duration
	// MaxStatusSets bounds the number of status-list sets new credentials may use in one list
	// generation (0 or more than GenerationSets: GenerationSets).
	MaxStatusSets uint32
	// StatusTTL is how long a published status list is valid and may be cached (default 5 min).
	StatusTTL time.Duration
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Logger receives operational logs (never subject claims); nil means slog.Default().
	Logger *slog.Logger
	// Authoriser asks the trust registry whether this issuer is recognised for the types it is
	// about to assert (trustregistry/issuerauth adapts a registry replica); nil asks nothing.
	Authoriser Authoriser
	// RegistryCheck is what a refusal does: CheckEnforce (the default with an Authoriser),
	// CheckWarn, or CheckOff (the default without one).
	RegistryCheck RegistryCheck
	// Onboarding enables cross-border onboarding (Issuer.Onboard); nil disables it.
	Onboarding *OnboardingConfig
	// Tenant, when set, opens the issuer of that tenant (see TenantStore): Store must be a
	// TenantStore holding the tenant; the issuer then works only in the tenant's view of it,
	// under the base URL BaseURL/tenants/<Tenant>, with the tenant's credential types (a
	// subset of CredentialTypes). "" is the default issuer.
	Tenant string
}

// Issuer issues credentials, changes their status and publishes keys and status lists.
// It is safe for concurrent use.
type Issuer struct {
	cfg     Config
	types   map[string]*CredentialType
	inline  map[string]json.RawMessage // per type: InlineContext, computed once
	order   []string
	ring    *keyRing
	status  *statusTable
	apiKeys *apiKeys
	lists   listCache
	locks   [64]sync.Mutex // status changes, striped by index
	closed  atomic.Bool
	log     *slog.Logger
	check   RegistryCheck
	checks  checkCounters
	onboard *onboarding
	// tenant is Config.Tenant; disabled is set for a disabled tenant.
	tenant   string
	disabled bool
	// typesLimited is set for a tenant created for some credential types only: it signs no
	// client-supplied credential asserting another type.
	typesLimited bool
	// root is the deployment's base URL (the default issuer's, also for a tenant): status
	// lists under it are the deployment's own, which clients never point at.
	root string
	// refreshing serialises Refresh.
	refreshing sync.Mutex
}

// New opens an issuer over cfg.Store: it loads (or, the first time, generates) the keys, the
// status entries and the API keys.
func New(ctx context.Context, cfg Config) (*Issuer, error) {
	if cfg.Store == nil {
		return nil, errs.Errorf(CodeConfig, "invalid configuration: no store")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Identity == "" {
		cfg.Identity = IdentityWeb
	}
	if cfg.Alg == "" {
		cfg.Alg = keys.EdDSA
	}
	if !keys.IsAllowed(cfg.Alg) {
		return nil, errs.Errorf(CodeAlgNotAllowed, "algorithm not allowed: %q (allowed: %v)", cfg.Alg, keys.Allowed)
	}
	if cfg.APIKeyTTL <= 0 {
		cfg.APIKeyTTL = DefaultAPIKeyTTL
	}
	if cfg.StatusTTL <= 0 {
		cfg.StatusTTL = 5 * time.Minute
	}
	var tenant *TenantRecord
	root := strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Tenant != "" {
		if err := CheckTenantName(cfg.Tenant); err != nil {
			return nil, err
		}
		if _, err := tenantStore(cfg.Store); err != nil {
			return nil, err
		}
		c, rec, err := openTenant(ctx, cfg)
		if err != nil {
			return nil, err
		}
		cfg, tenant = c, &rec
		cfg.Logger = cfg.Logger.With("tenant", cfg.Tenant)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	webDID, err := webDIDFor(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.DefaultFormat != "" {
		if cfg.DefaultFormat, err = ParseFormat(string(cfg.DefaultFormat)); err != nil {
			return nil, errs.Wrap(CodeConfig, "invalid configuration: default format", err)
		}
	}
	if err := keys.CheckSecret(cfg.Secret); err != nil {
		return nil, errs.Wrap(CodeNoSecret, fmt.Sprintf("key-sealing secret refused: it must be %d bytes or more of randomness (%v)", keys.MinSecretBytes, err), err)
	}
	sealer, err := keys.NewSealer(cfg.Secret)
	if err != nil {
		return nil, errs.Wrap(CodeNoSecret, "key-sealing secret missing or wrong", err)
	}
	if cfg.CredentialTypes == nil {
		cfg.CredentialTypes = DefaultTypes()
	}
	ts, err := CheckTypes(cfg.CredentialTypes)
	if err != nil {
		return nil, err
	}
	check, err := registryMode(cfg)
	if err != nil {
		return nil, err
	}
	is := &Issuer{cfg: cfg, types: map[string]*CredentialType{}, log: cfg.Logger, check: check, tenant: cfg.Tenant,
		disabled: tenant != nil && tenant.Disabled != nil, typesLimited: tenant != nil && len(tenant.Types) > 0, root: root,
		status:  newStatusTable(cfg.MaxStatusSets),
		apiKeys: &apiKeys{store: cfg.Store, clock: cfg.Clock, ttl: cfg.APIKeyTTL, byID: map[string]APIKeyRecord{}, tenant: cfg.Tenant}}
	is.inline = map[string]json.RawMessage{}
	for i := range ts {
		is.types[ts[i].Name] = &ts[i]
		is.inline[ts[i].Name] = ts[i].InlineContext()
		is.order = append(is.order, ts[i].Name)
	}
	is.lists.entries = map[string]*cachedList{}
	is.ring = &keyRing{store: cfg.Store, sealer: sealer, identity: cfg.Identity, webDID: webDID, alg: cfg.Alg, clock: cfg.Clock, tenant: cfg.Tenant}
	switch cfg.Identity {
	case IdentityWeb, IdentityKey, IdentityJWK:
	default:
		return nil, errs.Errorf(CodeConfig, "invalid configuration: identity %q (want did:web, did:key or did:jwk)", cfg.Identity)
	}
	if err := is.ring.load(ctx); err != nil {
		return nil, err
	}
	if err := cfg.Store.LoadStatus(ctx, is.status.load); err != nil {
		return nil, errs.Wrap(CodeStore, "store failed: loading status entries", err)
	}
	if err := is.openGeneration(ctx); err != nil {
		return nil, err
	}
	if err := is.apiKeys.load(ctx); err != nil {
		return nil, err
	}
	if is.onboard, err = is.newOnboarding(cfg.Onboarding); err != nil {
		return nil, err
	}
	return is, nil
}

// Close marks the issuer closed; it does not close the store (its owner does).
func (is *Issuer) Close() { is.closed.Store(true) }

// DID returns the DID the issuer currently signs as.
func (is *Issuer) DID() string { return is.ring.signer().did }

// KID returns the verification method id of the current key.
func (is *Issuer) KID() string { return is.ring.signer().key.ID }

// BaseURL returns the configured public base URL (without a trailing slash).
func (is *Issuer) BaseURL() string { return is.cfg.BaseURL }

// Types returns the configured credential types in configuration order.
func (is *Issuer) Types() []CredentialType {
	out := make([]CredentialType, 0, len(is.order))
	for _, n := range is.order {
		out = append(out, *is.types[n])
	}
	return out
}

// TypeMetadata returns the SD-JWT VC Type Metadata of a configured type.
func (is *Issuer) TypeMetadata(name string) ([]byte, error) {
	t, ok := is.types[name]
	if !ok {
		return nil, errs.Errorf(CodeUnknownType, "unknown credential type: %q", name)
	}
	return t.TypeMetadata(is.vct(t))
}

// vct is the SD-JWT VC type of t: its configured VCT, or <base URL>/types/<name>.
func (is *Issuer) vct(t *CredentialType) string {
	if t.VCT != "" {
		return t.VCT
	}
	return is.cfg.BaseURL + "/types/" + t.Name
}

// Keys lists the issuer's keys.
func (is *Issuer) Keys() []KeyInfo { return is.ring.list(is.cfg.Clock()) }

// Rotate makes a new current key (alg "" keeps the configured algorithm); the old key is
// retired and stays published until the last credential it signed expires.
func (is *Issuer) Rotate(ctx context.Context, alg keys.Alg) (KeyInfo, error) {
	sk, err := is.ring.rotate(ctx, alg)
	if err != nil {
		return KeyInfo{}, err
	}
	is.log.Info("issuer key rotated", "kid", sk.key.ID, "alg", sk.key.Alg)
	for _, k := range is.Keys() {
		if k.ID == sk.local {
			return k, nil
		}
	}
	return KeyInfo{}, nil
}

// CreateAPIKey makes an API key for an issuance client with scopes (credential type names,
// "*", or ScopeAdmin for backups and status changes of any credential), valid for
// Config.APIKeyTTL; it stores its hash and returns the token, which cannot be shown again.
func (is *Issuer) CreateAPIKey(ctx context.Context, name string, scopes []string) (string, error) {
	for _, s := range scopes {
		if _, ok := is.types[s]; !ok && s != ScopeAll && s != ScopeAdmin && !typeNameRE.MatchString(s) {
			return "", errs.Errorf(CodeInvalidRequest, "invalid request: scope %q is not a credential type name, \"*\" or %q", s, ScopeAdmin)
		}
	}
	token, rec, err := is.apiKeys.create(ctx, name, scopes, "")
	if err != nil {
		return "", err
	}
	is.log.Info("API key created", "key_id", rec.ID, "scopes", rec.Scopes, "expires", rec.Expires)
	return token, nil
}

// APIKeys lists the API keys, oldest first, without their secrets.
func (is *Issuer) APIKeys() []APIKeyInfo { return is.apiKeys.list() }

// HasType reports whether name is a credential type configured for this issuer (or tenant).
func (is *Issuer) HasType(name string) bool {
	_, ok := is.types[name]
	return ok
}

// APIKeyActive reports whether the API key with that id authenticates now: known to this
// issuer (or tenant), neither revoked nor expired.
func (is *Issuer) APIKeyActive(id string) bool {
	rec, err := is.apiKeys.get(id)
	return err == nil && rec.Revoked == nil && is.cfg.Clock().Before(expires(rec))
}

// RevokeAPIKey revokes the API key with that id: it stops authenticating at once. Revoking a
// revoked key changes nothing.
func (is *Issuer) RevokeAPIKey(ctx context.Context, id string) error {
	rec, err := is.apiKeys.revoke(ctx, id)
	if err != nil {
		return err
	}
	is.log.Info("API key revoked", "key_id", rec.ID)
	return nil
}

// RotateAPIKey replaces the API key with that id: a new key with the same name, scopes and
// principal (so it manages the credentials the old key issued), valid for a full APIKeyTTL,
// and the old key revoked. It returns the new token, which cannot be shown again.
func (is *Issuer) RotateAPIKey(ctx context.Context, id string) (string, APIKeyInfo, error) {
	old, err := is.apiKeys.get(id)
	if err != nil {
		return "", APIKeyInfo{}, err
	}
	if old.Revoked != nil {
		return "", APIKeyInfo{}, errs.Errorf(CodeInvalidRequest, "invalid request: API key %s is revoked; create a new one", id)
	}
	principal := old.Principal
	if principal == "" {
		principal = old.ID
	}
	token, rec, err := is.apiKeys.create(ctx, old.Name, old.Scopes, principal)
	if err != nil {
		return "", APIKeyInfo{}, err
	}
	if _, err := is.apiKeys.revoke(ctx, id); err != nil {
		return "", APIKeyInfo{}, err
	}
	is.log.Info("API key rotated", "old_key_id", id, "key_id", rec.ID, "principal", principal)
	for _, k := range is.apiKeys.list() {
		if k.ID == rec.ID {
			return token, k, nil
		}
	}
	return token, APIKeyInfo{}, nil
}

// Authenticate returns the client of an API key token.
func (is *Issuer) Authenticate(token string) (*Client, error) { return is.apiKeys.authenticate(token) }

// newID returns a fresh urn:uuid, version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74
// random bits. Ids issued later sort later, so the Store's credential log (keyed by id) grows
// at its end instead of touching a random page of its index for every credential; the random
// bits keep the id as unguessable as a version 4 id's 122 bits need to be for a public
// identifier that no check relies on being secret.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[6:])
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
