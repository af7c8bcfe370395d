package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/idport/idport/pkg/buildinfo"
	"github.com/idport/idport/pkg/otelx"
)

// tracingShutdownTimeout bounds the export of the last spans when a service stops.
const tracingShutdownTimeout = 5 * time.Second

// tracingFlags are the OpenTelemetry flags of the three services. Tracing is off unless
// --otlp-endpoint is given.
type tracingFlags struct {
	endpoint, protocol string
}

func (f *tracingFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.endpoint, "otlp-endpoint", "", "OpenTelemetry collector URL receiving traces over OTLP, e.g. http://127.0.0.1:4318 (http) or http://127.0.0.1:4317 (grpc); https:// uses TLS; empty: tracing off")
	fs.StringVar(&f.protocol, "otlp-protocol", otelx.ProtocolHTTP, "OTLP transport: http (protobuf over HTTP; the path defaults to /v1/traces) or grpc")
}

// start builds the service's tracer provider (nil when tracing is off) and returns the
// function that exports the spans still batched and stops it; call it when the service has
// stopped serving.
func (f *tracingFlags) start(ctx context.Context, service string, logger *slog.Logger) (*otelx.Provider, func(), error) {
	p, err := otelx.New(ctx, otelx.Config{Endpoint: f.endpoint, Protocol: f.protocol,
		Service: "idport-" + service, Version: buildinfo.Get().Version})
	if err != nil {
		return nil, nil, fmt.Errorf("--otlp-endpoint/--otlp-protocol: %w", err)
	}
	if p == nil {
		return nil, func() {}, nil
	}
	logger.Info("tracing on", "otlp_endpoint", f.endpoint, "otlp_protocol", f.protocol)
	return p, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tracingShutdownTimeout)
		defer cancel()
		if err := p.Shutdown(sctx); err != nil {
			logger.Warn("tracing: last spans not exported", "err", err)
		}
	}, nil
}
