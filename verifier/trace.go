package verifier

import "context"

// Tracer receives one span per verification and one per check, so that a deployment can see
// where a verification spends its time and which check refused it. The SDK knows no tracing
// library: an adapter (pkg/otelx for OpenTelemetry) implements Tracer. A nil Tracer means no
// tracing.
//
// Start begins a span named name as a child of the span in ctx and returns the context that
// carries it (outbound fetches made under it, did:web documents and status lists, become its
// children) and the function that ends it. End is called exactly once with the outcome and
// the stable code of what the span covered: for a check, its Outcome ("passed", "failed",
// "warning", "skipped", or "none" when the check recorded nothing) and its Code; for a
// verification, "verified" or "not_verified" and the first error code. The verifier never
// hands a Tracer claim values, subject identifiers or credentials.
type Tracer interface {
	Start(ctx context.Context, name string) (context.Context, func(outcome, code string))
}

// Span names.
const (
	// SpanCredential covers one credential verification.
	SpanCredential = "verifier.credential"
	// SpanPresentation covers one presentation verification.
	SpanPresentation = "verifier.presentation"
	// SpanCheckPrefix starts the name of a check's span: "verifier.check." + the check name
	// (CheckFormat, CheckSignature, ...). The recognition refusal made before any key is
	// fetched is "verifier.check.recognition_precheck".
	SpanCheckPrefix = "verifier.check."
)

// outcomeNone is the outcome of a check span under which no check was recorded.
const outcomeNone = "none"

func noEnd() {}

// traceCheck starts the span of check name; the returned function ends it with the outcome of
// the last check of that name recorded in r meanwhile.
func (v *Verifier) traceCheck(ctx context.Context, r *Result, name string) (context.Context, func()) {
	if v.tracer == nil {
		return ctx, noEnd
	}
	ctx, end := v.tracer.Start(ctx, SpanCheckPrefix+name)
	from := len(r.Checks)
	check := name
	if name == spanPrecheck {
		check = CheckRecognition
	}
	return ctx, func() {
		outcome, code := outcomeNone, ""
		for _, c := range r.Checks[from:] {
			if c.Name == check {
				outcome, code = string(c.Outcome), string(c.Code)
			}
		}
		end(outcome, code)
	}
}

// spanPrecheck names the span of preRecognise.
const spanPrecheck = "recognition_precheck"

// traceVerification starts the span of a whole verification (SpanCredential or
// SpanPresentation); the returned function ends it with the result.
func (v *Verifier) traceVerification(ctx context.Context, name string) (context.Context, func(r *Result)) {
	if v.tracer == nil {
		return ctx, func(*Result) {}
	}
	ctx, end := v.tracer.Start(ctx, name)
	return ctx, func(r *Result) {
		switch {
		case r == nil:
			end(outcomeNone, "")
		case r.Verified:
			end("verified", "")
		default:
			end("not_verified", string(r.FirstError()))
		}
	}
}
