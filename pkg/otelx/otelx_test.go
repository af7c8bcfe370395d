package otelx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestNewOffAndInvalid(t *testing.T) {
	p, err := New(context.Background(), Config{})
	if p != nil || err != nil {
		t.Fatalf("no endpoint: %v %v, want tracing off", p, err)
	}
	// Every method of a nil Provider is "no tracing".
	if p.TracerProvider() != nil || p.Transport(SpanStatusList) != nil || p.Checks() != nil || p.Shutdown(context.Background()) != nil {
		t.Fatal("a nil Provider must hand out nil values")
	}
	for _, cfg := range []Config{
		{Endpoint: "collector:4318"},
		{Endpoint: "ftp://collector"},
		{Endpoint: "http://collector:4318", Protocol: "udp"},
	} {
		if _, err := New(context.Background(), cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", cfg, err)
		}
	}
	for _, proto := range []string{ProtocolHTTP, ProtocolGRPC} {
		p, err := New(context.Background(), Config{Endpoint: "http://127.0.0.1:1", Protocol: proto, Service: "idport-test"})
		if err != nil || p == nil {
			t.Fatalf("%s: %v", proto, err)
		}
		if err := p.Shutdown(context.Background()); err != nil {
			t.Errorf("%s shutdown: %v", proto, err)
		}
	}
}

func TestTransportMakesAClientSpanAndPropagates(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Traceparent")
	}))
	defer srv.Close()
	ctx, parent := tp.Tracer("test").Start(context.Background(), "check")
	client := &http.Client{Transport: WrapTransport(tp, SpanStatusList)(nil)}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/status/1?subject=did:example:alice", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	parent.End()
	if req.Header.Get("Traceparent") != "" {
		t.Error("the caller's request was changed")
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	fetch := spans[0]
	if fetch.Name() != SpanStatusList || fetch.SpanKind() != trace.SpanKindClient || fetch.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Errorf("fetch span %q kind %v parent %v", fetch.Name(), fetch.SpanKind(), fetch.Parent().SpanID())
	}
	want := "00-" + fetch.SpanContext().TraceID().String() + "-" + fetch.SpanContext().SpanID().String() + "-01"
	if got != want {
		t.Errorf("traceparent %q, want %q", got, want)
	}
	for _, kv := range fetch.Attributes() {
		if kv.Key != "http.request.method" && kv.Key != "http.response.status_code" {
			t.Errorf("unexpected attribute %s=%s", kv.Key, kv.Value.Emit())
		}
	}
}

func TestCheckTracer(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, end := NewCheckTracer(tp).Start(context.Background(), "verifier.check.status")
	if !trace.SpanContextFromContext(ctx).IsValid() {
		t.Fatal("Start must return the span's context")
	}
	end("failed", "revoked")
	s := rec.Ended()[0]
	attrs := map[string]string{}
	for _, kv := range s.Attributes() {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	if s.Name() != "verifier.check.status" || attrs["idport.outcome"] != "failed" || attrs["idport.code"] != "revoked" || len(attrs) != 2 {
		t.Errorf("%s %v", s.Name(), attrs)
	}
}
