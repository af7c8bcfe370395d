package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/issuer/httpapi"
)

// serverWith starts a real issuer (bbolt in a temporary directory) over an httptest server,
// with cfg's options, and returns it with an API key of every credential type.
func serverWith(t testing.TB, mut func(*issuer.Config)) (*httptest.Server, *httpapi.Service, string) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), boltstore.DBFile), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := issuer.Config{Store: st, BaseURL: "https://issuer.example.sg", Secret: []byte("0123456789abcdef0123456789abcdef")}
	if mut != nil {
		mut(&cfg)
	}
	svc, err := httpapi.NewService(context.Background(), httpapi.ServiceConfig{Issuer: cfg, Logger: slog.New(slog.DiscardHandler)})
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

// post sends body to path with the API key and returns the status, the problem code (if
// any) and the body.
func post(t testing.TB, srv *httptest.Server, tok, path, body string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
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
	return resp.StatusCode, p.Code, string(b)
}

// v2cred is a valid unsigned VC 2.0 credential of this issuer, changed by mut.
func v2cred(issuerDID string, mut func(m map[string]any)) map[string]any {
	m := map[string]any{"@context": []any{"https://www.w3.org/ns/credentials/v2"}, "type": []any{"VerifiableCredential"},
		"issuer": issuerDID, "credentialSubject": map[string]any{"id": "did:example:1", "name": "A"}}
	if mut != nil {
		mut(m)
	}
	return m
}

// An explicit null is invalid input, not an absent value: the issuer refuses it rather than
// filling in an id or its own DID.
func TestIssueRefusesExplicitNull(t *testing.T) {
	srv, svc, tok := serverWith(t, func(c *issuer.Config) { c.FillIssuer = true })
	for name, mut := range map[string]func(map[string]any){
		"id null":        func(m map[string]any) { m["id"] = nil },
		"issuer.id null": func(m map[string]any) { m["issuer"] = map[string]any{"id": nil, "name": "X"} },
		"issuer null":    func(m map[string]any) { m["issuer"] = nil },
	} {
		for _, format := range []string{"vc+jwt", "ldp_vc"} {
			body := js(map[string]any{"credential": v2cred(svc.DID(), mut), "options": map[string]any{"format": format}})
			if st, code, b := post(t, srv, tok, "/credentials/issue", body); st != 400 || code != "invalid_credential" {
				t.Errorf("%s %s: %d %s", name, format, st, b)
			}
		}
	}
}

// relatedResource entries need distinct ids and a digest (VC Data Model 2.0 section 5.3).
func TestIssueChecksRelatedResource(t *testing.T) {
	srv, svc, tok := serverWith(t, nil)
	ok := map[string]any{"id": "https://example.com/a.json", "digestSRI": "sha384-Uv+mWeEhd0xYOtMTBEfZ1g4AgXIGhyyJxBbW6bPTFaVwqsjBt3qrJYHt6v2gRc3C"}
	other := map[string]any{"id": "https://example.com/b.json", "digestMultibase": "uEiBZlVztZpfWHgPyslVv6-UwirFoQoRvW1htfx963sknNA"}
	for name, c := range map[string]struct {
		rr     any
		status int
	}{
		"valid":        {[]any{ok, other}, 201},
		"duplicate id": {[]any{ok, map[string]any{"id": ok["id"], "digestMultibase": other["digestMultibase"]}}, 400},
		"no digest":    {[]any{map[string]any{"id": "https://example.com/c.json"}}, 400},
		"empty digest": {[]any{map[string]any{"id": "https://example.com/c.json", "digestSRI": ""}}, 400},
	} {
		body := js(map[string]any{"credential": v2cred(svc.DID(), func(m map[string]any) { m["relatedResource"] = c.rr })})
		if st, _, b := post(t, srv, tok, "/credentials/issue", body); st != c.status {
			t.Errorf("%s: %d %s", name, st, b)
		}
	}
}

