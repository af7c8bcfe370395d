package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"

	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/boltstore"
	"github.com/idport/idport/verifier/openid4vp"
	"github.com/idport/idport/verifier/profiles"
	"go.opentelemetry.io/otel/trace"
)

// ServiceConfig configures the verifier service of the idport binary.
type ServiceConfig struct {
	// Verifier configures the SDK core. Its ChallengeStore is replaced by
	// the service's bbolt store in DataDir.
	Verifier verifier.Config
	// DataDir holds verifier.db: the challenge key and the challenges
	// already used (until they expire). Issuing a challenge writes nothing.
	DataDir string
	// Logger receives logs (slog.Default when nil).
	Logger *slog.Logger
	// Registry receives metrics (a fresh one when nil).
	Registry *prometheus.Registry
	// MaxBodyBytes and MaxJSONDepth bound requests (httpx defaults when 0).
	MaxBodyBytes int64
	MaxJSONDepth int
	// PurgeInterval is how often the records of used, expired challenges
	// are deleted (one minute when 0).
	PurgeInterval time.Duration
	// OpenID4VP, when set, serves the OpenID4VP endpoints with
	// transactions kept in verifier.db.
	OpenID4VP *ServiceOpenID4VP
	// Profiles are the relying-party profiles (verifier/profiles), built
	// over Verifier.Policy; nil serves none.
	Profiles *profiles.Set
	// Store, when set, keeps the challenge key, the used challenges, the
	// OpenID4VP transactions and the request-signing key instead of
	// verifier.db, for verifier processes that share it
	// (verifier/etcdstore). The Service owns it: Close closes it.
	Store SharedStore
	// Ready reports readiness for /readyz (default: the verifier's Ready).
	Ready func() error
	// RateLimit limits each client's requests (see Options.RateLimit); nil: no limit.
	RateLimit *httpx.RateLimit
	// TracerProvider, when set, traces every request (httpx.Options.TracerProvider); nil
	// means no tracing.
	TracerProvider trace.TracerProvider
}

// SharedStore is the state several verifier processes behind one address
// share (verifier/etcdstore implements it): challenges issued by one are
// accepted once by any, and OpenID4VP transactions are answered once.
type SharedStore interface {
	verifier.ChallengeStore
	openid4vp.TransactionStore
	// PurgeChallenges deletes the records of challenges expired at now.
	PurgeChallenges(ctx context.Context, now time.Time) (int, error)
	// PurgeTransactions deletes the transactions Gone at now
	// (openid4vp.Transaction.Gone).
	PurgeTransactions(ctx context.Context, now time.Time) (int, error)
	// SigningKey returns the request-signing key every process shares,
	// sealed with sealer in the store.
	SigningKey(ctx context.Context, sealer *keys.Sealer) (*keys.Key, error)
	// Close releases the store.
	Close() error
}

// boltState is verifier.db as a SharedStore (one process).
type boltState struct {
	*boltstore.Store
	txs *boltstore.Transactions
	db  *bbolt.DB
}

func openBoltState(dir string) (*boltState, error) {
	db, err := boltkv.Open(filepath.Join(dir, "verifier.db"))
	if err != nil {
		return nil, err
	}
	store, err := boltstore.Open(db)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	txs, err := boltstore.OpenTransactions(db)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &boltState{Store: store, txs: txs, db: db}, nil
}

func (b *boltState) Create(ctx context.Context, t *openid4vp.Transaction) error {
	return b.txs.Create(ctx, t)
}
func (b *boltState) Get(ctx context.Context, id string, now time.Time) (*openid4vp.Transaction, error) {
	return b.txs.Get(ctx, id, now)
}
func (b *boltState) Complete(ctx context.Context, id string, result json.RawMessage, now time.Time) error {
	return b.txs.Complete(ctx, id, result, now)
}
func (b *boltState) PurgeChallenges(_ context.Context, now time.Time) (int, error) {
	return b.Purge(now)
}
func (b *boltState) PurgeTransactions(_ context.Context, now time.Time) (int, error) {
	return b.txs.PurgeTransactions(now)
}
func (b *boltState) SigningKey(_ context.Context, sealer *keys.Sealer) (*keys.Key, error) {
	return b.txs.SigningKey(sealer)
}
func (b *boltState) Close() error { return b.db.Close() }

