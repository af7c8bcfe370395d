package httpapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/issuer/httpapi"
)

func newServer(t testing.TB) (*httptest.Server, *httpapi.Service, string) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), boltstore.DBFile), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := httpapi.NewService(context.Background(), httpapi.ServiceConfig{Issuer: issuer.Config{Store: st,
		BaseURL: "https://issuer.example.sg", Secret: []byte("0123456789abcdef0123456789abcdef")},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() { srv.Close(); _ = svc.Close() })
	tok, err := svc.CreateAPIKey(context.Background(), "t", "*", issuer.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return srv, svc, tok
}

func subject(extra map[string]any, drop ...string) map[string]any {
	s := map[string]any{"uen": "201912345K", "legalName": "A Pte Ltd", "registeredAddress": "1 Road",
		"incorporationDate": "2019-04-01", "entityType": "Private"}
	for _, d := range drop {
		delete(s, d)
	}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestBadInput(t *testing.T) {
	srv, svc, tok := newServer(t)
	ctx := context.Background()
	issued, err := svc.Issuer().Issue(ctx, issuer.Request{Type: "BusinessRegistration", Subject: subject(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Issuer().ChangeStatus(ctx, nil, issued.ID, issuer.ActionRevoke); err != nil {
		t.Fatal(err)
	}
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	big := map[string]any{}
	for i := range 70 {
		big[fmt.Sprintf("c%d", i)] = "x"
	}
	cred := func(mut func(m map[string]any)) map[string]any {
		m := map[string]any{"@context": []any{"https://www.w3.org/ns/credentials/v2"}, "type": []any{"VerifiableCredential"},
			"issuer": svc.DID(), "credentialSubject": map[string]any{"id": "did:example:1"}}
		mut(m)
		return m
	}
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	const issue, status = "/credentials/issue", "/credentials/status"
	cases := []struct {
		name, method, path, ct, token, body string
		status                              int
		code                                string
	}{
		{"no token", "POST", issue, "", "-", js(map[string]any{"type": "BusinessRegistration"}), 401, "unauthorized"},
		{"bad token", "POST", issue, "", "idpi_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "{}", 401, "unauthorized"},
		{"other scheme", "POST", issue, "", "Basic", "{}", 401, "unauthorized"},
		{"content type", "POST", issue, "text/plain", "", "{}", 415, "unsupported_media_type"},
		{"malformed", "POST", issue, "", "", `{"type":`, 400, "malformed_json"},
		{"trailing data", "POST", issue, "", "", `{} {}`, 400, "malformed_json"},
		{"too deep", "POST", issue, "", "", `{"credential":` + deep + `}`, 400, "json_too_deep"},
		{"too large", "POST", issue, "", "", `{"type":"` + strings.Repeat("a", 300<<10) + `"}`, 413, "body_too_large"},
		{"empty", "POST", issue, "", "", `{}`, 400, "invalid_request"},
		{"both", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credential": cred(func(map[string]any) {})}), 400, "invalid_request"},
		{"unknown type", "POST", issue, "", "", js(map[string]any{"type": "Passport", "credentialSubject": subject(nil)}), 400, "unknown_credential_type"},
		{"missing claim", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(nil, "uen")}), 400, "missing_claim"},
		{"claim type", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(map[string]any{"uen": 5})}), 400, "claim_type_mismatch"},
		{"bad date", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(map[string]any{"incorporationDate": "yesterday"})}), 400, "claim_type_mismatch"},
		{"subject id not URL", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(map[string]any{"id": "not a url"})}), 400, "claim_type_mismatch"},
		{"unknown claim", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(map[string]any{"ssn": "1"})}), 400, "unknown_claim"},
		{"subject array", "POST", issue, "", "", `{"type":"BusinessRegistration","credentialSubject":[1]}`, 400, "malformed_json"},
		{"too many claims", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": big}), 400, "subject_too_large"},
		{"too many bytes", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(map[string]any{"legalName": strings.Repeat("x", 20<<10)})}), 400, "subject_too_large"},
		{"format", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(nil), "format": "mso_mdoc"}), 400, "unsupported_format"},
		{"holder RSA", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(nil), "holderJwk": map[string]any{"kty": "RSA", "n": rsaKey.N.String(), "e": "AQAB"}}), 400, "invalid_holder_key"},
		{"holder P-384", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(nil), "holderJwk": map[string]any{"kty": "EC", "crv": "P-384", "x": ecKey.X.String(), "y": ecKey.Y.String()}}), 400, "invalid_holder_key"},
		{"holder private", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(nil), "holderJwk": map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}}), 400, "invalid_holder_key"},
		{"holder garbage", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(nil), "holderJwk": "abc"}), 400, "invalid_holder_key"},
		{"disclosable unknown", "POST", issue, "", "", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(nil), "disclosable": []string{"nope"}}), 400, "unknown_claim"},
		{"credential string", "POST", issue, "", "", `{"credential":"abc"}`, 400, "invalid_credential"},
		{"credential no subject", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) { delete(m, "credentialSubject") })}), 400, "invalid_credential"},
		{"credential bad context", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) { m["@context"] = []any{"https://example.com/ctx"} })}), 400, "invalid_credential"},
		{"credential no VC type", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) { m["type"] = "Other" })}), 400, "invalid_credential"},
		{"credential with proof", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) { m["proof"] = map[string]any{"type": "DataIntegrityProof"} })}), 400, "invalid_credential"},
		{"credential foreign issuer", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) { m["issuer"] = "did:example:other" })}), 400, "issuer_mismatch"},
		{"credential bad date", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) { m["validFrom"] = "tomorrow" })}), 400, "invalid_credential"},
		{"credential status ours", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) {
			m["credentialStatus"] = map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": "https://issuer.example.sg/status/bitstring/revocation-1"}
		})}), 400, "invalid_credential_status"},
		{"credential status index", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) {
			m["credentialStatus"] = map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "-1", "statusListCredential": "https://x.example/l"}
		})}), 400, "invalid_credential_status"},
		{"credential status purpose", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) {
			m["credentialStatus"] = map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "delete", "statusListIndex": "1", "statusListCredential": "https://x.example/l"}
		})}), 400, "invalid_credential_status"},
		{"credential v2 as VC-JWT 1.1", "POST", issue, "", "", js(map[string]any{"credential": cred(func(map[string]any) {}), "options": map[string]any{"format": "jwt_vc_json"}}), 400, "unsupported_format"},
		{"credential v1 as vc+jwt", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) {
			m["@context"] = []any{"https://www.w3.org/2018/credentials/v1"}
			m["issuanceDate"] = "2026-01-01T00:00:00Z"
		}), "options": map[string]any{"format": "vc+jwt"}}), 400, "unsupported_format"},
		{"credential as SD-JWT", "POST", issue, "", "", js(map[string]any{"credential": cred(func(map[string]any) {}), "options": map[string]any{"format": "dc+sd-jwt"}}), 400, "unsupported_format"},
		{"credential undefined term DI", "POST", issue, "", "", js(map[string]any{"credential": cred(func(m map[string]any) {
			m["@context"] = []any{"https://www.w3.org/2018/credentials/v1"}
			m["issuanceDate"] = "2026-01-01T00:00:00Z"
			m["credentialSubject"] = map[string]any{"undefinedTerm": "x"}
		}), "options": map[string]any{"format": "ldp_vc"}}), 400, "invalid_credential"},
		{"status no token", "POST", status, "", "-", `{"credentialId":"x","action":"revoke"}`, 401, "unauthorized"},
		{"status malformed", "POST", status, "", "", `{"credentialId":`, 400, "malformed_json"},
		{"status no id", "POST", status, "", "", `{"action":"revoke"}`, 400, "invalid_request"},
		{"status unknown id", "POST", status, "", "", `{"credentialId":"urn:uuid:nope","action":"revoke"}`, 404, "credential_not_found"},
		{"status bad action", "POST", status, "", "", js(map[string]any{"credentialId": issued.ID, "action": "delete"}), 400, "invalid_request"},
		{"status both", "POST", status, "", "", js(map[string]any{"credentialId": issued.ID, "action": "revoke", "credentialStatus": []any{map[string]any{"statusPurpose": "revocation", "status": true}}}), 400, "invalid_request"},
		{"status two updates", "POST", status, "", "", js(map[string]any{"credentialId": issued.ID, "credentialStatus": []any{map[string]any{"statusPurpose": "revocation", "status": true}, map[string]any{"statusPurpose": "suspension", "status": true}}}), 400, "invalid_request"},
		{"status purpose", "POST", status, "", "", js(map[string]any{"credentialId": issued.ID, "credentialStatus": []any{map[string]any{"statusPurpose": "message", "status": true}}}), 400, "invalid_request"},
		{"status value", "POST", status, "", "", js(map[string]any{"credentialId": issued.ID, "credentialStatus": []any{map[string]any{"statusPurpose": "suspension", "status": "maybe"}}}), 400, "invalid_request"},
		{"unrevoke", "POST", status, "", "", js(map[string]any{"credentialId": issued.ID, "credentialStatus": []any{map[string]any{"statusPurpose": "revocation", "status": false}}}), 409, "status_conflict"},
		{"suspend revoked", "POST", status, "", "", js(map[string]any{"credentialId": issued.ID, "action": "suspend"}), 409, "status_conflict"},
		{"list name", "GET", "/status/bitstring/nope", "", "", "", 404, "status_list_not_found"},
		{"list zero", "GET", "/status/bitstring/revocation-0", "", "", "", 404, "status_list_not_found"},
		{"list leading zero", "GET", "/status/bitstring/revocation-01", "", "", "", 404, "status_list_not_found"},
		{"list unknown", "GET", "/status/bitstring/suspension-99", "", "", "", 404, "status_list_not_found"},
		{"list huge", "GET", "/status/bitstring/revocation-99999999999999999999", "", "", "", 404, "status_list_not_found"},
		{"token list", "GET", "/status/token/abc", "", "", "", 404, "status_list_not_found"},
		{"token unknown", "GET", "/status/token/7", "", "", "", 404, "status_list_not_found"},
		{"route", "GET", "/credentials/nope", "", "", "", 404, "not_found"},
		{"method", "GET", issue, "", "", "", 405, "method_not_allowed"},
		{"method did", "POST", "/.well-known/did.json", "", "", "{}", 405, "method_not_allowed"},
		{"type metadata", "GET", "/types/Passport", "", "", "", 404, "unknown_credential_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
			ct := c.ct
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			switch c.token {
			case "":
				req.Header.Set("Authorization", "Bearer "+tok)
			case "-":
			case "Basic":
				req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
			default:
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var p struct {
				Code string `json:"code"`
			}
			_ = json.Unmarshal(b, &p)
			if resp.StatusCode != c.status || p.Code != c.code {
				t.Fatalf("got %d %q, want %d %q\n%s", resp.StatusCode, p.Code, c.status, c.code, b)
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/problem+json") {
				t.Fatalf("content type %q", got)
			}
		})
	}
}

