// Package httpapi serves the trust registry over HTTP with gin: public queries (object lists,
// TRQP v2 authorization and recognition, signed snapshots with long-poll) and the regulators'
// admin API under /admin/v1. Handlers are thin: decode, validate, one call of the
// trustregistry.Service, render; every error goes through one code -> status table.
package httpapi

import (
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/authlimit"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/console"
	"github.com/idport/idport/trustregistry/importer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"
)

// Options tunes the HTTP layer.
type Options struct {
	// MaxBodyBytes limits request bodies (default 4 MiB: change sets can be large).
	MaxBodyBytes int64
	// AuthFailures failed authentications per client IP, and per token id, within AuthWindow
	// after which further FAILED attempts are answered 429 (default 10 per minute). A valid
	// credential is never refused.
	AuthFailures int
	AuthWindow   time.Duration
	// MaxWait caps the long-poll wait of GET /v1/snapshot (default 50s, under the server's
	// write timeout).
	MaxWait time.Duration
	// TrustedProxies may set X-Forwarded-For for the rate limiter's client IP; by default none
	// is trusted and the peer address counts (so the limit cannot be dodged with a header).
	TrustedProxies []string
	// Now is the clock for rate limiting (tests).
	Now func() time.Time
	// BackupDir holds the unlinked temporary file a backup is spooled to before it is sent
	// (default: the system's temporary directory). Use the data directory: it is writable
	// even when the root filesystem is read-only, and sized for the data.
	BackupDir string
	// Importer, when set, serves the imports (OpenID Federation, DID, DNS-DID) and the
	// re-check of imported keys under /admin/v1; without it they answer import_unavailable.
	Importer *importer.Importer
	// Console, when set, serves the regulators' web console under /console (Service, Status
	// and an unset Logger are filled in here).
	Console *console.Config
	// PublicURL is the registry's public base URL as foreign parties reach it: its OpenID
	// Federation entity identifier (GET /.well-known/openid-federation). Without it the
	// federation endpoints answer federation_export_unavailable.
	PublicURL string
	// Ready reports readiness for /readyz (default: the service's Ready).
	Ready func() error
	// TracerProvider, when set, traces every request (httpx.Options.TracerProvider); nil
	// means no tracing.
	TracerProvider trace.TracerProvider
}

// Media types.
const (
	ContentTypeJOSE = "application/jose"
	// ResponseType is the JWS typ of signed TRQP answers.
	ResponseType = "idport-trqp-response+jwt"
	// HeaderSequence carries the snapshot sequence of GET /v1/snapshot answers.
	HeaderSequence = "X-Registry-Sequence"
	// HeaderVersion carries the registry version.
	HeaderVersion = "X-Registry-Version"
	// HeaderIdempotencyKey names the idempotency header of admin writes.
	HeaderIdempotencyKey = "Idempotency-Key"
)

type api struct {
	svc     *trustregistry.Service
	o       Options
	limiter *authlimit.Limiter
	gz      gzipCache
}

// New returns the registry's gin engine serving svc: public queries, the admin API under
// /admin/v1 and, when configured, the console under /console.
func New(svc *trustregistry.Service, o Options, logger *slog.Logger) *gin.Engine {
	e, a := newPublic(svc, o, logger)
	a.mountAdmin(e, logger)
	return e
}

// NewSplit returns two engines for two listeners: public serves the public queries only (it
// answers 404 under /admin/v1 and /console), admin serves the admin API and the console (each
// with its own /healthz, /readyz and /metrics). They share the failed-login limiter.
func NewSplit(svc *trustregistry.Service, o Options, logger *slog.Logger) (public, admin *gin.Engine) {
	public, a := newPublic(svc, o, logger)
	admin = httpx.NewEngine(httpx.Options{Name: "registry-admin", Logger: logger, MaxBodyBytes: a.o.MaxBodyBytes, Ready: a.o.Ready,
		TracerProvider: a.o.TracerProvider})
	a.trustProxies(admin, logger)
	a.mountAdmin(admin, logger)
	return public, admin
}

