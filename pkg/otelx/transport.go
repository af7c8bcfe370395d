package otelx

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Span names of the outbound fetches Transport is used for.
const (
	SpanDIDWeb     = "did:web fetch"
	SpanStatusList = "status list fetch"
	SpanRegistry   = "registry fetch"
	// SpanFederation names the OpenID Federation fetches (entity configurations, subordinate
	// statements, trust mark status) of trust chain resolution.
	SpanFederation = "federation fetch"
)

// Transport returns a transport wrapper (did.NetOptions.WrapTransport,
// replica.Config.WrapTransport) whose every round trip is a client span named name, child of
// the span in the request's context, with the W3C traceparent header injected. It returns nil
// (no wrapping) on a nil Provider.
func (p *Provider) Transport(name string) func(http.RoundTripper) http.RoundTripper {
	if p == nil {
		return nil
	}
	return WrapTransport(p.tp, name)
}

// WrapTransport is Provider.Transport for any tracer provider.
func WrapTransport(tp trace.TracerProvider, name string) func(http.RoundTripper) http.RoundTripper {
	tracer := tp.Tracer(instrumentation)
	return func(next http.RoundTripper) http.RoundTripper {
		if next == nil {
			next = http.DefaultTransport
		}
		return &transport{next: next, tracer: tracer, name: name}
	}
}

type transport struct {
	next   http.RoundTripper
	tracer trace.Tracer
	name   string
}

// RoundTrip makes the client span. Only the method and the response status are recorded: the
// URL may name a holder's did:web document.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, span := t.tracer.Start(req.Context(), t.name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("http.request.method", methodLabel(req.Method))))
	defer span.End()
	out := req.Clone(ctx) // a RoundTripper must not change the caller's request
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(out.Header))
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		span.SetStatus(codes.Error, "request failed")
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 500 {
		span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
	}
	return resp, nil
}

// methodLabel keeps the method attribute in a closed set.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "other"
}