// ServiceOpenID4VP configures the service's OpenID4VP endpoints.
type ServiceOpenID4VP struct {
	// APIKey authenticates relying-party back ends (empty: requests
	// cannot be created).
	APIKey string
	// BaseURL is the verifier's public URL as wallets reach it.
	BaseURL string
	// SigningSecret (at least 16 bytes), when set, seals the verifier's
	// request-object signing key in verifier.db; the verifier is then
	// did:jwk of that key and signs requests (decentralized_identifier:
	// client id). Without it requests use redirect_uri: client ids.
	SigningSecret []byte
	// Lifetime of a request (openid4vp.DefaultLifetime when 0).
	Lifetime time.Duration
}

// Service is the verifier service: the SDK core, its state (verifier.db on
// bbolt, or a SharedStore), and the HTTP handler.
type Service struct {
	store    SharedStore
	vp       bool // OpenID4VP transactions are served (and purged)
	verifier *verifier.Verifier
	handler  http.Handler
	purge    time.Duration
	closeMu  sync.Once
	closeErr error
}

// NewService opens the data directory (or takes cfg.Store) and builds the
// service.
func NewService(cfg ServiceConfig) (*Service, error) {
	store := cfg.Store
	if store == nil {
		if cfg.DataDir == "" {
			return nil, fmt.Errorf("%w: verifier service needs a data directory", verifier.ErrConfig)
		}
		b, err := openBoltState(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("verifier service: %w", err)
		}
		store = b
	}
	vc := cfg.Verifier
	vc.ChallengeStore = store
	if vc.Logger == nil {
		vc.Logger = cfg.Logger
	}
	v, err := verifier.New(vc)
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("verifier service: %w", err)
	}
	opts := Options{Logger: cfg.Logger, Registry: cfg.Registry, MaxBodyBytes: cfg.MaxBodyBytes, MaxJSONDepth: cfg.MaxJSONDepth, Profiles: cfg.Profiles,
		Ready: cfg.Ready, RateLimit: cfg.RateLimit, TracerProvider: cfg.TracerProvider}
	svc := &Service{store: store, verifier: v, purge: cfg.PurgeInterval}
	if cfg.OpenID4VP != nil {
		if opts.OpenID4VP, err = svc.openID4VP(*cfg.OpenID4VP); err != nil {
			_ = store.Close()
			return nil, fmt.Errorf("verifier service: %w", err)
		}
	}
	svc.handler = New(v, opts)
	return svc, nil
}

// openID4VP configures the transactions and the signing key.
func (s *Service) openID4VP(c ServiceOpenID4VP) (*OpenID4VPOptions, error) {
	s.vp = true
	o := &OpenID4VPOptions{APIKey: c.APIKey, BaseURL: c.BaseURL, Store: s.store, Lifetime: c.Lifetime}
	if len(c.SigningSecret) == 0 {
		return o, nil
	}
	sealer, err := keys.NewSealer(c.SigningSecret)
	if err != nil {
		return nil, fmt.Errorf("%w: openid4vp signing secret: %w", verifier.ErrConfig, err)
	}
	k, err := s.store.SigningKey(context.Background(), sealer)
	if err != nil {
		return nil, err
	}
	d, kid, err := did.JWKDID(k.Public)
	if err != nil {
		return nil, fmt.Errorf("openid4vp signing key: %w", err)
	}
	o.Signer = &openid4vp.Signer{DID: d, KeyID: kid, Key: k}
	return o, nil
}

// Handler returns the HTTP handler.
func (s *Service) Handler() http.Handler { return s.handler }

// Verifier returns the SDK core the service uses.
func (s *Service) Verifier() *verifier.Verifier { return s.verifier }

// Run purges the records of used, expired challenges (and expired OpenID4VP
// transactions) every purge interval until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	interval := s.purge
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
			if _, err := s.store.PurgeChallenges(ctx, now); err != nil && ctx.Err() == nil {
				return fmt.Errorf("verifier service: %w", err)
			}
			if !s.vp {
				continue
			}
			if _, err := s.store.PurgeTransactions(ctx, now); err != nil && ctx.Err() == nil {
				slog.Default().Warn("openid4vp: purge transactions", "err", err)
			}
		}
	}
}

// Close closes the data store. It is safe to call more than once.
func (s *Service) Close() error {
	s.closeMu.Do(func() {
		if err := s.store.Close(); err != nil {
			s.closeErr = fmt.Errorf("verifier service: close: %w", err)
		}
	})
	return s.closeErr
}
