package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/internal/testutil"
)

type fixture struct {
	srv    *httptest.Server
	issuer *testutil.Party
	holder *testutil.Party
	trust  *verifier.StaticTrust
}

func newFixture(t *testing.T, trust verifier.TrustSource, dataDir string) *httptest.Server {
	srv, _ := newService(t, trust, dataDir)
	return srv
}

func newService(t *testing.T, trust verifier.TrustSource, dataDir string) (*httptest.Server, *httpapi.Service) {
	t.Helper()
	svc, err := httpapi.NewService(httpapi.ServiceConfig{
		DataDir: dataDir, Logger: slog.New(slog.DiscardHandler),
		Verifier: verifier.Config{
			TrustSource: trust, Clock: testutil.Clock,
			StatusFetcher: &testutil.Status{Values: map[string]uint8{"https://status.example/list/1#9": 1}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv, svc
}

func setup(t *testing.T) *fixture {
	f := &fixture{issuer: testutil.NewParty(t, keys.EdDSA), holder: testutil.NewParty(t, keys.EdDSA)}
	f.trust = verifier.NewStaticTrust(3, f.issuer.Authority())
	f.srv = newFixture(t, f.trust, t.TempDir())
	return f
}

func post(t *testing.T, url, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("status %d, body not JSON: %q", resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

func jsonBody(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func firstCode(m map[string]any) string {
	if errs, ok := m["errors"].([]any); ok && len(errs) > 0 {
		return errs[0].(map[string]any)["code"].(string)
	}
	code, _ := m["code"].(string)
	return code
}

func TestCredentialsVerify(t *testing.T) {
	f := setup(t)
	from := testutil.Now.Add(-time.Hour)
	good := f.issuer.JOSE(t, testutil.Cred{Issuer: f.issuer.DID, From: from}.JSON())
	revoked := f.issuer.JOSE(t, testutil.Cred{Issuer: f.issuer.DID, From: from, Status: testutil.StatusEntry("revocation", "9")}.JSON())
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	tests := []struct {
		name   string
		ctype  string
		body   []byte
		status int
		code   string
	}{
		{"compact string verified", "application/json", jsonBody(map[string]any{"verifiableCredential": good}), 200, ""},
		{"enveloped verified", "application/json", []byte(`{"verifiableCredential":{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"data:application/vc+jwt,` + good + `","type":"EnvelopedVerifiableCredential"}}`), 200, ""},
		{"tampered", "application/json", jsonBody(map[string]any{"verifiableCredential": good[:len(good)-4] + "AAAA"}), 400, "signature_invalid"},
		{"revoked", "application/json", jsonBody(map[string]any{"verifiableCredential": revoked}), 400, "revoked"},
		{"policy narrowed by request", "application/json", jsonBody(map[string]any{"verifiableCredential": good, "options": map[string]any{"minAssurance": "high"}}), 400, "assurance_too_low"},
		{"object without proof", "application/json", []byte(`{"verifiableCredential":{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"did:example:x","credentialSubject":{"a":1}}}`), 400, "malformed"},
		{"garbage string", "application/json", jsonBody(map[string]any{"verifiableCredential": "hello"}), 400, "malformed"},
		{"alg none", "application/json", jsonBody(map[string]any{"verifiableCredential": "eyJhbGciOiJub25lIiwidHlwIjoidmMrand0In0.eyJhIjoxfQ."}), 400, "alg_not_allowed"},
		{"missing member", "application/json", []byte(`{"credential":{}}`), 422, "not_a_credential"},
		{"number", "application/json", []byte(`{"verifiableCredential":42}`), 422, "not_a_credential"},
		{"malformed JSON", "application/json", []byte(`{"verifiableCredential":`), 400, "malformed_json"},
		{"wrong content type", "text/plain", []byte(`{}`), 415, "unsupported_media_type"},
		{"2 MB body", "application/json", jsonBody(map[string]any{"verifiableCredential": strings.Repeat("a", 2<<20)}), 413, "body_too_large"},
		{"10000 disclosures", "application/json", jsonBody(map[string]any{"verifiableCredential": good + strings.Repeat("~WyJzYWx0IiwibmFtZSIsInZhbHVlIl0", 10000) + "~"}), 400, "malformed"},
		{"nested 10000 deep", "application/json", []byte(`{"verifiableCredential":` + deep + `}`), 400, "json_too_deep"},
		{"nested too deep in options", "application/json", []byte(`{"verifiableCredential":"` + good + `","options":{"x":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}}`), 400, "json_too_deep"},
		// Two values under one name: a proxy reading the first and the verifier the last must
		// not see two credentials, so the request is refused whichever way the name is spelt.
		{"credential given twice", "application/json", []byte(`{"verifiableCredential":"` + good + `","verifiableCredential":"` + revoked + `"}`), 400, "malformed_json"},
		{"credential given twice, once escaped", "application/json", []byte(`{"verifiableCredential":"` + revoked + `","verifiable\u0043redential":"` + good + `"}`), 400, "malformed_json"},
		// Names match exactly: a case-folded twin is not the credential.
		{"name in another case", "application/json", []byte(`{"VerifiableCredential":"` + good + `"}`), 422, "not_a_credential"},
		// The same rules inside options: a gateway reading the first minAssurance and the
		// verifier the last, or the verifier folding a name's case, would not apply the
		// narrowing the gateway saw.
		{"option given twice", "application/json", []byte(`{"verifiableCredential":"` + good + `","options":{"minAssurance":"high","minAssurance":""}}`), 400, "malformed_json"},
		{"option given twice, once escaped", "application/json", []byte(`{"verifiableCredential":"` + good + `","options":{"minAssurance":"high","min\u0041ssurance":""}}`), 400, "malformed_json"},
		{"option name in another case", "application/json", []byte(`{"verifiableCredential":"` + good + `","options":{"minAssurance":"","MinAssurance":"high"}}`), 400, "malformed_json"},
		{"option name folded by Unicode", "application/json", []byte(`{"verifiableCredential":"` + good + `","options":{"credentialTypes":["BusinessRegistration"],"credentialType\u017f":["Passport"]}}`), 400, "malformed_json"},
		{"unknown option ignored", "application/json", []byte(`{"verifiableCredential":"` + good + `","options":{"checks":["proof"]}}`), 200, ""},
		{"options not an object", "application/json", []byte(`{"verifiableCredential":"` + good + `","options":"high"}`), 400, "malformed_json"},
		{"options null", "application/json", []byte(`{"verifiableCredential":"` + good + `","options":null}`), 200, ""},
		{"unknown member ignored", "application/json", []byte(`{"verifiableCredential":"` + good + `","note":{"a":[1]}}`), 200, ""},
		{"body an array", "application/json", []byte(`[{"verifiableCredential":"` + good + `"}]`), 400, "malformed_json"},
		{"body null", "application/json", []byte(`null`), 422, "not_a_credential"},
		{"trailing data", "application/json", []byte(`{"verifiableCredential":"` + good + `"} {}`), 400, "malformed_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m := post(t, f.srv.URL+"/credentials/verify", tt.ctype, tt.body)
			if status != tt.status || firstCode(m) != tt.code {
				t.Fatalf("status %d code %q, want %d %q; body %v", status, firstCode(m), tt.status, tt.code, m)
			}
			if status == 200 || status == 400 && m["verified"] != nil {
				if _, ok := m["results"].(map[string]any)["checks"]; !ok {
					t.Fatalf("no checks in %v", m)
				}
			}
		})
	}
	// The verified answer carries the grounds and the mapped claims.
	_, m := post(t, f.srv.URL+"/credentials/verify", "application/json", jsonBody(map[string]any{"verifiableCredential": good}))
	rec := m["recognition"].(map[string]any)
	claims := m["claims"].(map[string]any)
	if m["verified"] != true || rec["authority"] != "sg-acra" || rec["jurisdiction"] != "SG" || rec["registryVersion"] != 3.0 || claims["registrationNumber"] != "201912345K" {
		t.Fatalf("answer %v", m)
	}
	// Outcomes are counted by code, never by personal data.
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `idport_verifier_verifications_total{format="vc+jwt",kind="credential",outcome="revoked"} 1`) {
		t.Fatalf("metrics lack the outcome counter:\n%s", metrics)
	}
	// A suspension is seen at once.
	f.trust.Suspend(f.issuer.DID, testutil.Now.Add(-time.Minute))
	status, m := post(t, f.srv.URL+"/credentials/verify", "application/json", jsonBody(map[string]any{"verifiableCredential": good}))
	if status != 400 || firstCode(m) != "authority_suspended" {
		t.Fatalf("after suspension: %d %v", status, m)
	}
}

func TestNoRegistry(t *testing.T) {
	is := testutil.NewParty(t, keys.EdDSA)
	srv := newFixture(t, verifier.Unavailable("no registry configured"), t.TempDir())
	resp, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz %d, want 503", resp.StatusCode)
	}
	good := is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testutil.Now.Add(-time.Hour)}.JSON())
	status, m := post(t, srv.URL+"/credentials/verify", "application/json", jsonBody(map[string]any{"verifiableCredential": good}))
	if status != 400 || firstCode(m) != "registry_stale" {
		t.Fatalf("%d %v", status, m)
	}
}

func TestPresentationChallengeAcrossRestart(t *testing.T) {
	is := testutil.NewParty(t, keys.EdDSA)
	holder := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(1, is.Authority())
	dir := t.TempDir()
	srv, svc := newService(t, trust, dir)

	_, ch := post(t, srv.URL+"/challenges", "application/json", []byte(`{}`))
	nonce, _ := ch["challenge"].(string)
	if len(nonce) < 16 {
		t.Fatalf("challenge %v", ch)
	}
	cred := is.JOSE(t, testutil.Cred{Issuer: is.DID, Subject: holder.DID, From: testutil.Now.Add(-time.Hour)}.JSON())
	vp := holder.JWTVP(t, nonce, "https://verifier.example", cred)
	body := jsonBody(map[string]any{"verifiablePresentation": vp, "options": map[string]any{"challenge": nonce, "domain": "https://verifier.example"}})
	status, m := post(t, srv.URL+"/presentations/verify", "application/json", body)
	if status != 200 || m["verified"] != true {
		t.Fatalf("%d %v", status, m)
	}
	// Restart: a new service on the same data directory.
	srv.Close()
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	srv2 := newFixture(t, trust, dir)
	status, m = post(t, srv2.URL+"/presentations/verify", "application/json", body)
	if status != 400 || firstCode(m) != "challenge_reused" {
		t.Fatalf("replay after restart: %d %v", status, m)
	}
	// Another presenter than the subject.
	_, ch = post(t, srv2.URL+"/challenges", "application/json", []byte(`{}`))
	nonce = ch["challenge"].(string)
	other := testutil.NewParty(t, keys.EdDSA)
	vp = other.JWTVP(t, nonce, "https://verifier.example", cred)
	status, m = post(t, srv2.URL+"/presentations/verify", "application/json", jsonBody(map[string]any{"verifiablePresentation": vp}))
	if status != 400 || firstCode(m) != "holder_binding_failed" {
		t.Fatalf("foreign presenter: %d %v", status, m)
	}
	// A challenge never issued.
	vp = holder.JWTVP(t, "made-up-nonce", "https://verifier.example", cred)
	status, m = post(t, srv2.URL+"/presentations/verify", "application/json", jsonBody(map[string]any{"verifiablePresentation": vp}))
	if status != 400 || firstCode(m) != "challenge_invalid" {
		t.Fatalf("unknown challenge: %d %v", status, m)
	}
}

// TestAllFormatsOverHTTP: a Data Integrity credential (JSON object), an
// SD-JWT VC (string) and an SD-JWT+KB presentation over HTTP.
func TestAllFormatsOverHTTP(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	holder := testutil.NewParty(t, keys.EdDSA)
	srv := newFixture(t, verifier.NewStaticTrust(4, is.Authority()), t.TempDir())

	di, err := vcld.SignCredential(ctx, testutil.Cred{Issuer: is.DID, From: testutil.Now.Add(-time.Hour), LD: true}.JSON(),
		vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: testutil.Now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	status, m := post(t, srv.URL+"/credentials/verify", "application/json", []byte(`{"verifiableCredential":`+string(di)+`}`))
	if status != 200 || m["results"].(map[string]any)["format"] != "ldp_vc" {
		t.Fatalf("Data Integrity: %d %v", status, m)
	}
	sd := is.SDJWT(t, "HKResidentIdentity", map[string]any{"given_name": "Mei", "resident": true}, holder, nil)
	status, m = post(t, srv.URL+"/credentials/verify", "application/json", jsonBody(map[string]any{"verifiableCredential": sd}))
	if status != 200 || m["claims"].(map[string]any)["given_name"] != "Mei" {
		t.Fatalf("SD-JWT VC: %d %v", status, m)
	}
	_, ch := post(t, srv.URL+"/challenges", "application/json", []byte(`{}`))
	nonce := ch["challenge"].(string)
	vp := holder.Present(t, sd, []string{"given_name"}, nonce, "https://verifier.example")
	body := jsonBody(map[string]any{"verifiablePresentation": vp, "options": map[string]any{"domain": "https://verifier.example"}})
	status, m = post(t, srv.URL+"/presentations/verify", "application/json", body)
	if status != 200 || m["verified"] != true {
		t.Fatalf("SD-JWT+KB: %d %v", status, m)
	}
	status, m = post(t, srv.URL+"/presentations/verify", "application/json", body)
	if status != 400 || firstCode(m) != "challenge_reused" {
		t.Fatalf("SD-JWT+KB replay: %d %v", status, m)
	}
}