func TestPublicEndpoints(t *testing.T) {
	srv, svc, _ := newServer(t)
	if _, err := svc.Issuer().Issue(context.Background(), issuer.Request{Type: "PersonIdentity", Subject: map[string]any{
		"givenName": "A", "familyName": "B", "birthDate": "1990-01-01", "nationality": "SG"}}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/.well-known/did.json":          `"id":"did:web:issuer.example.sg"`,
		"/.well-known/jwks.json":         `"keys"`,
		"/.well-known/jwt-vc-issuer":     `"issuer":"https://issuer.example.sg"`,
		"/status/bitstring/revocation-1": "eyJ",
		"/status/bitstring/suspension-1": "eyJ",
		"/status/token/1":                "eyJ",
		"/credential-types":              "BusinessRegistration",
		"/healthz":                       "ok",
	} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: %d %.200s", path, resp.StatusCode, b)
		}
		if strings.HasPrefix(path, "/status/") {
			etag := resp.Header.Get("ETag")
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			req.Header.Set("If-None-Match", etag)
			r2, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r2.Body.Close()
			if etag == "" || r2.StatusCode != http.StatusNotModified {
				t.Errorf("%s: conditional GET %d (etag %q)", path, r2.StatusCode, etag)
			}
		}
	}
}

// routeParam matches a gin path parameter segment ("/:id").
var routeParam = regexp.MustCompile(`/:([A-Za-z0-9_]+)`)

