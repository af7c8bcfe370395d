package openapicoverage

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/verifier"
)

func init() {
	// Compact JWS bodies (snapshots, signed TRQP answers, status lists) are strings to the spec.
	for _, ct := range []string{"application/jose", "application/vc+jwt", "application/statuslist+jwt"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// liveSpec loads docs/openapi.yaml with its references resolved and checks it as kin-openapi
// reads OpenAPI 3.1 (JSON Schema 2020-12).
func liveSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("docs/openapi.yaml is not a valid OpenAPI description: %v", err)
	}
	return doc
}

// exchange is one live call: a request sent to a service and the operation of the spec it
// exercises (its path template, with the method of the request).
type exchange struct {
	// Template is the documented path ("/v1/authorities/{id}"); URL the one called.
	Template, URL string
	// Method is the HTTP method; Body, when not nil, is sent as JSON, else Raw when not empty
	// (as application/json, whatever it holds).
	Method string
	Body   any
	Raw    string
	// Token is a bearer token; Accept an Accept header.
	Token, Accept string
	// Want is the status the call must answer.
	Want int
}

// liveChecker sends exchanges and validates every answer against the spec.
type liveChecker struct {
	t      *testing.T
	ctx    context.Context
	spec   *openapi3.T
	client *http.Client
}

// do sends e, requires its status and validates the answer against the schema the spec gives
// for e's operation, that status and the answer's media type; it returns the body.
func (c *liveChecker) do(e exchange) []byte {
	c.t.Helper()
	req, err := e.request(c.ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", e.Method, e.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read answer: %v", e.Method, e.URL, err)
	}
	if resp.StatusCode != e.Want {
		c.t.Fatalf("%s %s: HTTP %d, want %d: %s", e.Method, e.Template, resp.StatusCode, e.Want, body)
	}
	if err := validateAnswer(c.ctx, c.spec, e.Template, req, resp, body); err != nil {
		c.t.Error(err)
	}
	return body
}

func (e exchange) request(ctx context.Context) (*http.Request, error) {
	var body io.Reader
	if e.Body != nil {
		b, err := json.Marshal(e.Body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", e.Method, e.Template, err)
		}
		body = bytes.NewReader(b)
	} else if e.Raw != "" {
		body = strings.NewReader(e.Raw)
	}
	req, err := http.NewRequestWithContext(ctx, e.Method, e.URL, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", e.Method, e.Template, err)
	}
	if e.Body != nil || e.Raw != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if e.Token != "" {
		req.Header.Set("Authorization", "Bearer "+e.Token)
	}
	if e.Accept != "" {
		req.Header.Set("Accept", e.Accept)
	}
	return req, nil
}

// validateAnswer checks a live answer with openapi3filter.ValidateResponse: its status must be
// documented for the operation, its media type documented for that status, and its body must
// match the schema; an error names the operation, the status, the media type and, for each
// mismatch, the JSON path in the body.
func validateAnswer(ctx context.Context, spec *openapi3.T, template string, req *http.Request, resp *http.Response, body []byte) error {
	where := fmt.Sprintf("%s %s -> %d %s", req.Method, template, resp.StatusCode, resp.Header.Get("Content-Type"))
	item := spec.Paths.Find(template)
	if item == nil {
		return fmt.Errorf("%s: path not in docs/openapi.yaml", where)
	}
	op := item.GetOperation(req.Method)
	if op == nil {
		return fmt.Errorf("%s: method not documented", where)
	}
	route := &routers.Route{Spec: spec, Path: template, PathItem: item, Method: req.Method, Operation: op}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route, Options: opts},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return fmt.Errorf("%s: %s", where, describe(err))
	}
	return nil
}

// validateProblem checks an answer of a route the spec does not list (an unknown path) against
// components.responses.Problem.
func validateProblem(spec *openapi3.T, what string, resp *http.Response, body []byte) error {
	where := fmt.Sprintf("%s -> %d %s", what, resp.StatusCode, resp.Header.Get("Content-Type"))
	mt := spec.Components.Responses["Problem"].Value.Content.Get(resp.Header.Get("Content-Type"))
	if mt == nil {
		return fmt.Errorf("%s: not the media type of components.responses.Problem", where)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := mt.Schema.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.EnableJSONSchema2020(), openapi3.VisitAsResponse()); err != nil {
		return fmt.Errorf("%s: %s", where, describe(err))
	}
	return nil
}