// Every format validates the credential as JSON-LD before signing: what Data Integrity
// refuses, VC-JOSE-COSE refuses too.
func TestIssueValidatesJSONLDForEveryFormat(t *testing.T) {
	srv, svc, tok := serverWith(t, nil)
	for name, mut := range map[string]func(map[string]any){
		"type not an IRI": func(m map[string]any) {
			m["@context"] = []any{"https://www.w3.org/ns/credentials/v2", issuer.ContextUndefinedTermsV2}
			m["type"] = []any{"VerifiableCredential", "Not An IRI"}
		},
		"type undefined": func(m map[string]any) { m["type"] = []any{"VerifiableCredential", "Undefined"} },
		"protected term redefined": func(m map[string]any) {
			m["@context"] = []any{"https://www.w3.org/ns/credentials/v2", map[string]any{"VerifiableCredential": "https://example.com/VC"}}
		},
		"language object extra key": func(m map[string]any) {
			m["name"] = map[string]any{"@value": "Name", "@language": "en", "extra": "x"}
		},
		"description extra key": func(m map[string]any) {
			m["description"] = []any{map[string]any{"@value": "D", "@language": "en", "@direction": "ltr", "note": "x"}}
		},
	} {
		for _, format := range []string{"ldp_vc", "vc+jwt"} {
			body := js(map[string]any{"credential": v2cred(svc.DID(), mut), "options": map[string]any{"format": format}})
			if st, code, b := post(t, srv, tok, "/credentials/issue", body); st != 400 || code != "invalid_credential" {
				t.Errorf("%s as %s: %d %s", name, format, st, b)
			}
		}
	}
	for _, format := range []string{"ldp_vc", "vc+jwt"} {
		body := js(map[string]any{"credential": v2cred(svc.DID(), func(m map[string]any) {
			m["name"] = map[string]any{"@value": "Name", "@language": "en"}
		}), "options": map[string]any{"format": format}})
		if st, _, b := post(t, srv, tok, "/credentials/issue", body); st != 201 {
			t.Errorf("valid %s: %d %s", format, st, b)
		}
	}
}

// A credential without an issuer is refused unless the instance is configured to fill it.
func TestIssuerRequiredUnlessFilled(t *testing.T) {
	noIssuer := func(m map[string]any) { delete(m, "issuer") }
	srv, _, tok := serverWith(t, nil)
	body := js(map[string]any{"credential": v2cred("", noIssuer)})
	if st, code, b := post(t, srv, tok, "/credentials/issue", body); st != 400 || code != "invalid_credential" || !strings.Contains(b, "issuer") {
		t.Fatalf("no issuer: %d %s", st, b)
	}
	srv, svc, tok := serverWith(t, func(c *issuer.Config) { c.FillIssuer = true })
	st, _, b := post(t, srv, tok, "/credentials/issue", js(map[string]any{"credential": v2cred("", noIssuer), "options": map[string]any{"format": "ldp_vc"}}))
	if st != 201 || !strings.Contains(b, `"issuer":"`+svc.DID()+`"`) {
		t.Fatalf("filled: %d %s", st, b)
	}
}

// Every issuer endpoint decodes strictly: an unknown member is a 400 that names it.
func TestStrictDecoding(t *testing.T) {
	srv, svc, tok := serverWith(t, nil)
	issued, err := svc.Issuer().Issue(context.Background(), issuer.Request{Type: "BusinessRegistration", Subject: subject(nil)})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ path, body, field string }{
		"issue top level": {"/credentials/issue", js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(nil), "fromat": "vc+jwt"}), "fromat"},
		"issue options":   {"/credentials/issue", js(map[string]any{"credential": v2cred(svc.DID(), nil), "options": map[string]any{"formt": "vc+jwt"}}), "formt"},
		"status":          {"/credentials/status", js(map[string]any{"credentialId": issued.ID, "action": "suspend", "reason": "x"}), "reason"},
		"status entry": {"/credentials/status", js(map[string]any{"credentialId": issued.ID,
			"credentialStatus": []any{map[string]any{"statusPurpose": "suspension", "status": true, "statusListIndex": "3"}}}), "statusListIndex"},
	} {
		st, code, b := post(t, srv, tok, c.path, c.body)
		if st != 400 || code != "unknown_field" || !strings.Contains(b, c.field) {
			t.Errorf("%s: %d %s", name, st, b)
		}
	}
	if st, _, b := post(t, srv, tok, "/credentials/status", js(map[string]any{"credentialId": issued.ID, "action": "suspend"})); st != 200 {
		t.Fatalf("suspend: %d %s (nothing may have changed before)", st, b)
	}
}

// An API key's scopes must cover every type of a credential beyond VerifiableCredential.
func TestAPIKeyScopeCoversEveryType(t *testing.T) {
	srv, svc, _ := serverWith(t, nil)
	ctx := context.Background()
	br, err := svc.CreateAPIKey(ctx, "br", "BusinessRegistration")
	if err != nil {
		t.Fatal(err)
	}
	both, err := svc.CreateAPIKey(ctx, "both", "BusinessRegistration", "PersonIdentity")
	if err != nil {
		t.Fatal(err)
	}
	typed := func(types ...any) string {
		return js(map[string]any{"credential": v2cred(svc.DID(), func(m map[string]any) {
			m["@context"] = []any{"https://www.w3.org/ns/credentials/v2", issuer.ContextUndefinedTermsV2}
			m["type"] = types
		})})
	}
	for name, c := range map[string]struct {
		tok, body string
		status    int
	}{
		"one type in scope":     {br, typed("VerifiableCredential", "BusinessRegistration"), 201},
		"second type not":       {br, typed("VerifiableCredential", "BusinessRegistration", "PersonIdentity"), 403},
		"second type first":     {br, typed("VerifiableCredential", "PersonIdentity", "BusinessRegistration"), 403},
		"base type alone":       {br, typed("VerifiableCredential"), 403},
		"both types in scope":   {both, typed("VerifiableCredential", "BusinessRegistration", "PersonIdentity"), 201},
		"template out of scope": {br, js(map[string]any{"type": "PersonIdentity", "credentialSubject": map[string]any{"givenName": "A", "familyName": "B", "birthDate": "1990-01-01", "nationality": "SG"}}), 403},
		"template within scope": {br, js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(nil)}), 201},
	} {
		if st, _, b := post(t, srv, c.tok, "/credentials/issue", c.body); st != c.status {
			t.Errorf("%s: %d %s", name, st, b)
		}
	}
}

