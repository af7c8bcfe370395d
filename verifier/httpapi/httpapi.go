// Package httpapi serves the verifier over HTTP, following the W3C VC-API
// (VCALM) verifier endpoints:
//
//	POST /credentials/verify    {"verifiableCredential": <object|string>, "options": {...}}
//	POST /presentations/verify  {"verifiablePresentation": <object|string>, "options": {"challenge", "domain", ...}}
//	POST /challenges            -> {"challenge": "...", "expires": "..."}
//	POST /documents/verify      {"document": <OpenAttestation v2 object>, "options": {...}}
//
// A verify answer is {"verified", "errors", "warnings", "results",
// "recognition", "claims"}. Status codes follow the W3C VC-API verifier
// test suite where it and the VCALM text differ: 200 only when verified;
// 400 with the full result body when the credential or presentation was
// examined and not verified (including malformed credentials and
// unsupported formats); 422 (problem+json, code not_a_credential) when the
// request does not carry a credential or presentation at all (the member
// is missing, or is neither an object nor a string). Request-level
// failures (content type, body size, JSON depth, malformed JSON) are
// problem+json from pkg/httpx: 415, 413, 400.
//
// Besides challenge and domain, "options" may narrow the verifier's policy
// for one request, never loosen it: jurisdictions, schemes,
// credentialTypes (lists intersected with the configured ones),
// minAssurance (raised only), requiredClaims (added, local names),
// stripClaims (strip instead of accept disclosures outside the
// cross-border allow-list) and holderBinding (subject, holder-signed,
// none: weaker than the service's only when the service allows it, else
// 400 holder_binding_not_allowed).
//
// Handlers are thin: decode, one call into package verifier, render.
package httpapi

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/dcql"
	"github.com/idport/idport/verifier/openid4vp"
	"github.com/idport/idport/verifier/profiles"
	"go.opentelemetry.io/otel/trace"
)

// Stable problem codes of this API (besides pkg/httpx's and the SDK's
// sentinel errors').
const (
	// CodeNotACredential: the request carries no credential or presentation
	// (also the code of verifier.ErrNotCredential).
	CodeNotACredential = "not_a_credential"
	// CodeNotVerified is the problem code of a 400 verification answer.
	CodeNotVerified = "not_verified"
	// CodeChallengeUnavailable: a challenge could not be issued.
	CodeChallengeUnavailable = "challenge_unavailable"
)

// statuses is this API's one table of error codes (pkg/errs) to HTTP
// statuses; every error is rendered through it. Request-level failures of
// pkg/httpx (content type, body size, JSON depth, malformed JSON) keep
// their own statuses. A verification that fails is not an error: it is a
// 400 answer with the full result (see answer); the SDK reports the
// failures of pkg/vcld, pkg/vcjwt and the challenge store as result codes,
// so their error codes never reach this table. Any other error is an
// internal error: logged, answered 500 without detail.
var statuses = httpx.Statuses{
	CodeNotACredential:       http.StatusUnprocessableEntity,
	httpx.CodeMalformedJSON:  http.StatusBadRequest,
	CodeChallengeUnavailable: http.StatusServiceUnavailable,

	verifier.CodeHolderBindingNotAllowed: http.StatusBadRequest,
	verifier.CodeHolderBindingUnknown:    http.StatusBadRequest,

	// OpenID4VP (openid4vp.go)
	httpx.CodeUnauthorized:               http.StatusUnauthorized,
	CodeOpenID4VPDisabled:                http.StatusServiceUnavailable,
	dcql.ErrInvalidQuery.Code:            http.StatusBadRequest,
	dcql.ErrNotSatisfied.Code:            http.StatusBadRequest,
	openid4vp.ErrInvalidRequest.Code:     http.StatusBadRequest,
	openid4vp.ErrInvalidResponse.Code:    http.StatusBadRequest,
	openid4vp.ErrResponseNotBound.Code:   http.StatusBadRequest,
	openid4vp.ErrOverDisclosure.Code:     http.StatusBadRequest,
	openid4vp.ErrTransactionUnknown.Code: http.StatusNotFound,
	openid4vp.ErrTransactionDone.Code:    http.StatusConflict,

	// Relying-party profiles (profiles.go); profiles.CodeUnauthorized is
	// httpx's unauthorized (401).
	profiles.CodeProfileNotFound:  http.StatusNotFound,
	profiles.CodeProfileForbidden: http.StatusForbidden,
}

