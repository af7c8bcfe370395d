package otelx

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Attribute keys of the verifier's spans.
const (
	AttrOutcome = attribute.Key("idport.outcome")
	AttrCode    = attribute.Key("idport.code")
)

// CheckTracer is the verifier SDK's Tracer (verifier.Tracer) over OpenTelemetry: Start makes
// an internal span; its end function records the outcome and the stable code, nothing else.
type CheckTracer interface {
	Start(ctx context.Context, name string) (context.Context, func(outcome, code string))
}

// Checks returns the verifier's tracer, or nil (no tracing) on a nil Provider.
func (p *Provider) Checks() CheckTracer {
	if p == nil {
		return nil
	}
	return NewCheckTracer(p.tp)
}

// NewCheckTracer returns a CheckTracer over tp.
func NewCheckTracer(tp trace.TracerProvider) CheckTracer {
	return checkTracer{tracer: tp.Tracer(instrumentation)}
}

type checkTracer struct{ tracer trace.Tracer }

func (t checkTracer) Start(ctx context.Context, name string) (context.Context, func(outcome, code string)) {
	ctx, span := t.tracer.Start(ctx, name)
	return ctx, func(outcome, code string) {
		span.SetAttributes(AttrOutcome.String(outcome))
		if code != "" {
			span.SetAttributes(AttrCode.String(code))
		}
		span.End()
	}
}
