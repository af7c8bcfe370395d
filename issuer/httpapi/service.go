package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/httpx"
	"go.opentelemetry.io/otel/trace"
)

// ServiceConfig configures the issuer service of the idport binary: the engine over a Store
// its caller opened (issuer/boltstore.Open), and the HTTP handler in front of it.
type ServiceConfig struct {
	// Issuer configures the engine. Its Store is required; the Service owns it from the call
	// to NewService on: NewService closes it when it fails, Close closes it.
	Issuer issuer.Config
	// Logger receives access, error and engine logs; nil means slog.Default(). It is also the
	// engine's logger when Issuer.Logger is nil.
	Logger *slog.Logger
	// Registry receives Prometheus metrics; nil means a fresh registry.
	Registry *prometheus.Registry
	// MaxBodyBytes bounds request bodies (default 256 KiB).
	MaxBodyBytes int64
	// Refresh, when positive, makes Run reload keys, API keys and status entries from the
	// Store at this interval (issuer.Issuer.Follow), for issuer processes sharing one Store.
	Refresh time.Duration
	// Ready reports readiness for /readyz (nil: the engine's Issuer.Ready).
	Ready func() error
	// RateLimit limits each client's requests (see Options.RateLimit); nil: no limit.
	RateLimit *httpx.RateLimit
	// TracerProvider, when set, traces every request (httpx.Options.TracerProvider); nil
	// means no tracing.
	TracerProvider trace.TracerProvider
}

// Service is a running issuer: engine, store and HTTP handler.
type Service struct {
	is      *issuer.Issuer
	tenants []*issuer.Issuer
	vci     *openid4vci.Service
	store   issuer.Store
	handler http.Handler
	refresh time.Duration
}

// NewService opens the issuer over cfg.Issuer.Store: it loads (or, the first time, generates)
// the keys, the status entries and the API keys, and builds the handler.
func NewService(ctx context.Context, cfg ServiceConfig) (*Service, error) {
	if cfg.Issuer.Logger == nil {
		cfg.Issuer.Logger = cfg.Logger
	}
	is, err := issuer.New(ctx, cfg.Issuer)
	if err != nil {
		if cfg.Issuer.Store != nil {
			_ = cfg.Issuer.Store.Close()
		}
		return nil, err
	}
	vci, err := newOpenID4VCI(is, cfg)
	if err != nil {
		_ = cfg.Issuer.Store.Close()
		return nil, err
	}
	// Every tenant of the store gets its engine, over the same configuration.
	tenants, err := issuer.OpenTenants(ctx, cfg.Issuer)
	if err != nil {
		_ = cfg.Issuer.Store.Close()
		return nil, err
	}
	// Readiness: the caller's check (cmd/idport passes a ReadyWatch that logs changes and checks
	// the engine), else the engine's own (an enforcing registry check that cannot answer).
	ready := cfg.Ready
	if ready == nil {
		ready = is.Ready
	}
	h := New(is, Options{Logger: cfg.Logger, Registry: cfg.Registry, MaxBodyBytes: cfg.MaxBodyBytes, OpenID4VCI: vci, Tenants: tenants,
		Ready: ready, RateLimit: cfg.RateLimit, TracerProvider: cfg.TracerProvider})
	return &Service{is: is, tenants: tenants, vci: vci, store: cfg.Issuer.Store, handler: h, refresh: cfg.Refresh}, nil
}

// Handler returns the HTTP handler (VC-API, well-known documents, status lists, backup,
// health, metrics).
func (s *Service) Handler() http.Handler { return s.handler }

// Issuer returns the engine for in-process use.
func (s *Service) Issuer() *issuer.Issuer { return s.is }

// Tenants returns the engines of the deployment's tenants, by name.
func (s *Service) Tenants() []*issuer.Issuer { return s.tenants }

// DID returns the DID the issuer currently signs as.
func (s *Service) DID() string { return s.is.DID() }

// CreateAPIKey creates an API key with scopes (credential type names, "*", or
// issuer.ScopeAdmin) and returns its token; only its hash is stored.
func (s *Service) CreateAPIKey(ctx context.Context, name string, scopes ...string) (string, error) {
	return s.is.CreateAPIKey(ctx, name, scopes)
}

// Run purges expired OpenID4VCI state until ctx ends (status lists are signed on demand) and,
// with ServiceConfig.Refresh, follows the Store's changes made by other issuer processes.
func (s *Service) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.vci.Run(ctx) })
	if s.refresh > 0 {
		for _, is := range append([]*issuer.Issuer{s.is}, s.tenants...) {
			g.Go(func() error { return is.Follow(ctx, s.refresh) })
		}
	}
	return g.Wait()
}

// OpenID4VCI returns the OpenID4VCI service for in-process use.
func (s *Service) OpenID4VCI() *openid4vci.Service { return s.vci }

// newOpenID4VCI builds the OpenID4VCI service: its state goes into the engine's Store when that
// Store provides an OpenID4VCI store (issuer/boltstore does), else into memory.
func newOpenID4VCI(is *issuer.Issuer, cfg ServiceConfig) (*openid4vci.Service, error) {
	var st openid4vci.Store
	if p, ok := cfg.Issuer.Store.(interface{ OpenID4VCIStore() openid4vci.Store }); ok {
		st = p.OpenID4VCIStore()
	} else {
		st = openid4vci.NewMemStore()
		if cfg.Logger != nil {
			cfg.Logger.Warn("the issuer store keeps no OpenID4VCI state: offers and tokens live in memory only")
		}
	}
	return openid4vci.New(openid4vci.Config{Issuer: is, Store: st, Clock: cfg.Issuer.Clock, Logger: cfg.Issuer.Logger})
}

// Close closes the engine and the store.
func (s *Service) Close() error {
	s.is.Close()
	for _, t := range s.tenants {
		t.Close()
	}
	if err := s.store.Close(); err != nil {
		return fmt.Errorf("closing issuer store: %w", err)
	}
	return nil
}
