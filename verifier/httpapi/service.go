package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.etcd.io/bbolt"

	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/boltstore"
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
}

// Service is the verifier service: the SDK core, its challenge store on
// bbolt, and the HTTP handler.
type Service struct {
	db       *bbolt.DB
	store    *boltstore.Store
	verifier *verifier.Verifier
	handler  http.Handler
	purge    time.Duration
	closeMu  sync.Once
	closeErr error
}

// NewService opens the data directory and builds the service.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("%w: verifier service needs a data directory", verifier.ErrConfig)
	}
	db, err := boltkv.Open(filepath.Join(cfg.DataDir, "verifier.db"))
	if err != nil {
		return nil, fmt.Errorf("verifier service: %w", err)
	}
	store, err := boltstore.Open(db)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("verifier service: %w", err)
	}
	vc := cfg.Verifier
	vc.ChallengeStore = store
	if vc.Logger == nil {
		vc.Logger = cfg.Logger
	}
	v, err := verifier.New(vc)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("verifier service: %w", err)
	}
	h := New(v, Options{Logger: cfg.Logger, Registry: cfg.Registry, MaxBodyBytes: cfg.MaxBodyBytes, MaxJSONDepth: cfg.MaxJSONDepth})
	return &Service{db: db, store: store, verifier: v, handler: h, purge: cfg.PurgeInterval}, nil
}

// Handler returns the HTTP handler.
func (s *Service) Handler() http.Handler { return s.handler }

// Verifier returns the SDK core the service uses.
func (s *Service) Verifier() *verifier.Verifier { return s.verifier }

// Run purges the records of used, expired challenges until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	err := s.store.Run(ctx, s.purge)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("verifier service: %w", err)
	}
	return nil
}

// Close closes the data store. It is safe to call more than once.
func (s *Service) Close() error {
	s.closeMu.Do(func() {
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("verifier service: close: %w", err)
		}
	})
	return s.closeErr
}