// describe lists the schema mismatches of a validation error, each with its JSON path in the
// body ("/results/checks/0/outcome"), or returns the error's text.
func describe(err error) string {
	var lines []string
	var walk func(error)
	walk = func(err error) {
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				walk(e)
			}
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			lines = append(lines, fmt.Sprintf("at /%s: %s", strings.Join(se.JSONPointer(), "/"), se.Reason))
			return
		}
		lines = append(lines, err.Error())
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && re.Err != nil {
		lines = append(lines, re.Reason)
		walk(re.Err)
	} else {
		walk(err)
	}
	return strings.Join(lines, "; ")
}

// TestLiveAnswersMatchOpenAPI starts a trust registry, an issuer and a verifier (internal/stack),
// calls their main routes and validates every answer against docs/openapi.yaml.
func TestLiveAnswersMatchOpenAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three services")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	spec := liveSpec(t)
	s, reg, is, _, err := stack.NewDemoWorld(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.StartVerifier(ctx, "lingang-verifier", reg, verifier.Policy{LocalScheme: demoseed.LocalScheme,
		AssuranceLevels: []string{"L1", "L2", "L3"}, MinAssurance: "L3"}, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c := &liveChecker{t: t, ctx: ctx, spec: spec, client: &http.Client{Timeout: 10 * time.Second}}

	for _, base := range []string{reg.URL, is.URL, v.URL} {
		c.do(exchange{Method: http.MethodGet, Template: "/healthz", URL: base + "/healthz", Want: http.StatusOK})
		c.do(exchange{Method: http.MethodGet, Template: "/readyz", URL: base + "/readyz", Want: http.StatusOK})
		c.do(exchange{Method: http.MethodGet, Template: "/metrics", URL: base + "/metrics", Want: http.StatusOK})
		checkUnknownPath(t, c, base)
	}
	t.Run("registry", func(t *testing.T) { liveRegistry(c.with(t), reg.URL, is.DID) })
	t.Run("issuer and verifier", func(t *testing.T) { liveIssuerVerifier(c.with(t), is, v.URL) })
}

func (c *liveChecker) with(t *testing.T) *liveChecker {
	d := *c
	d.t = t
	return &d
}

// checkUnknownPath: an unknown path answers a problem+json 404 of the Problem schema.
func checkUnknownPath(t *testing.T, c *liveChecker, base string) {
	t.Helper()
	resp, err := c.client.Get(base + "/no-such-route")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET %s/no-such-route: HTTP %d, want 404", base, resp.StatusCode)
	}
	if err := validateProblem(c.spec, "GET /no-such-route", resp, body); err != nil {
		t.Error(err)
	}
}

// liveRegistry calls the registry's public lists and objects, its snapshot and TRQP.
func liveRegistry(c *liveChecker, base, issuerDID string) {
	get := func(template, path string, want int) []byte {
		return c.do(exchange{Method: http.MethodGet, Template: template, URL: base + path, Want: want})
	}
	get("/v1/registry", "/v1/registry", http.StatusOK)
	for _, kind := range []string{"jurisdictions", "schemes", "authorities", "agreements", "recognitions"} {
		var page struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(get("/v1/"+kind, "/v1/"+kind+"?limit=10", http.StatusOK), &page); err != nil || len(page.Items) == 0 {
			c.t.Fatalf("/v1/%s: no items (%v)", kind, err)
		}
		id, _ := page.Items[0]["id"].(string)
		if kind == "jurisdictions" {
			id, _ = page.Items[0]["code"].(string)
		}
		get("/v1/"+kind+"/{id}", "/v1/"+kind+"/"+id, http.StatusOK)
	}
	get("/v1/authorities/{id}", "/v1/authorities/no-such-authority", http.StatusNotFound)
	get("/v1/jurisdictions", "/v1/jurisdictions?limit=0", http.StatusBadRequest)
	get("/v1/snapshot", "/v1/snapshot", http.StatusOK)
	get("/v1/snapshot/key", "/v1/snapshot/key", http.StatusOK)
	get("/v1/snapshot/rotations", "/v1/snapshot/rotations", http.StatusOK)

	query := map[string]any{"entity_id": issuerDID, "authority_id": demoseed.LocalScheme, "action": "issue", "resource": demoseed.Type}
	c.do(exchange{Method: http.MethodPost, Template: "/authorization", URL: base + "/authorization", Body: query, Want: http.StatusOK})
	c.do(exchange{Method: http.MethodPost, Template: "/authorization", URL: base + "/authorization?signed=true", Body: query, Want: http.StatusOK})
	c.do(exchange{Method: http.MethodPost, Template: "/authorization", URL: base + "/authorization", Body: map[string]any{}, Want: http.StatusBadRequest})
	c.do(exchange{Method: http.MethodPost, Template: "/recognition", URL: base + "/recognition",
		Body: map[string]any{"entity_id": demoseed.ForeignScheme, "authority_id": demoseed.LocalScheme}, Want: http.StatusOK})
}

