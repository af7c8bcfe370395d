package httpx

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceRequests makes one server span per request, named "<method> <route template>", child
// of the W3C traceparent the client sent (if any), and hands its context to the handlers.
// Only the method, the route template and the status are recorded; never the path, query,
// headers or body. Requests to quiet paths (probes, metrics) are not traced.
func traceRequests(tp trace.TracerProvider, quiet map[string]bool) gin.HandlerFunc {
	tracer := tp.Tracer("github.com/idport/idport/pkg/httpx")
	return func(c *gin.Context) {
		if quiet[c.Request.URL.Path] {
			c.Next()
			return
		}
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		method := methodLabel(c.Request.Method)
		ctx := propagation.TraceContext{}.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		ctx, span := tracer.Start(ctx, method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", method), attribute.String("http.route", route)))
		defer span.End()
		c.Request = c.Request.WithContext(ctx)
		if sc := span.SpanContext(); sc.IsValid() {
			// The request logger stays lazy: only its base gains the trace id.
			if v, ok := c.Get(loggerKey); ok {
				if l, ok := v.(*requestLogger); ok {
					c.Set(loggerKey, &requestLogger{base: l.base.With("trace_id", sc.TraceID().String()), id: l.id})
				}
			}
		}
		c.Next()
		status := c.Writer.Status()
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
}