// Options configures the handler.
type Options struct {
	// Logger receives access and error logs (slog.Default when nil).
	Logger *slog.Logger
	// Registry receives the HTTP metrics (a fresh one when nil).
	Registry *prometheus.Registry
	// MaxBodyBytes and MaxJSONDepth bound requests (httpx defaults when 0).
	MaxBodyBytes int64
	MaxJSONDepth int
	// OpenID4VP configures the OpenID4VP endpoints (openid4vp.go); nil
	// leaves them answering 503 openid4vp_disabled. Without an API key only
	// the profile routes (/profiles/{name}/openid4vp/...) create requests.
	OpenID4VP *OpenID4VPOptions
	// Profiles are the relying-party profiles served under
	// /profiles/{name}/ (profiles.go, and OpenID4VP under
	// /profiles/{name}/openid4vp/); nil answers 404 profile_not_found.
	Profiles *profiles.Set
	// Ready reports readiness for /readyz (default: the verifier's Ready).
	Ready func() error
	// RateLimit, when set with a positive Rate, limits each client's requests (429 with
	// Retry-After): a relying party holding the OpenID4VP API key by that key, any other
	// client by its address.
	RateLimit *httpx.RateLimit
	// TracerProvider, when set, traces every request (httpx.Options.TracerProvider); nil
	// means no tracing.
	TracerProvider trace.TracerProvider
}

// New returns the verifier's HTTP handler (a gin engine from pkg/httpx
// with /healthz, /readyz and /metrics). /readyz fails while the
// verifier's trust source is not ready or stale.
func New(v *verifier.Verifier, o Options) *gin.Engine {
	if o.Ready == nil {
		o.Ready = v.Ready
	}
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	e := httpx.NewEngine(httpx.Options{
		Name: "verifier", Logger: o.Logger, Registry: reg,
		MaxBodyBytes: o.MaxBodyBytes, MaxJSONDepth: o.MaxJSONDepth,
		Ready: o.Ready, RateLimit: rateLimitByAPIKey(o.RateLimit, o.OpenID4VP),
		TracerProvider: o.TracerProvider,
	})
	h := &handlers{v: v, outcomes: newOutcomeCounters(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "idport_verifier_verifications_total",
		Help: "Verifications by kind (credential, presentation, document), format and outcome (verified or the first error code).",
	}, []string{"kind", "format", "outcome"}))}
	reg.MustRegister(h.outcomes.vec)
	e.POST("/credentials/verify", h.verifyCredential)
	e.POST("/presentations/verify", h.verifyPresentation)
	e.POST("/documents/verify", h.verifyDocument)
	e.POST("/challenges", h.challenge)
	h.routesProfiles(e, o.Profiles)
	mountOpenID4VP(e, v, o.OpenID4VP, o.Profiles)
	return e
}

// rateLimitByAPIKey returns rl keyed "openid4vp" for a request bearing the OpenID4VP API key
// (nil stays nil).
func rateLimitByAPIKey(rl *httpx.RateLimit, vp *OpenID4VPOptions) *httpx.RateLimit {
	if rl == nil {
		return nil
	}
	out := *rl
	out.Principal = func(c *gin.Context) string {
		if vp != nil && vp.APIKey != "" && subtle.ConstantTimeCompare([]byte(httpx.BearerToken(c)), []byte(vp.APIKey)) == 1 {
			return "openid4vp"
		}
		return ""
	}
	return &out
}

type handlers struct {
	v        *verifier.Verifier
	outcomes *outcomeCounters
	profiles *profiles.Set
}

// Options of a verify request. challenge and domain are VC-API's; the rest
// narrows the verifier's policy for this request (never loosens it).
type requestOptions struct {
	Challenge string `json:"challenge,omitempty"`
	Domain    string `json:"domain,omitempty"`
	verifier.RequestPolicy
}

// readVerifyRequest reads the body of a verify request, {member: <credential or
// presentation>, "options": {...}}, and returns the credential or presentation as the bytes of
// the request (see payload) with the options decoded (see decodeOptions). Members other than
// these two are ignored. The credential is not decoded here: the verifier reads it once, from these bytes.
func readVerifyRequest(c *gin.Context, member string) ([]byte, requestOptions, error) {
	var opts requestOptions
	members, err := httpx.DecodeMembers(c)
	if err != nil {
		return nil, opts, err
	}
	var doc []byte
	for _, m := range members {
		switch m.Name {
		case member:
			doc = m.Value
		case "options":
			if err := decodeOptions(c, m.Value, &opts); err != nil {
				return nil, opts, err
			}
		}
	}
	raw, err := payload(doc, member)
	return raw, opts, err
}

// Response is the body of a verify answer.
type Response struct {
	Verified    bool                  `json:"verified"`
	Errors      []ProblemDetail       `json:"errors"`
	Warnings    []ProblemDetail       `json:"warnings"`
	Results     Results               `json:"results"`
	Recognition *verifier.Recognition `json:"recognition,omitempty"`
	Claims      map[string]any        `json:"claims,omitempty"`
}

// ProblemDetail is an error or warning in VCALM's problem details shape
// with idport's stable code.
type ProblemDetail struct {
	Type   string `json:"type"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"`
}

// Results carries the explanation of a verify answer.
type Results struct {
	Format      string                `json:"format,omitempty"`
	Checks      []verifier.Check      `json:"checks"`
	Issuer      string                `json:"issuer,omitempty"`
	Subject     string                `json:"subject,omitempty"`
	Holder      string                `json:"holder,omitempty"`
	Types       []string              `json:"types,omitempty"`
	ValidFrom   *time.Time            `json:"validFrom,omitempty"`
	ValidUntil  *time.Time            `json:"validUntil,omitempty"`
	Status      *verifier.StatusInfo  `json:"status,omitempty"`
	Statuses    []verifier.StatusInfo `json:"statuses,omitempty"`
	Disclosed   []string              `json:"disclosed,omitempty"`
	Stripped    []string              `json:"stripped,omitempty"`
	Credentials []Response            `json:"credentials,omitempty"`
	// Document reports an OpenAttestation document's facts (/documents/verify).
	Document *verifier.DocumentInfo `json:"document,omitempty"`
}