// businessSubject is the subject of the BusinessRegistration credentials the live test issues.
var businessSubject = map[string]any{"id": "did:example:acme-sg", "uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
	"registeredAddress": "1 Marina Boulevard, Singapore 018989", "incorporationDate": "2019-04-02",
	"entityType": "Private Company Limited by Shares"}

// liveIssuerVerifier issues credentials, changes a status, reads the issuer's documents and
// status lists, and verifies a credential (200, then 400 once suspended) and a presentation.
func liveIssuerVerifier(c *liveChecker, is *stack.Issuer, verifierURL string) {
	get := func(template, path, accept string, want int) []byte {
		return c.do(exchange{Method: http.MethodGet, Template: template, URL: is.URL + path, Accept: accept, Want: want})
	}
	for _, p := range []string{"/.well-known/did.json", "/did.json", "/.well-known/jwks.json", "/.well-known/jwt-vc-issuer",
		"/credential-types", "/.well-known/openid-credential-issuer", "/.well-known/oauth-authorization-server"} {
		get(p, p, "", http.StatusOK)
	}
	get("/types/{name}", "/types/"+demoseed.Type, "", http.StatusOK)
	get("/types/{name}", "/types/NoSuchType", "", http.StatusNotFound)

	issue := func(format string, extra map[string]any) []byte {
		req := map[string]any{"type": demoseed.Type, "format": format, "credentialSubject": businessSubject}
		for k, v := range extra {
			req[k] = v
		}
		return c.do(exchange{Method: http.MethodPost, Template: "/credentials/issue", URL: is.URL + "/credentials/issue",
			Token: is.APIKey, Body: req, Want: http.StatusCreated})
	}
	var issued struct {
		VerifiableCredential json.RawMessage `json:"verifiableCredential"`
	}
	if err := json.Unmarshal(issue("vc+jwt", nil), &issued); err != nil {
		c.t.Fatal(err)
	}
	c.do(exchange{Method: http.MethodPost, Template: "/credentials/issue", URL: is.URL + "/credentials/issue",
		Token: is.APIKey, Body: map[string]any{"type": "NoSuchType"}, Want: http.StatusBadRequest})
	c.do(exchange{Method: http.MethodPost, Template: "/credentials/issue", URL: is.URL + "/credentials/issue",
		Body: map[string]any{"type": demoseed.Type}, Want: http.StatusUnauthorized})
	verify := exchange{Method: http.MethodPost, Template: "/credentials/verify", URL: verifierURL + "/credentials/verify",
		Body: map[string]any{"verifiableCredential": issued.VerifiableCredential}, Want: http.StatusOK}
	c.do(verify)

	id := credentialID(c.t, issued.VerifiableCredential)
	var changed struct {
		StatusEntry struct {
			Set uint32 `json:"set"`
		} `json:"statusEntry"`
	}
	body := c.do(exchange{Method: http.MethodPost, Template: "/credentials/status", URL: is.URL + "/credentials/status",
		Token: is.APIKey, Body: map[string]any{"credentialId": id, "action": "suspend"}, Want: http.StatusOK})
	if err := json.Unmarshal(body, &changed); err != nil {
		c.t.Fatal(err)
	}
	list := fmt.Sprintf("/status/bitstring/suspension-%d", changed.StatusEntry.Set)
	get("/status/bitstring/{list}", list, "", http.StatusOK)
	get("/status/bitstring/{list}", list, "application/vc+ld+json", http.StatusOK)
	get("/status/bitstring/{list}", "/status/bitstring/no-such-list", "", http.StatusNotFound)

	verify.Want = http.StatusBadRequest // examined and not verified: suspended (status cached 1 ms)
	c.do(verify)
	verify.Body = map[string]any{"verifiableCredential": "not a credential"}
	c.do(verify) // examined and not verified: malformed
	verify.Body = map[string]any{}
	verify.Want = http.StatusUnprocessableEntity // no credential at all
	c.do(verify)
	verify.Body, verify.Raw, verify.Want = nil, `{"verifiableCredential":`, http.StatusBadRequest // not JSON
	c.do(verify)
	livePresentation(c, is, verifierURL, issue)
}

