// Package issuer is idport's issuer service: businesses and authorities get W3C verifiable
// credentials here, in four formats (VC-JWT 1.1, VC-JOSE-COSE, SD-JWT VC, Data Integrity
// eddsa-rdfc-2022), signed with sealed, rotating keys under a did:web (or did:key / did:jwk)
// identity, each with a status entry in a Bitstring Status List (W3C formats) or a Token
// Status List (SD-JWT VC) that the issuer publishes and can revoke or suspend.
//
// NewService opens the data directory (one bbolt file), and returns a Service whose Handler
// serves the VC-API (see issuer/httpapi). The engine itself (credential types, validation,
// status, keys) is plain Go, usable in-process through Service.Issuer.
package issuer

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/issuer/internal/core"
	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

// Re-exported engine types: the engine lives in issuer/internal/core so that issuer/httpapi
// can use it while this package wires both.
type (
	// Issuer is the issuance engine.
	Issuer = core.Issuer
	// CredentialType is a credential template (subject claims, validity, format, disclosure).
	CredentialType = core.CredentialType
	// Claim declares a subject claim of a credential type.
	Claim = core.Claim
	// ClaimType is a claim's JSON type.
	ClaimType = core.ClaimType
	// Duration reads "8760h" or "365d".
	Duration = core.Duration
	// Request asks for one credential.
	Request = core.Request
	// Issued is a signed credential.
	Issued = core.Issued
	// Client is an authenticated API client.
	Client = core.Client
	// Action is a status change (revoke, suspend, reinstate).
	Action = core.Action
	// StatusResult reports a credential's status after a change.
	StatusResult = core.StatusResult
	// KeyInfo describes a signing key.
	KeyInfo = core.KeyInfo
	// Store is the persistence interface (see issuer/storetest).
	Store = core.Store
)

// ScopeAdmin is the API key scope of GET /admin/backup; "*" does not include it.
const ScopeAdmin = core.ScopeAdmin

// Identity kinds.
const (
	IdentityWeb = core.IdentityWeb
	IdentityKey = core.IdentityKey
	IdentityJWK = core.IdentityJWK
)

// Status actions.
const (
	ActionRevoke    = core.ActionRevoke
	ActionSuspend   = core.ActionSuspend
	ActionReinstate = core.ActionReinstate
)

// Sentinel errors (see core for the full list; each error's text is its stable code).
var (
	ErrUnknownType       = core.ErrUnknownType
	ErrMissingClaim      = core.ErrMissingClaim
	ErrClaimType         = core.ErrClaimType
	ErrSubjectTooLarge   = core.ErrSubjectTooLarge
	ErrUnsupportedFormat = core.ErrUnsupportedFormat
	ErrAlgNotAllowed     = core.ErrAlgNotAllowed
	ErrInvalidHolderKey  = core.ErrInvalidHolderKey
	ErrIssuerMismatch    = core.ErrIssuerMismatch
	ErrInvalidStatus     = core.ErrInvalidStatus
	ErrNoSecret          = core.ErrNoSecret
	ErrConfig            = core.ErrConfig
)

// DefaultTypes returns the built-in credential types (BusinessRegistration, PersonIdentity).
func DefaultTypes() []CredentialType { return core.DefaultTypes() }

// LoadTypesFile reads credential types from a YAML or JSON file, merged over the defaults.
func LoadTypesFile(path string) ([]CredentialType, error) { return core.LoadTypesFile(path) }

// DBFile is the name of the issuer's bbolt file inside its data directory.
const DBFile = "issuer.db"

// Config configures a Service.
type Config struct {
	// DataDir holds the issuer's bbolt file. Required.
	DataDir string
	// BaseURL is the public URL (names the did:web and prefixes status-list URLs). Required.
	BaseURL string
	// Identity is IdentityWeb (default), IdentityKey or IdentityJWK.
	Identity string
	// Alg is the algorithm of generated keys: keys.EdDSA (default) or keys.ES256.
	Alg keys.Alg
	// Secret seals the private keys at rest (at least 16 bytes). Required.
	Secret []byte
	// CredentialTypes are the configured types; nil means DefaultTypes().
	CredentialTypes []CredentialType
	// AcceptForeignIssuer lets client-supplied credentials keep another issuer value.
	AcceptForeignIssuer bool
	// DefaultFormat for client-supplied VC 2.0 credentials (default vc+jwt).
	DefaultFormat vc.Format
	// StatusTTL is the validity and cache bound of published status lists (default 5 min).
	StatusTTL time.Duration
	// BatchSize and BatchDelay tune bbolt's db.Batch on the issuance path (defaults 1024, 2 ms).
	BatchSize  int
	BatchDelay time.Duration
	// MaxBodyBytes bounds request bodies (default 256 KiB).
	MaxBodyBytes int64
	// Registry receives Prometheus metrics; nil means a fresh registry.
	Registry *prometheus.Registry
	// Clock returns the time; nil means time.Now.
	Clock func() time.Time
	// Logger receives JSON logs; nil means slog.Default().
	Logger *slog.Logger
}

