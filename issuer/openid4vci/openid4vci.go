package openid4vci

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/errs"
)

// Paths of the endpoints under the issuer's base URL. The metadata names them; issuer/httpapi
// serves them.
const (
	PathIssuerMetadata = "/.well-known/openid-credential-issuer"
	PathASMetadata     = "/.well-known/oauth-authorization-server"
	PathOffers         = "/oid4vci/offers"
	PathToken          = "/oid4vci/token"
	PathNonce          = "/oid4vci/nonce"
	PathCredential     = "/oid4vci/credential"
	PathNotification   = "/oid4vci/notification"
)

// GrantPreAuthorized is the grant type of the pre-authorized code flow.
const GrantPreAuthorized = "urn:ietf:params:oauth:grant-type:pre-authorized_code"

// Defaults and limits.
const (
	// DefaultOfferTTL is how long an offer and its pre-authorized code live.
	DefaultOfferTTL = 10 * time.Minute
	// DefaultTokenTTL is how long an access token lives.
	DefaultTokenTTL = 5 * time.Minute
	// DefaultNonceTTL is how long a c_nonce lives (and how old a proof's iat may be). A c_nonce
	// is stateless (a MAC'd expiry and random bytes): issuing one writes nothing, and the store
	// records it only once a credential request consumes it, until it expires.
	DefaultNonceTTL = 5 * time.Minute
	// DefaultBatchSize is the most proofs (credentials) one credential request may carry.
	DefaultBatchSize = 10
	// MaxTxFailures is how many wrong transaction codes lock an offer's pre-authorized code.
	MaxTxFailures = 5
	// ClockSkew is the tolerance for a proof's iat in the future.
	ClockSkew = time.Minute
)

// Config configures a Service.
type Config struct {
	// Issuer is the issuance engine. Required.
	Issuer *issuer.Issuer
	// Store keeps offers, codes, tokens and the c_nonces used. Required.
	Store Store
	// OfferTTL, TokenTTL and NonceTTL default to DefaultOfferTTL, DefaultTokenTTL and
	// DefaultNonceTTL.
	OfferTTL, TokenTTL, NonceTTL time.Duration
	// BatchSize bounds the proofs of one credential request (default DefaultBatchSize).
	BatchSize int
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
	// Logger receives operational logs (never claims or secrets); nil means slog.Default().
	Logger *slog.Logger
}

// Service is the issuer side of OpenID4VCI. It is safe for concurrent use.
type Service struct {
	cfg      Config
	is       *issuer.Issuer
	store    Store
	resolver *did.CachingResolver
	log      *slog.Logger
	// nonces mints and checks the stateless c_nonces.
	nonces nonceCodec
}

// New returns a Service over an engine and a Store.
func New(cfg Config) (*Service, error) {
	if cfg.Issuer == nil || cfg.Store == nil {
		return nil, errs.Errorf(issuer.CodeConfig, "invalid configuration: OpenID4VCI needs an issuer and a store")
	}
	if cfg.OfferTTL <= 0 {
		cfg.OfferTTL = DefaultOfferTTL
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.NonceTTL <= 0 {
		cfg.NonceTTL = DefaultNonceTTL
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	key, err := cfg.Issuer.DerivedKey(NonceKeyPurpose)
	if err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, is: cfg.Issuer, store: cfg.Store, log: cfg.Logger,
		resolver: did.NewResolver(did.ResolverOptions{}), nonces: nonceCodec{key: key, issuerID: cfg.Issuer.BaseURL()}}, nil
}

// IssuerID is the credential issuer identifier: the issuer's base URL.
func (s *Service) IssuerID() string { return s.is.BaseURL() }

// Run purges expired state every minute until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if n, err := s.Purge(ctx); err != nil {
				s.log.Warn("purging expired OpenID4VCI state", "err", err)
			} else if n > 0 {
				s.log.Debug("purged expired OpenID4VCI state", "entries", n)
			}
		}
	}
}

// Purge deletes the state expired at the service's current time: offers whose code and token
// both expired, and the records of used c_nonces past their expiry. It returns how many
// entries it deleted. Run calls it every minute.
func (s *Service) Purge(ctx context.Context) (int, error) {
	return s.store.Purge(ctx, s.cfg.Clock())
}

// randomToken returns n random bytes in base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hash returns the base64url SHA-256 of a secret; only hashes of codes and tokens are stored.
func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
