package verifier_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// recordingTracer is a verifier.Tracer that records each span with its parent's name.
type recordingTracer struct {
	mu    sync.Mutex
	spans []recordedSpan
}

type recordedSpan struct {
	name, parent, outcome, code string
	ended                       bool
}

type spanKey struct{}

func (rt *recordingTracer) Start(ctx context.Context, name string) (context.Context, func(outcome, code string)) {
	parent, _ := ctx.Value(spanKey{}).(string)
	rt.mu.Lock()
	i := len(rt.spans)
	rt.spans = append(rt.spans, recordedSpan{name: name, parent: parent})
	rt.mu.Unlock()
	return context.WithValue(ctx, spanKey{}, name), func(outcome, code string) {
		rt.mu.Lock()
		defer rt.mu.Unlock()
		if rt.spans[i].ended {
			panic("span ended twice: " + name)
		}
		rt.spans[i].outcome, rt.spans[i].code, rt.spans[i].ended = outcome, code, true
	}
}

// spanStatus is a StatusFetcher that remembers the span it was called under.
type spanStatus struct {
	verifier.StatusFetcher
	under string
}

func (s *spanStatus) Lookup(ctx context.Context, ref verifier.StatusRef) (verifier.StatusValue, error) {
	s.under, _ = ctx.Value(spanKey{}).(string)
	return s.StatusFetcher.Lookup(ctx, ref)
}

func TestTracerSpanPerCheck(t *testing.T) {
	ctx := context.Background()
	is := newIssuer(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(7, is.authority())
	from, until := testNow.Add(-24*time.Hour), testNow.Add(365*24*time.Hour)
	for _, tt := range []struct {
		name                string
		raw                 string
		outcome, code       string
		validity, validCode string
	}{
		{"verified", is.joseVC(t, credentialJSON(is.DID, from, until, statusEntry("revocation", "7"))), "verified", "", "passed", ""},
		{"expired", is.joseVC(t, credentialJSON(is.DID, from.Add(-48*time.Hour), testNow.Add(-2*time.Hour), statusEntry("revocation", "7"))),
			"not_verified", "expired", "failed", "expired"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rt := &recordingTracer{}
			st := &spanStatus{StatusFetcher: &fakeStatus{Values: map[string]uint8{}}}
			v, err := verifier.New(verifier.Config{TrustSource: trust, StatusFetcher: st, Clock: testutil.Clock, Tracer: rt})
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.VerifyCredential(ctx, []byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if len(rt.spans) == 0 || rt.spans[0].name != verifier.SpanCredential || rt.spans[0].parent != "" {
				t.Fatalf("first span %+v, want the root %s", rt.spans, verifier.SpanCredential)
			}
			if got := rt.spans[0]; got.outcome != tt.outcome || got.code != tt.code {
				t.Errorf("credential span ended %q %q, want %q %q", got.outcome, got.code, tt.outcome, tt.code)
			}
			checks := map[string]recordedSpan{}
			for _, s := range rt.spans[1:] {
				if !s.ended {
					t.Errorf("span %s never ended", s.name)
				}
				if s.parent != verifier.SpanCredential {
					t.Errorf("span %s has parent %q, want %s", s.name, s.parent, verifier.SpanCredential)
				}
				checks[s.name] = s
			}
			// Every check of the result has its span, ended with the check's outcome and code.
			for _, c := range res.Checks {
				s, ok := checks[verifier.SpanCheckPrefix+c.Name]
				if !ok {
					t.Errorf("no span for check %s", c.Name)
					continue
				}
				if s.outcome != string(c.Outcome) || s.code != string(c.Code) {
					t.Errorf("span of %s ended %q %q, the check is %q %q", c.Name, s.outcome, s.code, c.Outcome, c.Code)
				}
			}
			if s := checks[verifier.SpanCheckPrefix+verifier.CheckValidity]; s.outcome != tt.validity || s.code != tt.validCode {
				t.Errorf("validity span %+v", s)
			}
			if st.under != verifier.SpanCheckPrefix+verifier.CheckStatus {
				t.Errorf("the status list was looked up under span %q, want the status check's", st.under)
			}
		})
	}
}

// Without a Tracer the verifier verifies as before.
func TestNilTracer(t *testing.T) {
	is := newIssuer(t, keys.EdDSA)
	v := newVerifier(t, verifier.NewStaticTrust(7, is.authority()), nil, verifier.Policy{})
	res, err := v.VerifyCredential(context.Background(), []byte(is.joseVC(t, credentialJSON(is.DID, testNow.Add(-time.Hour), testNow.Add(time.Hour), nil))))
	if err != nil || !res.Verified {
		t.Fatalf("%v %+v", err, res)
	}
}