// Service is a running issuer: engine, store and HTTP handler.
type Service struct {
	is      *core.Issuer
	store   *boltstore.Store
	handler http.Handler
	dataDir string
	clock   func() time.Time
}

// NewService opens the data directory and the keys (generating the first key on first use).
func NewService(cfg Config) (*Service, error) {
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("%w: no data directory", core.ErrConfig)
	}
	if len(cfg.Secret) == 0 {
		return nil, fmt.Errorf("%w: set --key-secret-file or IDPORT_KEY_SECRET (or use --dev)", core.ErrNoSecret)
	}
	st, err := boltstore.Open(filepath.Join(cfg.DataDir, DBFile), boltstore.Options{MaxBatchSize: cfg.BatchSize, MaxBatchDelay: cfg.BatchDelay})
	if err != nil {
		return nil, err
	}
	is, err := core.New(context.Background(), core.Config{Store: st, BaseURL: cfg.BaseURL, Identity: cfg.Identity, Alg: cfg.Alg,
		Secret: cfg.Secret, Types: cfg.CredentialTypes, AcceptForeignIssuer: cfg.AcceptForeignIssuer,
		DefaultFormat: cfg.DefaultFormat, StatusTTL: cfg.StatusTTL, Clock: cfg.Clock, Logger: cfg.Logger})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	s := &Service{is: is, store: st, dataDir: cfg.DataDir, clock: cfg.Clock}
	s.handler = httpapi.New(is, httpapi.Options{Logger: cfg.Logger, Registry: cfg.Registry, MaxBodyBytes: cfg.MaxBodyBytes,
		Backup: s.SpoolBackup})
	return s, nil
}

// WriteBackup writes a consistent copy of issuer.db to w, taken from one bbolt read
// transaction while the issuer keeps issuing and marked as a backup copy (see SpoolBackup).
// The copy is a complete data file: keys stay sealed (restore with the same key secret).
func (s *Service) WriteBackup(w io.Writer) (int64, error) {
	sp, err := s.SpoolBackup(context.Background())
	if err != nil {
		return 0, err
	}
	defer sp.Close()
	n, err := io.Copy(w, sp.File)
	if err != nil {
		return n, fmt.Errorf("%w: copying the backup: %w", boltkv.ErrBackup, err)
	}
	return n, nil
}

// SpoolBackup copies issuer.db from one read transaction into a private temporary directory
// in the data directory, writes the restored-from-backup marker into the copy (never into the
// live file), and returns it as an unlinked file with the size and SHA-256 of the marked bytes,
// ready to serve (GET /admin/backup). An issuer started on the copy closes the status lists
// it knows for new credentials and allocates in a fresh list generation, so it never hands
// out again an index the live issuer allocated after the copy.
func (s *Service) SpoolBackup(ctx context.Context) (*boltkv.Spool, error) {
	takenAt := time.Now()
	if s.clock != nil {
		takenAt = s.clock()
	}
	dir, err := os.MkdirTemp(s.dataDir, ".backup-*")
	if err != nil {
		return nil, fmt.Errorf("%w: spool directory: %w", boltkv.ErrBackup, err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, DBFile)
	if _, err := boltkv.WriteFileAtomic(path, func(w io.Writer) (int64, error) { return boltkv.WriteBackup(s.store.DB(), w) }); err != nil {
		return nil, err
	}
	if err := boltstore.MarkBackupCopy(path, takenAt); err != nil {
		return nil, fmt.Errorf("%w: %w", boltkv.ErrBackup, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: reopening the marked copy: %w", boltkv.ErrBackup, err)
	}
	os.Remove(path) // the open descriptor keeps the data until Close
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: hashing the marked copy: %w", boltkv.ErrBackup, err)
	}
	sp := &boltkv.Spool{File: f}
	sp.Size = n
	copy(sp.SHA256[:], h.Sum(nil))
	return sp, nil
}

// Handler returns the HTTP handler (VC-API, well-known documents, status lists, health, metrics).
func (s *Service) Handler() http.Handler { return s.handler }

// Run has no background work yet (status lists are signed on demand); it waits for ctx.
func (s *Service) Run(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// Close closes the engine and the store.
func (s *Service) Close() error {
	s.is.Close()
	if err := s.store.Close(); err != nil {
		return fmt.Errorf("closing issuer store: %w", err)
	}
	return nil
}

// DID returns the DID the issuer currently signs as.
func (s *Service) DID() string { return s.is.DID() }

// Issuer returns the engine for in-process use.
func (s *Service) Issuer() *Issuer { return s.is }

// CreateAPIKey creates an API key with scopes (credential type names or "*") and returns its
// token; only its hash is stored.
func (s *Service) CreateAPIKey(ctx context.Context, name string, scopes ...string) (string, error) {
	return s.is.CreateAPIKey(ctx, name, scopes)
}

// Code returns the stable code of an issuer error ("" when it has none).
func Code(err error) string { return core.Code(err) }

// IsSecretError reports whether err is about the missing or wrong key-sealing secret.
func IsSecretError(err error) bool { return errors.Is(err, core.ErrNoSecret) }
