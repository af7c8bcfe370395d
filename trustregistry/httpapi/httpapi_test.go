package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/boltstore"
	"github.com/idport/idport/trustregistry/httpapi"
	"gopkg.in/yaml.v3"
)

const demoDID = "did:web:registrar.example.sg"

type fixture struct {
	svc    *trustregistry.Service
	h      *gin.Engine
	srv    *httptest.Server
	tokens map[string]string
}

func newFixture(t testing.TB, mut func(*httpapi.Options)) *fixture {
	t.Helper()
	cfg := trustregistry.Config{Store: openStore(t), KeySecret: []byte("0123456789abcdef0123456789abcdef"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var o httpapi.Options
	if mut != nil {
		mut(&o)
	}
	svc, err := trustregistry.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The server starts first so that its URL is the registry's public URL (entity id).
	var h *gin.Engine
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	if o.PublicURL == "" {
		o.PublicURL = srv.URL
	}
	h = httpapi.New(svc, o, cfg.Logger)
	t.Cleanup(func() { srv.Close(); svc.Close() })
	f := &fixture{svc: svc, h: h, srv: srv, tokens: map[string]string{}}
	for name, roles := range map[string][]trustregistry.Role{"alice": {trustregistry.RoleProposer}, "bob": {trustregistry.RoleApprover}, "audrey": {trustregistry.RoleAuditor, trustregistry.RoleAdmin}} {
		_, tok, err := svc.CreateAccount(context.Background(), name, roles)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[name] = tok
	}
	return f
}

// openStore opens a bbolt registry store in a fresh directory.
func openStore(t testing.TB) trustregistry.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "registry.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) admin(name string) *adminclient.Client {
	return adminclient.New(f.srv.URL, f.tokens[name])
}

func (f *fixture) do(t testing.TB, method, path, token, ctype string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func TestEveryAdminRouteNeedsAValidToken(t *testing.T) {
	f := newFixture(t, func(o *httpapi.Options) { o.AuthFailures = 1 << 20 })
	eng := f.h
	n := 0
	for _, r := range eng.Routes() {
		if !strings.HasPrefix(r.Path, "/admin") {
			// Public routes: junk in every input answers below 500.
			path := strings.NewReplacer(":id", "%00x", ":kind", "x").Replace(r.Path) + "?after=x&limit=x&wait=x&signed=x"
			for _, body := range []string{"", "\x00junk", `{"entity_id":{}}`} {
				if resp, b := f.do(t, r.Method, path, "", "application/json", []byte(body)); resp.StatusCode >= 500 && r.Path != "/readyz" {
					t.Errorf("%s %s: %d %s", r.Method, path, resp.StatusCode, b)
				}
			}
			continue
		}
		n++
		path := strings.NewReplacer(":id", "x", ":kind", "authority").Replace(r.Path)
		for _, tok := range []string{"", "not-a-real-token-but-long-enough", f.tokens["alice"] + "x"} {
			resp, body := f.do(t, r.Method, path, tok, "application/json", []byte(`{}`))
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"code":"unauthorized"`) ||
				resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s with token %q: %d %s", r.Method, path, tok, resp.StatusCode, body)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d admin routes found", n)
	}
}

func TestBadInputAnswers4xxProblem(t *testing.T) {
	f := newFixture(t, func(o *httpapi.Options) { o.MaxBodyBytes = 64 << 10 })
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, f.admin("alice"), f.admin("bob"), demoDID, time.Now()); err != nil {
		t.Fatal(err)
	}
	deep := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	big := `{"entity_id":"` + strings.Repeat("a", 70<<10) + `"}`
	alice, bob, audrey := f.tokens["alice"], f.tokens["bob"], f.tokens["audrey"]
	const js = "application/json"
	cases := []struct {
		name, method, path, token, ctype, body string
		status                                 int
		code                                   string
	}{
		{"list bad limit", "GET", "/v1/authorities?limit=0", "", "", "", 400, "bad_parameter"},
		{"list huge limit", "GET", "/v1/schemes?limit=99999", "", "", "", 400, "bad_parameter"},
		{"list non-numeric limit", "GET", "/v1/recognitions?limit=x", "", "", "", 400, "bad_parameter"},
		{"list long cursor", "GET", "/v1/jurisdictions?after=" + strings.Repeat("a", 300), "", "", "", 400, "bad_parameter"},
		{"get unknown", "GET", "/v1/authorities/nope", "", "", "", 404, "not_found"},
		{"get unknown agreement", "GET", "/v1/agreements/nope", "", "", "", 404, "not_found"},
		{"unknown route", "GET", "/v1/nothing", "", "", "", 404, "not_found"},
		{"wrong method", "DELETE", "/v1/authorities", "", "", "", 405, "method_not_allowed"},
		{"snapshot bad after", "GET", "/v1/snapshot?after=-1", "", "", "", 400, "bad_parameter"},
		{"snapshot bad wait", "GET", "/v1/snapshot?after=1&wait=soon", "", "", "", 400, "bad_parameter"},
		{"snapshot negative wait", "GET", "/v1/snapshot?after=1&wait=-5s", "", "", "", 400, "bad_parameter"},
		{"authz malformed", "POST", "/authorization", "", js, `{"entity_id":`, 400, "malformed_json"},
		{"authz trailing", "POST", "/authorization", "", js, `{"entity_id":"x"} {}`, 400, "malformed_json"},
		{"authz wrong type", "POST", "/authorization", "", "text/plain", `{}`, 415, "unsupported_media_type"},
		{"authz no type", "POST", "/authorization", "", "", `{}`, 415, "unsupported_media_type"},
		{"authz deep", "POST", "/authorization", "", js, deep, 400, "json_too_deep"},
		{"authz too large", "POST", "/authorization", "", js, big, 413, "body_too_large"},
		{"authz no entity", "POST", "/authorization", "", js, `{"resource":"X"}`, 400, "validation_failed"},
		{"authz no resource", "POST", "/authorization", "", js, `{"entity_id":"did:web:x"}`, 400, "validation_failed"},
		{"authz bad action", "POST", "/authorization", "", js, `{"entity_id":"did:web:x","resource":"X","action":"delete"}`, 400, "unsupported_action"},
		{"authz bad time", "POST", "/authorization", "", js, `{"entity_id":"did:web:x","resource":"X","context":{"time":"yesterday"}}`, 400, "validation_failed"},
		{"authz context not object", "POST", "/authorization", "", js, `{"entity_id":"did:web:x","resource":"X","context":[1]}`, 400, "validation_failed"},
		{"authz wrong field type", "POST", "/authorization", "", js, `{"entity_id":5}`, 400, "malformed_json"},
		{"recognition no authority", "POST", "/recognition", "", js, `{"entity_id":"sg.corporate"}`, 400, "validation_failed"},
		{"recognition bad action", "POST", "/recognition", "", js, `{"entity_id":"sg.corporate","authority_id":"x","action":"revoke"}`, 400, "unsupported_action"},
		{"recognition issuer without type", "POST", "/recognition", "", js, `{"entity_id":"` + demoDID + `","authority_id":"cn-sh-lg.corporate"}`, 400, "validation_failed"},
		{"recognition malformed", "POST", "/recognition", "", js, `[`, 400, "malformed_json"},
		{"propose malformed", "POST", "/admin/v1/proposals", alice, js, `{`, 400, "malformed_json"},
		{"propose wrong type", "POST", "/admin/v1/proposals", alice, "text/xml", `<x/>`, 415, "unsupported_media_type"},
		{"propose deep", "POST", "/admin/v1/proposals", alice, js, deep, 400, "json_too_deep"},
		{"propose empty", "POST", "/admin/v1/proposals", alice, js, `{"reason":"x","ops":[]}`, 400, "validation_failed"},
		{"propose no reason", "POST", "/admin/v1/proposals", alice, js, `{"ops":[{"op":"upsert_jurisdiction","jurisdiction":{"code":"HK","name":"Hong Kong"}}]}`, 400, "validation_failed"},
		{"propose unknown op", "POST", "/admin/v1/proposals", alice, js, `{"reason":"x","ops":[{"op":"drop"}]}`, 400, "validation_failed"},
		{"propose bad DID", "POST", "/admin/v1/proposals", alice, js, `{"reason":"x","ops":[{"op":"upsert_authority","authority":{"id":"a","scheme":"sg.corporate","legal_name":"A","dids":["did:bad"],"credential_types":["X"]}}]}`, 400, "validation_failed"},
		{"propose unknown ref", "POST", "/admin/v1/proposals", alice, js, `{"reason":"x","ops":[{"op":"upsert_scheme","scheme":{"id":"s","jurisdiction":"ZZ","name":"S","assurance_levels":["a"]}}]}`, 400, "unknown_reference"},
		{"propose overlap", "POST", "/admin/v1/proposals", alice, js, `{"reason":"x","ops":[{"op":"upsert_recognition","recognition":{"id":"r2","local_scheme":"cn-sh-lg.corporate","foreign_scheme":"sg.corporate","agreement":"sg-cn-sh-lg-dea","credential_types":["BusinessRegistration"],"valid_from":"2020-01-01T00:00:00Z"}}]}`, 400, "overlapping_recognition"},
		{"propose bad ttl", "POST", "/admin/v1/proposals", alice, js, `{"reason":"x","ttl":"forever","ops":[{"op":"upsert_jurisdiction","jurisdiction":{"code":"HK","name":"Hong Kong"}}]}`, 400, "bad_parameter"},
		{"propose bad time", "POST", "/admin/v1/proposals", alice, js, `{"reason":"x","ops":[{"op":"set_authority_status","id":"x","status":"suspended","effective_at":"soon"}]}`, 400, "malformed_json"},
		{"propose as approver", "POST", "/admin/v1/proposals", bob, js, `{"reason":"x","ops":[{"op":"upsert_jurisdiction","jurisdiction":{"code":"HK","name":"Hong Kong"}}]}`, 403, "forbidden"},
		{"approve unknown", "POST", "/admin/v1/proposals/nope/approve", bob, "", "", 404, "not_found"},
		{"approve malformed body", "POST", "/admin/v1/proposals/nope/approve", bob, js, `{`, 400, "malformed_json"},
		{"approve as proposer", "POST", "/admin/v1/proposals/nope/approve", alice, "", "", 403, "forbidden"},
		{"reject unknown", "POST", "/admin/v1/proposals/nope/reject", bob, js, `{"reason":"x"}`, 404, "not_found"},
		{"get proposal unknown", "GET", "/admin/v1/proposals/nope", bob, "", "", 404, "not_found"},
		{"list proposals bad status", "GET", "/admin/v1/proposals?status=done", bob, "", "", 400, "bad_parameter"},
		{"list proposals bad limit", "GET", "/admin/v1/proposals?limit=-1", bob, "", "", 400, "bad_parameter"},
		{"history bad kind", "GET", "/admin/v1/history/planet/x", bob, "", "", 400, "bad_parameter"},
		{"history unknown", "GET", "/admin/v1/history/authority/nope", bob, "", "", 404, "not_found"},
		{"audit bad after", "GET", "/admin/v1/audit?after=x", audrey, "", "", 400, "bad_parameter"},
		{"audit bad limit", "GET", "/admin/v1/audit?limit=0", audrey, "", "", 400, "bad_parameter"},
		{"audit as proposer", "GET", "/admin/v1/audit", alice, "", "", 403, "forbidden"},
		{"verify as approver", "GET", "/admin/v1/audit/verify", bob, "", "", 403, "forbidden"},
		{"accounts as proposer", "GET", "/admin/v1/accounts", alice, "", "", 403, "forbidden"},
		{"create account bad role", "POST", "/admin/v1/proposals", audrey, js, `{"reason":"x","ops":[{"op":"create_account","account":{"name":"x","roles":["king"],"token_id":"abcdefgh","token_fingerprint":"abababababababababababababababababababababababababababababababab"}}]}`, 400, "validation_failed"},
		{"create account bad name", "POST", "/admin/v1/proposals", audrey, js, `{"reason":"x","ops":[{"op":"create_account","account":{"name":"a b","roles":["auditor"],"token_id":"abcdefgh","token_fingerprint":"abababababababababababababababababababababababababababababababab"}}]}`, 400, "validation_failed"},
		{"create account exists", "POST", "/admin/v1/proposals", audrey, js, `{"reason":"x","ops":[{"op":"create_account","account":{"name":"alice","roles":["auditor"],"token_id":"abcdefgh","token_fingerprint":"abababababababababababababababababababababababababababababababab"}}]}`, 409, "already_exists"},
		{"create account not admin", "POST", "/admin/v1/proposals", bob, js, `{"reason":"x","ops":[{"op":"create_account","account":{"name":"x","roles":["auditor"],"token_id":"abcdefgh","token_fingerprint":"abababababababababababababababababababababababababababababababab"}}]}`, 403, "forbidden"},
		{"create account no fingerprint", "POST", "/admin/v1/proposals", audrey, js, `{"reason":"x","ops":[{"op":"create_account","account":{"name":"x","roles":["auditor"]}}]}`, 400, "validation_failed"},
		{"create account with a token", "POST", "/admin/v1/proposals", audrey, js, `{"reason":"x","ops":[{"op":"create_account","account":{"name":"x","roles":["auditor"],"token":"idp_abcdefgh_secret"}}]}`, 400, "unknown_field"},
		{"propose misspelt field", "POST", "/admin/v1/proposals", alice, js, `{"reason":"x","ops":[{"op":"upsert_authority","authority":{"id":"a","scheme":"sg.corporate","legal_name":"A","credential_types":["X"],"asurance":"high"}}]}`, 400, "unknown_field"},
		{"propose old body shape", "POST", "/admin/v1/proposals", alice, js, `{"reason":"x","change_set":{"ops":[]}}`, 400, "unknown_field"},
		{"approve misspelt field", "POST", "/admin/v1/proposals/nope/approve", bob, js, `{"coment":"ok"}`, 400, "unknown_field"},
		{"rotate key as approver", "POST", "/admin/v1/proposals", bob, js, `{"reason":"x","ops":[{"op":"rotate_registry_key"}]}`, 403, "forbidden"},
		{"disable as approver", "POST", "/admin/v1/proposals", bob, js, `{"reason":"x","ops":[{"op":"disable_account","id":"alice","reason":"x"}]}`, 403, "forbidden"},
		{"disable unknown", "POST", "/admin/v1/proposals", audrey, js, `{"reason":"x","ops":[{"op":"disable_account","id":"nobody","reason":"x"}]}`, 400, "unknown_reference"},
		{"policy quorum 1", "POST", "/admin/v1/proposals", audrey, js, `{"reason":"x","ops":[{"op":"set_policy","policy":{"quorum":1}}]}`, 400, "validation_failed"},
		{"rotate other's token", "POST", "/admin/v1/accounts/alice/token", bob, js, `{"token_id":"abcdefgh","token_fingerprint":"abababababababababababababababababababababababababababababababab"}`, 403, "forbidden"},
		{"rotate unknown token", "POST", "/admin/v1/accounts/nobody/token", audrey, js, `{"token_id":"abcdefgh","token_fingerprint":"abababababababababababababababababababababababababababababababab"}`, 403, "forbidden"},
		{"rotate token misspelt", "POST", "/admin/v1/accounts/bob/token", bob, js, `{"token_id":"abcdefgh","fingerprint":"x"}`, 400, "unknown_field"},
		{"revoke other's token", "DELETE", "/admin/v1/accounts/alice/token", audrey, "", "", 403, "forbidden"},
		{"long idempotency key", "POST", "/admin/v1/proposals", alice, js, `{}`, 400, "bad_parameter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.name == "long idempotency key" {
				hdr = []string{"Idempotency-Key", strings.Repeat("k", 300)}
			}
			resp, body := f.do(t, c.method, c.path, c.token, c.ctype, []byte(c.body), hdr...)
			var p struct {
				Code   string `json:"code"`
				Status int    `json:"status"`
			}
			json.Unmarshal(body, &p)
			if resp.StatusCode != c.status || p.Code != c.code || p.Status != c.status || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s (%s), want %d %s", resp.StatusCode, body, resp.Header.Get("Content-Type"), c.status, c.code)
			}
		})
	}
}

func TestAuthFailureRateLimit(t *testing.T) {
	f := newFixture(t, func(o *httpapi.Options) { o.AuthFailures = 3 })
	for i := 0; i < 3; i++ {
		if resp, _ := f.do(t, "GET", "/admin/v1/whoami", "wrong-token-wrong-token", "", nil); resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i, resp.StatusCode)
		}
	}
	// Further failed attempts are refused with 429; a valid token never is.
	resp, body := f.do(t, "GET", "/admin/v1/whoami", "wrong-token-wrong-token", "", nil)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), `"code":"rate_limited"`) || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after failures: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.do(t, "GET", "/admin/v1/whoami", f.tokens["alice"], "", nil); resp.StatusCode != 200 {
		t.Fatalf("valid token after failures: %d %s", resp.StatusCode, body)
	}
	// A forged X-Forwarded-For does not reset the budget.
	if resp, _ := f.do(t, "GET", "/admin/v1/whoami", "wrong-token-wrong-token", "", nil, "X-Forwarded-For", "203.0.113.9"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("spoofed XFF: %d", resp.StatusCode)
	}
	// Public endpoints are not affected.
	if resp, _ := f.do(t, "GET", "/v1/registry", "", "", nil); resp.StatusCode != 200 {
		t.Fatalf("public: %d", resp.StatusCode)
	}
}

func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t, nil)
	body := []byte(`{"reason":"add HK","ops":[{"op":"upsert_jurisdiction","jurisdiction":{"code":"HK","name":"Hong Kong"}}]}`)
	r1, b1 := f.do(t, "POST", "/admin/v1/proposals", f.tokens["alice"], "application/json", body, "Idempotency-Key", "k-1")
	r2, b2 := f.do(t, "POST", "/admin/v1/proposals", f.tokens["alice"], "application/json", body, "Idempotency-Key", "k-1")
	if r1.StatusCode != 201 || r2.StatusCode != 201 || !bytes.Equal(b1, b2) || r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s / %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
	}
	ps, _ := f.admin("bob").ListProposals(context.Background(), "")
	if len(ps) != 1 {
		t.Fatalf("%d proposals after a replayed request", len(ps))
	}
	r3, b3 := f.do(t, "POST", "/admin/v1/proposals", f.tokens["alice"], "application/json", bytes.Replace(body, []byte("add HK"), []byte("other"), 1), "Idempotency-Key", "k-1")
	if r3.StatusCode != 422 || !strings.Contains(string(b3), "idempotency_key_reused") {
		t.Fatalf("reuse: %d %s", r3.StatusCode, b3)
	}
	// Concurrent retries of one request create one proposal: the others replay or wait (409).
	statuses := make(chan int, 6)
	for i := 0; i < 6; i++ {
		go func() {
			r, _ := f.do(t, "POST", "/admin/v1/proposals", f.tokens["alice"], "application/json", body, "Idempotency-Key", "k-2")
			statuses <- r.StatusCode
		}()
	}
	for i := 0; i < 6; i++ {
		if st := <-statuses; st != 201 && st != 409 {
			t.Fatalf("concurrent retry: %d", st)
		}
	}
	ps, _ = f.admin("bob").ListProposals(context.Background(), "")
	if len(ps) != 2 {
		t.Fatalf("%d proposals after concurrent retries, want 2", len(ps))
	}
	// A failed request (400) is remembered too; a different account may reuse the key.
	r4, _ := f.do(t, "POST", "/admin/v1/proposals", f.tokens["bob"], "application/json", body, "Idempotency-Key", "k-1")
	if r4.StatusCode != 403 || r4.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("other account, same key: %d", r4.StatusCode)
	}
}

func TestTRQP(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, f.admin("alice"), f.admin("bob"), demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	q := []byte(`{"entity_id":"` + demoDID + `","authority_id":"cn-sh-lg.corporate","action":"issue","resource":"BusinessRegistration","context":{"time":"` + time.Now().UTC().Format(time.RFC3339) + `","purpose":"kyc"}}`)
	resp, body := f.do(t, "POST", "/authorization", "", "application/json", q)
	var ans httpapi.TRQPResponse
	if err := json.Unmarshal(body, &ans); err != nil || resp.StatusCode != 200 || ans.Authorized == nil || !*ans.Authorized ||
		ans.Grounds.Recognition != demoseed.RecognitionID || ans.Grounds.ClaimMapping["uen"] != "registrationNumber" || !strings.Contains(string(ans.Context), "kyc") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", "/authorization?signed=true", "", "application/json", q)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != httpapi.ContentTypeJOSE {
		t.Fatalf("signed: %d %s", resp.StatusCode, body)
	}
	jwk, _ := f.svc.PublicKeyJWK()
	pub, _, _ := keys.ParsePublicJWK(jwk)
	payload, _, err := trustregistry.VerifyJWS(body, httpapi.ResponseType, pub)
	if err != nil || !strings.Contains(string(payload), `"authorized":true`) {
		t.Fatalf("signed answer: %v %s", err, payload)
	}
	resp, body = f.do(t, "POST", "/authorization", "", "application/json", q, "Accept", "application/jose")
	if resp.Header.Get("Content-Type") != httpapi.ContentTypeJOSE {
		t.Fatalf("accept jose: %s", body)
	}
	resp, body = f.do(t, "POST", "/recognition", "", "application/json", []byte(`{"entity_id":"sg.corporate","authority_id":"cn-sh-lg.corporate","action":"recognize","resource":"BusinessRegistration"}`))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"recognized":true`) {
		t.Fatalf("recognition: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", "/recognition", "", "application/json", []byte(`{"entity_id":"`+demoDID+`","authority_id":"cn-sh-lg.corporate","action":"issue","resource":"BusinessRegistration"}`))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"recognized":true`) || !strings.Contains(string(body), `"authority":"sg-demo-registrar"`) {
		t.Fatalf("recognition of an issuer: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", "/authorization", "", "application/json", []byte(`{"entity_id":"did:web:unknown.example","resource":"BusinessRegistration"}`))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"authorized":false`) || !strings.Contains(string(body), trustregistry.CodeIssuerNotRecognised) {
		t.Fatalf("unknown: %d %s", resp.StatusCode, body)
	}
	// Lists with paging and object get.
	resp, body = f.do(t, "GET", "/v1/jurisdictions?limit=1", "", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"next":"CN-SH-LG"`) {
		t.Fatalf("page: %s", body)
	}
	resp, body = f.do(t, "GET", "/v1/jurisdictions?limit=1&after=CN-SH-LG", "", "", nil)
	if !strings.Contains(string(body), `"SG"`) || strings.Contains(string(body), `"next"`) {
		t.Fatalf("page 2: %s", body)
	}
	if resp, body = f.do(t, "GET", "/v1/recognitions/"+demoseed.RecognitionID, "", "", nil); resp.StatusCode != 200 || !strings.Contains(string(body), "registrationNumber") {
		t.Fatalf("get: %s", body)
	}
	if resp, body = f.do(t, "GET", "/v1/authorities?entity="+demoDID, "", "", nil); resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"sg-demo-registrar"`) {
		t.Fatalf("by entity: %s", body)
	}
	if resp, body = f.do(t, "GET", "/v1/authorities?entity=did:web:none", "", "", nil); resp.StatusCode != 200 || !strings.Contains(string(body), `"items":[]`) {
		t.Fatalf("by unknown entity: %s", body)
	}
	if resp, body = f.do(t, "GET", "/metrics", "", "", nil); resp.StatusCode != 200 || !strings.Contains(string(body), "idport_registry_version 2") /* filed at 1, applied at 2 */ ||
		!strings.Contains(string(body), "idport_http_requests_total") {
		t.Fatalf("metrics: %s", body)
	}
}

func TestLongPoll(t *testing.T) {
	f := newFixture(t, nil)
	rec, _ := f.svc.Snapshot()
	after := rec.Sequence
	resp, _ := f.do(t, "GET", "/v1/snapshot?after="+itoa(after)+"&wait=50ms", "", "", nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("no news: %d", resp.StatusCode)
	}
	done := make(chan *http.Response)
	go func() {
		r, _ := http.Get(f.srv.URL + "/v1/snapshot?after=" + itoa(after) + "&wait=20s")
		done <- r
	}()
	time.Sleep(20 * time.Millisecond)
	if _, err := demoseed.Seed(context.Background(), f.admin("alice"), f.admin("bob"), demoDID, time.Now()); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.StatusCode != 200 || r.Header.Get(httpapi.HeaderSequence) != itoa(after+1) || r.Header.Get("Content-Type") != httpapi.ContentTypeJOSE {
		t.Fatalf("long-poll: %d %v", r.StatusCode, r.Header)
	}
	r.Body.Close()
	resp, body := f.do(t, "GET", "/v1/snapshot/key", "", "", nil)
	if _, _, err := keys.ParsePublicJWK(body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("key: %v", err)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func TestMTLSClientCertificate(t *testing.T) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "regulator CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	cliKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cliTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "bob-laptop"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	cliDER, _ := x509.CreateCertificate(rand.Reader, cliTmpl, ca, &cliKey.PublicKey, caKey)
	sum := sha256.Sum256(cliDER)

	cfg := trustregistry.Config{Store: openStore(t), KeySecret: []byte("0123456789abcdef0123456789abcdef"),
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		CertAccounts: map[string]string{hex.EncodeToString(sum[:]): "bob"}}
	svc, err := trustregistry.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	svc.CreateAccount(context.Background(), "bob", []trustregistry.Role{trustregistry.RoleApprover})
	srv := httptest.NewUnstartedServer(httpapi.New(svc, httpapi.Options{}, cfg.Logger))
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots,
		Certificates: []tls.Certificate{{Certificate: [][]byte{cliDER}, PrivateKey: cliKey}}}}}
	resp, err := hc.Get(srv.URL + "/admin/v1/whoami")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"bob"`) {
		t.Fatalf("mTLS whoami: %d %s", resp.StatusCode, body)
	}
	// Without a certificate and without a token: 401.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	resp, err = plain.Get(srv.URL + "/admin/v1/whoami")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("no cert: %d", resp.StatusCode)
	}
}

func FuzzTRQPAuthorization(f *testing.F) {
	fx := newFixture(f, nil)
	h := fx.h
	for _, s := range []string{`{"entity_id":"did:web:x","resource":"X"}`, `{"entity_id":"x","resource":"X","context":{"time":"2026-01-01T00:00:00Z","as_of_version":3}}`, `[]`, `{"context":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, path := range []string{"/authorization", "/recognition"} {
			req := httptest.NewRequest("POST", path, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("%s %q: %d %s", path, b, w.Code, w.Body)
			}
		}
	})
}

// Every registered route (but httpx's health and metrics) is described in openapi.yaml.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	f := newFixture(t, nil)
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(httpapi.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	match := func(tmpl, path string) bool {
		a, b := strings.Split(tmpl, "/"), strings.Split(path, "/")
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if !(a[i] == b[i] || strings.HasPrefix(a[i], "{") && (strings.HasPrefix(b[i], ":") || !strings.HasPrefix(tmpl, "/admin"))) {
				return false
			}
		}
		return true
	}
	for _, r := range f.h.Routes() {
		if r.Path == "/healthz" || r.Path == "/readyz" || r.Path == "/metrics" {
			continue
		}
		found := false
		for p, ops := range doc.Paths {
			if _, ok := ops[strings.ToLower(r.Method)]; ok && match(p, r.Path) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s is not in openapi.yaml", r.Method, r.Path)
		}
	}
	if resp, body := f.do(t, "GET", "/v1/openapi.yaml", "", "", nil); resp.StatusCode != 200 || !bytes.Contains(body, []byte("openapi: 3")) {
		t.Fatalf("served: %d", resp.StatusCode)
	}
}

func TestTokenRotationAndDisable(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	tok, _ := trustregistry.NewToken()
	e, _ := trustregistry.EnrolmentOf(tok)
	if ti, err := f.admin("alice").RotateOwnToken(ctx, "alice", e); err != nil || ti.ID != e.TokenID {
		t.Fatalf("self rotation: %+v %v", ti, err)
	}
	if _, err := f.admin("alice").Whoami(ctx); err == nil {
		t.Fatal("old token still works")
	}
	if _, err := adminclient.New(f.srv.URL, tok).Whoami(ctx); err != nil {
		t.Fatalf("new token: %v", err)
	}
	// Disabling is a proposal of one admin approved by another.
	_, tok2, _ := f.svc.CreateAccount(ctx, "root2", []trustregistry.Role{trustregistry.RoleAdmin})
	p, err := f.admin("audrey").ProposeGovernance(ctx, "left the regulator", trustregistry.DisableAccountOp("bob", "left the regulator"))
	if err != nil {
		t.Fatal(err)
	}
	if ap, err := adminclient.New(f.srv.URL, tok2).Approve(ctx, p.ID, ""); err != nil || ap.Status != trustregistry.ProposalApplied {
		t.Fatalf("approve disable: %+v %v", ap, err)
	}
	if _, err := f.admin("bob").Whoami(ctx); err == nil {
		t.Fatal("disabled account still works")
	}
}