// Only the key that issued a credential (or a key rotated from it, or an admin key) changes
// its status.
func TestStatusChangeOnlyByIssuingKey(t *testing.T) {
	srv, svc, admin := serverWith(t, nil)
	ctx := context.Background()
	a, _ := svc.CreateAPIKey(ctx, "a", "BusinessRegistration")
	b, _ := svc.CreateAPIKey(ctx, "b", "BusinessRegistration")
	all, _ := svc.CreateAPIKey(ctx, "all", "*")
	issue := func(tok string) string {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/credentials/issue", strings.NewReader(js(map[string]any{
			"type": "BusinessRegistration", "credentialSubject": subject(nil)})))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Fatalf("issue: %d", resp.StatusCode)
		}
		return resp.Header.Get(httpapi.CredentialIDHeader)
	}
	change := func(tok, id, action string) int {
		st, _, _ := post(t, srv, tok, "/credentials/status", js(map[string]any{"credentialId": id, "action": action}))
		return st
	}
	id := issue(a)
	for name, tok := range map[string]string{"other key, same scope": b, "key of every type": all} {
		for _, action := range []string{"suspend", "revoke"} {
			if st := change(tok, id, action); st != 403 {
				t.Errorf("%s %s: %d", name, action, st)
			}
		}
	}
	if st := change(a, id, "suspend"); st != 200 {
		t.Fatalf("issuing key suspends: %d", st)
	}
	if st := change(admin, id, "reinstate"); st != 200 {
		t.Fatalf("admin reinstates: %d", st)
	}
	// A rotated key manages what its predecessor issued; the old key no longer works.
	a2, _, err := svc.Issuer().RotateAPIKey(ctx, keyID(a))
	if err != nil {
		t.Fatal(err)
	}
	if st := change(a2, id, "revoke"); st != 200 {
		t.Fatalf("rotated key revokes: %d", st)
	}
	if st := change(a, id, "revoke"); st != 401 {
		t.Fatalf("old key after rotation: %d", st)
	}
}

// keyID is the public id of an API key token.
func keyID(tok string) string { return tok[:len("idpi_")+8] }

// API keys expire (90 days by default) and can be revoked.
func TestAPIKeyExpiryAndRevocation(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	srv, svc, _ := serverWith(t, func(c *issuer.Config) { c.Clock = func() time.Time { return *clock.Load() } })
	ctx := context.Background()
	tok, _ := svc.CreateAPIKey(ctx, "short-lived", "BusinessRegistration")
	other, _ := svc.CreateAPIKey(ctx, "other", "BusinessRegistration")
	body := js(map[string]any{"type": "BusinessRegistration", "credentialSubject": subject(nil)})
	if st, _, b := post(t, srv, tok, "/credentials/issue", body); st != 201 {
		t.Fatalf("fresh key: %d %s", st, b)
	}
	later := now.Add(issuer.DefaultAPIKeyTTL - time.Second)
	clock.Store(&later)
	if st, _, _ := post(t, srv, tok, "/credentials/issue", body); st != 201 {
		t.Fatalf("key before expiry: %d", st)
	}
	expired := now.Add(issuer.DefaultAPIKeyTTL)
	clock.Store(&expired)
	if st, _, b := post(t, srv, tok, "/credentials/issue", body); st != 401 || !strings.Contains(b, "expired") {
		t.Fatalf("expired key: %d %s", st, b)
	}
	clock.Store(&now)
	if err := svc.Issuer().RevokeAPIKey(ctx, keyID(other)); err != nil {
		t.Fatal(err)
	}
	if st, _, b := post(t, srv, other, "/credentials/issue", body); st != 401 || !strings.Contains(b, "revoked") {
		t.Fatalf("revoked key: %d %s", st, b)
	}
	for _, k := range svc.Issuer().APIKeys() {
		if k.ID == keyID(other) && k.State != "revoked" {
			t.Fatalf("listed %+v", k)
		}
	}
}
