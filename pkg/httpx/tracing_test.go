package httpx

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func TestServerSpanPerRequest(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	e := NewEngine(Options{Name: "test", TracerProvider: tp})
	var inHandler trace.SpanContext
	e.GET("/status/bitstring/:list", func(c *gin.Context) {
		inHandler = trace.SpanContextFromContext(c.Request.Context())
		c.Status(http.StatusNoContent)
	})
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req := httptest.NewRequest(http.MethodGet, "/status/bitstring/secret-list-id?x=1", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	e.ServeHTTP(httptest.NewRecorder(), req)
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/healthz", nil))

	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want one (probes are not traced)", len(spans))
	}
	s := spans[0]
	if s.Name() != "GET /status/bitstring/:list" || s.SpanKind() != trace.SpanKindServer {
		t.Errorf("span %q kind %v", s.Name(), s.SpanKind())
	}
	if s.SpanContext().TraceID().String() != traceID || s.Parent().SpanID().String() != parentID {
		t.Errorf("the caller's traceparent was not continued: trace %s parent %s", s.SpanContext().TraceID(), s.Parent().SpanID())
	}
	if inHandler.SpanID() != s.SpanContext().SpanID() {
		t.Error("the handler does not run under the request's span")
	}
	for _, kv := range s.Attributes() {
		if v := kv.Value.Emit(); v == "/status/bitstring/secret-list-id?x=1" || v == "secret-list-id" {
			t.Errorf("attribute %s carries the path: %s", kv.Key, v)
		}
	}
}

func TestRequestLoggerCarriesTraceID(t *testing.T) {
	var buf bytes.Buffer
	tp := sdktrace.NewTracerProvider()
	e := NewEngine(Options{Name: "test", TracerProvider: tp, Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	e.GET("/x", func(c *gin.Context) {
		LoggerFrom(c).Info("in handler")
		c.Status(http.StatusNoContent)
	})
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	req.Header.Set(RequestIDHeader, "req-1")
	e.ServeHTTP(httptest.NewRecorder(), req)
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, `"in handler"`) {
			if !strings.Contains(line, `"trace_id":"`+traceID+`"`) || !strings.Contains(line, `"request_id":"req-1"`) {
				t.Errorf("handler log line lacks the trace or request id: %s", line)
			}
			return
		}
	}
	t.Fatalf("no handler log line in %s", buf.String())
}