// Every registered route (but httpx's health and metrics) is described in openapi.yaml.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	srv, svc, _ := newServer(t)
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(httpapi.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range svc.Handler().(*gin.Engine).Routes() {
		if r.Path == "/healthz" || r.Path == "/readyz" || r.Path == "/metrics" {
			continue
		}
		path := routeParam.ReplaceAllString(r.Path, "/{$1}")
		if _, ok := doc.Paths[path][strings.ToLower(r.Method)]; !ok {
			t.Errorf("%s %s is not in openapi.yaml", r.Method, r.Path)
		}
	}
	resp, err := srv.Client().Get(srv.URL + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("served %d, version %q", resp.StatusCode, doc.OpenAPI)
	}
}

// Metrics count issuances by type and format and never carry subject claims.
func TestMetricsWithoutPersonalData(t *testing.T) {
	srv, _, tok := newServer(t)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/credentials/issue", strings.NewReader(js(map[string]any{
		"type": "BusinessRegistration", "credentialSubject": subject(nil)})))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := string(b)
	if !strings.Contains(m, `idport_issuer_credentials_issued_total{format="vc+jwt",type="BusinessRegistration"} 1`) {
		t.Errorf("issuance counter missing:\n%.2000s", m)
	}
	for _, claim := range []string{"201912345K", "A Pte Ltd", "1 Road", tok} {
		if strings.Contains(m, claim) {
			t.Errorf("metrics carry %q", claim)
		}
	}
}
