package httpx

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/buildinfo"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"
)

const (
	requestIDKey = "idport.request_id"
	loggerKey    = "idport.logger"
	maxBodyKey   = "idport.max_body"
	rawBodyKey   = "idport.raw_body"
	maxDepthKey  = "idport.max_depth"
	// RequestIDHeader carries the request id in and out.
	RequestIDHeader = "X-Request-Id"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// Options configures NewEngine.
type Options struct {
	// Name labels metrics and logs ("registry", "issuer", "verifier").
	Name string
	// Logger receives one JSON line per request; nil means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxJSONDepth limits JSON nesting; zero means DefaultMaxJSONDepth.
	MaxJSONDepth int
	// Ready reports readiness for /readyz; nil means always ready.
	Ready func() error
	// Registry receives the HTTP metrics and idport_build_info; nil means a fresh registry with
	// Go and process collectors.
	Registry *prometheus.Registry
	// RateLimit, when set with a positive Rate, limits each client's request rate (429).
	RateLimit *RateLimit
	// TrustedProxies may name the client in X-Forwarded-For (addresses or CIDRs); by default
	// none: the peer address is the client's (rate limits cannot be dodged with a header).
	TrustedProxies []string
	// TracerProvider, when set, makes a server span per request named by its route template,
	// continuing the W3C traceparent of the caller; nil means no tracing.
	TracerProvider trace.TracerProvider
}

// NewEngine returns a gin engine with idport's middleware and the /healthz, /readyz and /metrics
// endpoints. Unknown routes and methods answer problem+json, and so do panics.
func NewEngine(o Options) *gin.Engine {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxJSONDepth <= 0 {
		o.MaxJSONDepth = DefaultMaxJSONDepth
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := newMetrics(o.Name, o.Registry)
	// Health probes and metrics scrapes are not access-logged.
	quiet := map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

	e := gin.New()
	if err := e.SetTrustedProxies(o.TrustedProxies); err != nil {
		o.Logger.Error("ignoring invalid trusted proxies", "service", o.Name, "err", err)
		_ = e.SetTrustedProxies(nil)
	}
	e.HandleMethodNotAllowed = true
	e.ContextWithFallback = true
	e.Use(func(c *gin.Context) {
		start := time.Now()
		id := c.GetHeader(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Header(RequestIDHeader, id)
		c.Set(requestIDKey, id)
		// The request-scoped logger is built only if a handler asks for it (LoggerFrom): most
		// requests log nothing but the access line below.
		c.Set(loggerKey, &requestLogger{base: o.Logger, id: id})
		c.Set(maxBodyKey, o.MaxBodyBytes)
		c.Set(maxDepthKey, o.MaxJSONDepth)
		c.Set(rawBodyKey, c.Request.Body)
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, o.MaxBodyBytes+1)
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		status := c.Writer.Status()
		method := methodLabel(c.Request.Method)
		m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route, method).Observe(elapsed.Seconds())
		if !quiet[c.Request.URL.Path] {
			o.Logger.LogAttrs(c.Request.Context(), slog.LevelInfo, "http request", slog.String("request_id", id),
				slog.String("service", o.Name), slog.String("method", c.Request.Method), slog.String("route", route),
				slog.Int("status", status), slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.Int("bytes", c.Writer.Size()))
		}
	})
	if o.TracerProvider != nil {
		e.Use(traceRequests(o.TracerProvider, quiet))
	}
	e.Use(gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, rec any) {
		LoggerFrom(c).Error("panic while serving request", "panic", rec)
		WriteProblem(c, Problem{Status: http.StatusInternalServerError, Code: CodeInternal,
			Detail: "internal error; see the server log for this request id"})
	}))
	if o.RateLimit != nil && o.RateLimit.Rate > 0 {
		e.Use(newLimiter(*o.RateLimit).middleware(quiet))
	}
	e.NoRoute(func(c *gin.Context) {
		WriteProblem(c, Problem{Status: http.StatusNotFound, Code: CodeNotFound, Detail: "no such endpoint: " + c.Request.URL.Path})
	})
	e.NoMethod(func(c *gin.Context) {
		WriteProblem(c, Problem{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
			Detail: "method " + c.Request.Method + " is not allowed on " + c.Request.URL.Path})
	})
	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", func(c *gin.Context) {
		if o.Ready != nil {
			if err := o.Ready(); err != nil {
				WriteProblem(c, Problem{Status: http.StatusServiceUnavailable, Code: CodeNotReady, Detail: err.Error()})
				return
			}
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{Registry: o.Registry})))
	return e
}

// requestLogger is the request-scoped logger of one request, made on first use (handlers may
// ask for it from several goroutines).
type requestLogger struct {
	base   *slog.Logger
	id     string
	once   sync.Once
	logger *slog.Logger
}

func (r *requestLogger) get() *slog.Logger {
	r.once.Do(func() { r.logger = r.base.With("request_id", r.id) })
	return r.logger
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(service string, reg *prometheus.Registry) *metrics {
	labels := prometheus.Labels{"service": service}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "idport_http_requests_total",
			Help: "HTTP requests by route template, method and status.", ConstLabels: labels}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "idport_http_request_duration_seconds",
			Help: "HTTP request latency by route template and method.", ConstLabels: labels,
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.duration)
	registerBuildInfo(reg)
	return m
}

// registerBuildInfo exports idport_build_info{version,commit,go_version} 1, once per registry
// (several engines may share one).
func registerBuildInfo(reg *prometheus.Registry) {
	info := buildinfo.Get()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "idport_build_info",
		Help:        "The running idport build: always 1, labelled with its version, VCS commit and Go version.",
		ConstLabels: prometheus.Labels{"version": info.Version, "commit": info.Commit, "go_version": info.GoVersion}})
	g.Set(1)
	var already prometheus.AlreadyRegisteredError
	if err := reg.Register(g); err != nil && !errors.As(err, &already) {
		panic(err) // a collector with the same name but other labels: a programming error, like MustRegister's
	}
}

// methodLabel maps a request method to a metric label from a closed set:
// the methods of RFC 9110 and PATCH as they are, anything else "other"
// (a client choosing methods must not grow the series without bound).
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "other"
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// BearerToken returns the token of an "Authorization: Bearer <token>" header, or "".
func BearerToken(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	const prefix = "Bearer "
	if len(h) > len(prefix) && (h[:len(prefix)] == prefix || h[:len(prefix)] == "bearer ") {
		return h[len(prefix):]
	}
	return ""
}
