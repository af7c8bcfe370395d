// Package httpapi serves the trust registry over HTTP with gin: public queries (object lists,
// TRQP v2 authorization and recognition, signed snapshots with long-poll) and the regulators'
// admin API under /admin/v1. Handlers are thin: decode, validate, one Backend call, render.
package httpapi

import (
	"context"
	"crypto/x509"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Backend is what the handlers need from the registry service (trustregistry.Service).
type Backend interface {
	Ready() error
	Index() *trustregistry.Index
	Decide(ctx context.Context, q trustregistry.Query) (trustregistry.Decision, error)
	DecideRecognition(ctx context.Context, q trustregistry.RecognitionQuery, asOf uint64) (trustregistry.Decision, error)
	Snapshot() (trustregistry.SnapshotRecord, bool)
	WaitSnapshot(ctx context.Context, after uint64) (trustregistry.SnapshotRecord, bool)
	Rotations(ctx context.Context) ([]trustregistry.SnapshotRecord, error)
	PublicKeyJWK() ([]byte, error)
	SignJWS(typ string, payload []byte) ([]byte, error)

	Authenticate(ctx context.Context, token string) (trustregistry.Account, error)
	AccountForCert(ctx context.Context, cert *x509.Certificate) (trustregistry.Account, error)
	CreateAccount(ctx context.Context, actor *trustregistry.Account, name string, roles []trustregistry.Role) (trustregistry.Account, string, error)
	ListAccounts(ctx context.Context, actor trustregistry.Account) ([]trustregistry.Account, error)
	DisableAccount(ctx context.Context, actor trustregistry.Account, name string) (trustregistry.Account, error)
	RotateToken(ctx context.Context, actor trustregistry.Account, name string) (string, error)
	Propose(ctx context.Context, actor trustregistry.Account, cs trustregistry.ChangeSet, reason string, ttl time.Duration) (*trustregistry.Proposal, error)
	GetProposal(ctx context.Context, id string) (*trustregistry.Proposal, error)
	ListProposals(ctx context.Context, f trustregistry.ProposalFilter) ([]*trustregistry.Proposal, error)
	Approve(ctx context.Context, actor trustregistry.Account, id, comment string) (*trustregistry.Proposal, error)
	Reject(ctx context.Context, actor trustregistry.Account, id, reason string) (*trustregistry.Proposal, error)
	History(ctx context.Context, kind trustregistry.Kind, id string) ([]trustregistry.Revision, error)
	Audit(ctx context.Context, actor trustregistry.Account, after uint64, limit int) ([]trustregistry.AuditRecord, error)
	VerifyAudit(ctx context.Context, actor trustregistry.Account) (trustregistry.AuditReport, error)
	RotateKeyAs(ctx context.Context, actor trustregistry.Account) ([]byte, error)
	SpoolBackup(ctx context.Context, actor trustregistry.Account) (*boltkv.Spool, error)
	GetIdempotency(ctx context.Context, key string) (trustregistry.IdempotencyRecord, error)
	PutIdempotency(ctx context.Context, r trustregistry.IdempotencyRecord) error
	FinishIdempotency(ctx context.Context, r trustregistry.IdempotencyRecord) error
	DeleteIdempotency(ctx context.Context, key string) error
}

// Options tunes the HTTP layer.
type Options struct {
	// MaxBodyBytes limits request bodies (default 4 MiB: change sets can be large).
	MaxBodyBytes int64
	// AuthFailures failed authentications per client IP within AuthWindow before 429 (default 10 per minute).
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
	b       Backend
	o       Options
	limiter *limiter
}

// New returns the registry's gin engine.
func New(b Backend, o Options, logger *slog.Logger) *gin.Engine {
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
	a := &api{b: b, o: o, limiter: newLimiter(o.AuthFailures, o.AuthWindow, o.Now)}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "idport_registry_version", Help: "Current registry version (applied change sets)."},
			func() float64 { return float64(b.Index().Version()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "idport_registry_snapshot_sequence", Help: "Sequence of the latest signed snapshot."},
			func() float64 { r, _ := b.Snapshot(); return float64(r.Sequence) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "idport_registry_authorities", Help: "Authorities in the registry."},
			func() float64 { return float64(len(b.Index().IDs(trustregistry.KindAuthority))) }))
	e := httpx.NewEngine(httpx.Options{Name: "registry", Logger: logger, MaxBodyBytes: o.MaxBodyBytes, Ready: b.Ready, Registry: reg})
	if err := e.SetTrustedProxies(o.TrustedProxies); err != nil {
		logger.Error("ignoring invalid trusted proxies", "err", err)
		_ = e.SetTrustedProxies(nil)
	}
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
	e.POST("/authorization", a.authorization)
	e.POST("/recognition", a.recognition)

	adm := e.Group("/admin/v1", a.authenticate, a.idempotency)
	adm.GET("/whoami", a.whoami)
	adm.GET("/accounts", a.listAccounts)
	adm.POST("/accounts", a.createAccount)
	adm.POST("/accounts/:id/disable", a.disableAccount)
	adm.POST("/accounts/:id/token", a.rotateToken)
	adm.GET("/proposals", a.listProposals)
	adm.POST("/proposals", a.propose)
	adm.GET("/proposals/:id", a.getProposal)
	adm.POST("/proposals/:id/approve", a.approve)
	adm.POST("/proposals/:id/reject", a.reject)
	adm.GET("/history/:kind/:id", a.history)
	adm.GET("/audit", a.audit)
	adm.GET("/audit/verify", a.verifyAudit)
	adm.POST("/key/rotate", a.rotateKey)
	adm.GET("/backup", a.backup)
	return e
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