// ProblemTypeBase prefixes the type URI of every problem detail.
const ProblemTypeBase = "https://idport.dev/problems#"

func problems(ps []verifier.Problem) []ProblemDetail {
	out := make([]ProblemDetail, len(ps))
	for i, p := range ps {
		out[i] = ProblemDetail{Type: ProblemTypeBase + string(p.Code), Code: string(p.Code), Title: string(p.Code), Detail: p.Message}
	}
	return out
}

// Render converts a verifier.Result into the HTTP answer body.
func Render(r *verifier.Result) Response {
	resp := Response{
		Verified: r.Verified, Errors: problems(r.Errors), Warnings: problems(r.Warnings),
		Recognition: r.Recognition, Claims: r.Claims,
		Results: Results{
			Format: string(r.Format), Checks: r.Checks, Issuer: r.Issuer, Subject: r.Subject, Holder: r.Holder,
			Types: r.Types, Status: r.Status, Statuses: r.Statuses, Disclosed: r.Disclosed, Stripped: r.Stripped,
			Document: r.Document,
		},
	}
	if resp.Results.Checks == nil {
		resp.Results.Checks = []verifier.Check{}
	}
	if !r.ValidFrom.IsZero() {
		t := r.ValidFrom
		resp.Results.ValidFrom = &t
	}
	if !r.ValidUntil.IsZero() {
		t := r.ValidUntil
		resp.Results.ValidUntil = &t
	}
	for _, c := range r.Credentials {
		resp.Results.Credentials = append(resp.Results.Credentials, Render(c))
	}
	return resp
}

// payload returns the credential bytes of a request member as they came:
// an object, or a JSON string with its quotes, so that the SDK knows it was
// a string (only a compact JWS or SD-JWT may be one). Anything else is not
// a credential (422).
func payload(raw []byte, member string) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, errs.Errorf(CodeNotACredential, "the request has no %s", member)
	}
	switch raw[0] {
	case '{':
		return raw, nil
	case '"':
		if bytes.IndexByte(raw, '\\') >= 0 {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, errs.Wrap(httpx.CodeMalformedJSON, member+" is not a valid JSON string", err)
			}
			if s == "" {
				return nil, errs.Errorf(CodeNotACredential, "%s is an empty string", member)
			}
		} else if len(raw) <= 2 {
			return nil, errs.Errorf(CodeNotACredential, "%s is an empty string", member)
		}
		return raw, nil
	}
	return nil, errs.Errorf(CodeNotACredential, "%s must be an object or a string", member)
}

// policy returns the verifier's policy narrowed by the request's options;
// a request weakening the holder binding without the service's leave, or
// naming an unknown mode, fails with the SDK's coded error (400 in statuses).
func (h *handlers) policy(c *gin.Context, o requestOptions) (*verifier.Policy, error) {
	p, err := h.basePolicy(c).NarrowChecked(o.RequestPolicy)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func (h *handlers) verifyCredential(c *gin.Context) {
	raw, opts, err := readVerifyRequest(c, "verifiableCredential")
	if err != nil {
		statuses.Write(c, err)
		return
	}
	p, err := h.policy(c, opts)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	res, err := h.v.VerifyCredentialWith(c.Request.Context(), raw, verifier.CredentialOptions{Policy: p})
	h.answer(c, "credential", res, err)
}

func (h *handlers) verifyPresentation(c *gin.Context) {
	raw, opts, err := readVerifyRequest(c, "verifiablePresentation")
	if err != nil {
		statuses.Write(c, err)
		return
	}
	p, err := h.policy(c, opts)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	res, err := h.v.VerifyPresentation(c.Request.Context(), raw, verifier.PresentationOptions{
		Challenge: opts.Challenge, Domain: opts.Domain, Policy: p, ChallengeAudience: challengeAudience(c),
	})
	h.answer(c, "presentation", res, err)
}

func (h *handlers) answer(c *gin.Context, kind string, res *verifier.Result, err error) {
	if err != nil {
		statuses.Write(c, err)
		return
	}
	status, outcome := http.StatusOK, "verified"
	if !res.Verified {
		status, outcome = http.StatusBadRequest, string(res.FirstError())
	}
	h.outcomes.inc(kind, string(res.Format), outcome)
	writeResult(c, status, res)
}

func (h *handlers) challenge(c *gin.Context) {
	ch, exp, err := h.v.IssueChallengeFor(c.Request.Context(), challengeAudience(c))
	if err != nil {
		statuses.Write(c, errs.Wrap(CodeChallengeUnavailable, "a challenge could not be issued", err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"challenge": ch, "expires": exp.UTC().Format(time.RFC3339)})
}