func newPublic(svc *trustregistry.Service, o Options, logger *slog.Logger) (*gin.Engine, *api) {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 4 << 20
	}
	if o.AuthFailures <= 0 {
		o.AuthFailures = 10
	}
	if o.AuthWindow <= 0 {
		o.AuthWindow = time.Minute
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 50 * time.Second // under httpx.WriteTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Ready == nil {
		o.Ready = svc.Ready
	}
	a := &api{svc: svc, o: o, limiter: authlimit.New(o.AuthFailures, o.AuthWindow, o.Now)}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "idport_registry_version", Help: "Current registry version (applied change sets)."},
			func() float64 { return float64(svc.Index().Version()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "idport_registry_snapshot_sequence", Help: "Sequence of the latest signed snapshot."},
			func() float64 { r, _ := svc.Snapshot(); return float64(r.Sequence) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "idport_registry_authorities", Help: "Authorities in the registry."},
			func() float64 { return float64(len(svc.Index().IDs(trustregistry.KindAuthority))) }))
	e := httpx.NewEngine(httpx.Options{Name: "registry", Logger: logger, MaxBodyBytes: o.MaxBodyBytes, Ready: o.Ready, Registry: reg,
		TracerProvider: o.TracerProvider})
	a.trustProxies(e, logger)
	pub := e.Group("/v1")
	pub.GET("/registry", a.registryInfo)
	pub.GET("/openapi.yaml", serveOpenAPI)
	for _, k := range trustregistry.Kinds {
		pub.GET("/"+plural(k), a.list(k))
		pub.GET("/"+plural(k)+"/:id", a.get(k))
	}
	pub.GET("/snapshot", a.snapshot)
	pub.GET("/snapshot/key", a.snapshotKey)
	pub.GET("/snapshot/rotations", a.rotations)
	pub.GET("/snapshot/deltas", a.deltas)
	e.POST("/authorization", a.authorization)
	e.POST("/recognition", a.recognition)
	e.GET("/trusted-list.xml", a.trustedList)
	e.GET("/trusted-list.pem", a.trustedListCert)
	a.federationRoutes(e)
	return e, a
}

func (a *api) trustProxies(e *gin.Engine, logger *slog.Logger) {
	if err := e.SetTrustedProxies(a.o.TrustedProxies); err != nil {
		logger.Error("ignoring invalid trusted proxies", "err", err)
		_ = e.SetTrustedProxies(nil)
	}
}

// mountAdmin registers /admin/v1 and, when configured, /console on e.
func (a *api) mountAdmin(e *gin.Engine, logger *slog.Logger) {
	adm := e.Group("/admin/v1", a.authenticate, a.idempotency)
	adm.GET("/whoami", a.whoami)
	adm.GET("/accounts", a.listAccounts)
	adm.POST("/accounts/:id/token", a.rotateOwnToken)
	adm.DELETE("/accounts/:id/token", a.revokeOwnToken)
	adm.GET("/tokens", a.listTokens)
	adm.GET("/policy", a.policy)
	adm.GET("/proposals", a.listProposals)
	adm.POST("/proposals", a.propose)
	adm.GET("/proposals/:id", a.getProposal)
	adm.POST("/proposals/:id/approve", a.approve)
	adm.POST("/proposals/:id/reject", a.reject)
	adm.GET("/history/:kind/:id", a.history)
	adm.GET("/audit", a.audit)
	adm.GET("/audit/verify", a.verifyAudit)
	adm.GET("/backup", a.backup)
	a.importRoutes(adm)
	adm.POST("/trusted-lists/import", httpx.BodyLimit(importBodyLimit), a.importTrustedList)
	if a.o.Console != nil {
		if err := mountConsole(e, a.svc, *a.o.Console, a.limiter, logger); err != nil {
			logger.Error("the web console is not served", "err", err)
		}
	}
}

// plural maps a kind to its path segment.
func plural(k trustregistry.Kind) string {
	if k == trustregistry.KindAuthority {
		return "authorities"
	}
	if k == trustregistry.KindJurisdiction {
		return "jurisdictions"
	}
	return string(k) + "s"
}

// KindOfPath maps a path segment (plural or singular) back to its kind.
func KindOfPath(p string) (trustregistry.Kind, bool) {
	for _, k := range trustregistry.Kinds {
		if p == plural(k) || p == string(k) {
			return k, true
		}
	}
	return "", false
}