// livePresentation issues an SD-JWT VC bound to a holder key, reads its token status list and
// presents it with a key binding over a verifier challenge.
func livePresentation(c *liveChecker, is *stack.Issuer, verifierURL string, issue func(string, map[string]any) []byte) {
	holder, err := keys.Generate(keys.EdDSA)
	if err != nil {
		c.t.Fatal(err)
	}
	holderJWK, err := keys.PublicJWK(holder.Public, "")
	if err != nil {
		c.t.Fatal(err)
	}
	var issued struct {
		VerifiableCredential string `json:"verifiableCredential"`
	}
	if err := json.Unmarshal(issue("dc+sd-jwt", map[string]any{"holderJwk": json.RawMessage(holderJWK)}), &issued); err != nil {
		c.t.Fatal(err)
	}
	if list := tokenListPath(c.t, issued.VerifiableCredential, is.URL); list != "" {
		c.do(exchange{Method: http.MethodGet, Template: "/status/token/{list}", URL: is.URL + list, Want: http.StatusOK})
	}

	var ch struct {
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(c.do(exchange{Method: http.MethodPost, Template: "/challenges", URL: verifierURL + "/challenges",
		Want: http.StatusOK}), &ch); err != nil {
		c.t.Fatal(err)
	}
	const aud = "https://verifier.lingang.example"
	vp, err := vcjwt.SignKeyBinding(holder, issued.VerifiableCredential, ch.Challenge, aud, time.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	present := exchange{Method: http.MethodPost, Template: "/presentations/verify", URL: verifierURL + "/presentations/verify",
		Body: map[string]any{"verifiablePresentation": vp, "options": map[string]any{"domain": aud}}, Want: http.StatusOK}
	c.do(present)
	present.Want = http.StatusBadRequest // the challenge was used
	c.do(present)
}

// credentialID reads the id of an enveloped vc+jwt credential from its JWT payload.
func credentialID(t *testing.T, cred json.RawMessage) string {
	t.Helper()
	var env struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(cred, &env); err != nil {
		t.Fatal(err)
	}
	jwt, _ := strings.CutPrefix(env.ID, "data:application/vc+jwt,")
	var payload struct {
		ID string `json:"id"`
	}
	jwtPayload(t, jwt, &payload)
	if payload.ID == "" {
		t.Fatalf("issued credential has no id: %s", cred)
	}
	return payload.ID
}

// tokenListPath returns the path, under the issuer, of an SD-JWT VC's token status list.
func tokenListPath(t *testing.T, sdjwt, issuerURL string) string {
	t.Helper()
	var payload struct {
		Status struct {
			StatusList struct {
				URI string `json:"uri"`
			} `json:"status_list"`
		} `json:"status"`
	}
	jwtPayload(t, strings.SplitN(sdjwt, "~", 2)[0], &payload)
	path, ok := strings.CutPrefix(payload.Status.StatusList.URI, issuerURL)
	if !ok {
		t.Fatalf("SD-JWT VC status list %q is not the issuer's", payload.Status.StatusList.URI)
	}
	return path
}

func jwtPayload(t *testing.T, jwt string, out any) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %.40q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}
