// Package otelx is idport's one place that knows the OpenTelemetry SDK: it builds a tracer
// provider exporting spans over OTLP (HTTP/protobuf or gRPC), wraps outbound HTTP transports
// so they make a client span and carry the W3C traceparent header, and adapts the tracer to
// the verifier SDK's small Tracer interface (which it satisfies without importing the SDK).
//
// Tracing is off unless a binary builds a Provider: every method of a nil *Provider returns
// the "no tracing" value of what it returns (nil), so callers wire it unconditionally.
//
// Span attributes are closed sets chosen here and by the callers: route templates, methods,
// status codes, check names, outcomes and stable error codes. No URL, header, claim, subject
// identifier or credential is ever recorded.
package otelx

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Protocols of the OTLP exporter.
const (
	ProtocolHTTP = "http" // OTLP/HTTP with protobuf bodies (default port 4318)
	ProtocolGRPC = "grpc" // OTLP/gRPC (default port 4317)
)

// DefaultTracesPath is the OTLP/HTTP path used when the endpoint URL has none.
const DefaultTracesPath = "/v1/traces"

// instrumentation names the tracer of idport's own spans.
const instrumentation = "github.com/idport/idport"

// ErrConfig marks an unusable tracing configuration.
var ErrConfig = errors.New("otelx: invalid tracing configuration")

// Config configures New.
type Config struct {
	// Endpoint is the collector's URL: http://host:4318 (plain) or https://host:4318 for
	// OTLP/HTTP, whose path defaults to /v1/traces; http://host:4317 or https://host:4317 for
	// OTLP/gRPC. Empty means tracing off: New returns a nil Provider.
	Endpoint string
	// Protocol is ProtocolHTTP (default) or ProtocolGRPC.
	Protocol string
	// Service names the service in the resource (service.name: "idport-verifier", ...).
	Service string
	// Version is the service.version resource attribute (optional).
	Version string
	// Sampler chooses which traces are recorded; nil means the parent's choice, or every
	// trace at the root.
	Sampler sdktrace.Sampler
	// BatchTimeout bounds how long a finished span waits in the batch before export
	// (default 5 s, the SDK's).
	BatchTimeout time.Duration
}

// Provider is a running tracer provider with its exporter.
type Provider struct {
	tp *sdktrace.TracerProvider
}

// New builds the tracer provider cfg describes, or returns nil (tracing off) when
// cfg.Endpoint is empty. Nothing is sent before the first span ends; an unreachable collector
// only costs dropped spans, logged by the OpenTelemetry SDK.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if cfg.Endpoint == "" {
		return nil, nil
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: OTLP endpoint %q: want an http:// or https:// URL with a host", ErrConfig, cfg.Endpoint)
	}
	var exp sdktrace.SpanExporter
	switch strings.ToLower(cfg.Protocol) {
	case "", ProtocolHTTP:
		if u.Path == "" || u.Path == "/" {
			u.Path = DefaultTracesPath
		}
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
	case ProtocolGRPC:
		exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(u.String()))
	default:
		return nil, fmt.Errorf("%w: OTLP protocol %q: want http or grpc", ErrConfig, cfg.Protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("otelx: OTLP exporter: %w", err)
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", cfg.Service)}
	if cfg.Version != "" {
		attrs = append(attrs, attribute.String("service.version", cfg.Version))
	}
	var batch []sdktrace.BatchSpanProcessorOption
	if cfg.BatchTimeout > 0 {
		batch = append(batch, sdktrace.WithBatchTimeout(cfg.BatchTimeout))
	}
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithBatcher(exp, batch...),
		sdktrace.WithResource(resource.NewSchemaless(attrs...)),
	}
	if cfg.Sampler != nil {
		opts = append(opts, sdktrace.WithSampler(cfg.Sampler))
	}
	return &Provider{tp: sdktrace.NewTracerProvider(opts...)}, nil
}

// Shutdown exports the spans still batched and stops the exporter; ctx bounds the wait. It is
// a no-op on a nil Provider.
func (p *Provider) Shutdown(ctx context.Context) error {
	if p == nil {
		return nil
	}
	if err := p.tp.Shutdown(ctx); err != nil {
		return fmt.Errorf("otelx: shutdown: %w", err)
	}
	return nil
}

// TracerProvider returns the provider for instrumentation that takes one (pkg/httpx), or nil
// when tracing is off.
func (p *Provider) TracerProvider() trace.TracerProvider {
	if p == nil {
		return nil
	}
	return p.tp
}
