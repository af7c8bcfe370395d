package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/internal/testutil"
	"github.com/idport/idport/verifier/profiles"
)

const (
	vpAPIKey  = "rp-secret-key-0123456789"
	vpBaseURL = "https://verifier.example"
)

type vpFixture struct {
	t       testing.TB
	dir     string
	trust   verifier.TrustSource
	svc     *httpapi.Service
	issuer  *testutil.Party
	holder  *testutil.Party
	handler http.Handler
	// lifetime of the requests (openid4vp.DefaultLifetime when 0).
	lifetime time.Duration
	// profiles are the relying-party profiles (none when nil).
	profiles *profiles.Set
}

func newVPFixture(t testing.TB) *vpFixture { return newVPFixtureSetup(t, nil) }

// newVPFixtureWith is newVPFixture serving the relying-party profiles set.
func newVPFixtureWith(t testing.TB, set *profiles.Set) *vpFixture {
	return newVPFixtureSetup(t, func(f *vpFixture) { f.profiles = set })
}

// newVPFixtureSetup is newVPFixture with setup (when not nil) applied before
// the service starts: the fixture's trust recognises its issuer by then.
func newVPFixtureSetup(t testing.TB, setup func(f *vpFixture)) *vpFixture {
	f := &vpFixture{t: t, dir: t.TempDir(), issuer: testutil.NewParty(t, keys.EdDSA), holder: testutil.NewParty(t, keys.EdDSA)}
	f.trust = verifier.NewStaticTrust(4, f.issuer.Authority())
	if setup != nil {
		setup(f)
	}
	f.start()
	return f
}

// start opens the service on the fixture's data directory (again after stop).
func (f *vpFixture) start() {
	svc, err := httpapi.NewService(httpapi.ServiceConfig{
		DataDir: f.dir, Profiles: f.profiles,
		Verifier: verifier.Config{TrustSource: f.trust, Clock: testutil.Clock,
			StatusFetcher: &testutil.Status{Values: map[string]uint8{}}},
		OpenID4VP: &httpapi.ServiceOpenID4VP{APIKey: vpAPIKey, BaseURL: vpBaseURL, SigningSecret: []byte("0123456789abcdef0123456789abcdef"), Lifetime: f.lifetime},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.svc, f.handler = svc, svc.Handler()
	f.t.Cleanup(func() { svc.Close() })
}

func (f *vpFixture) restart() {
	if err := f.svc.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.start()
}

// do runs one request against the handler; uri may be absolute (vpBaseURL).
func (f *vpFixture) do(method, uri, ctype, auth string, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest(method, strings.TrimPrefix(uri, vpBaseURL), strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	return w
}

const vpQuery = `{"credentials":[{"id":"resident","format":"dc+sd-jwt","meta":{"vct_values":["HKResidentIdentity"]},
	"claims":[{"path":["given_name"]},{"path":["resident"],"values":[true]}]}]}`

func (f *vpFixture) create(mode, prefix string) httpapi.CreatedRequest {
	f.t.Helper()
	body := `{"dcql_query":` + vpQuery + `,"response_mode":"` + mode + `","client_id_prefix":"` + prefix + `"}`
	w := f.do("POST", "/openid4vp/requests", "application/json", vpAPIKey, body)
	if w.Code != http.StatusCreated {
		f.t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var cr httpapi.CreatedRequest
	if err := json.Unmarshal(w.Body.Bytes(), &cr); err != nil {
		f.t.Fatal(err)
	}
	return cr
}

// requestObject is the wallet fetching request_uri: the claims of the JWT.
func (f *vpFixture) requestObject(cr httpapi.CreatedRequest) (header, claims map[string]any) {
	f.t.Helper()
	w := f.do("GET", cr.RequestURI, "", "", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/oauth-authz-req+jwt" {
		f.t.Fatalf("request object: %d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	parts := strings.Split(w.Body.String(), ".")
	for i, into := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			f.t.Fatal(err)
		}
		if err := json.Unmarshal(b, into); err != nil {
			f.t.Fatal(err)
		}
	}
	return header, claims
}

func (f *vpFixture) presentation(keep []string, nonce, aud string) string {
	return f.holder.Present(f.t, f.issuer.SDJWT(f.t, "HKResidentIdentity", map[string]any{"given_name": "Mei", "resident": true, "hkid": "A1"}, f.holder, nil), keep, nonce, aud)
}

func (f *vpFixture) postResponse(uri string, form url.Values) *httptest.ResponseRecorder {
	return f.do("POST", uri, "application/x-www-form-urlencoded", "", form.Encode())
}

func (f *vpFixture) outcome(cr httpapi.CreatedRequest) (int, map[string]any) {
	f.t.Helper()
	w := f.do("GET", "/openid4vp/requests/"+cr.TransactionID, "", vpAPIKey, "")
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, m
}

func code(w *httptest.ResponseRecorder) string {
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	s, _ := m["code"].(string)
	return s
}

// TestOpenID4VPDirectPostAcrossRestart: request, restart, response,
// outcome; then a replayed direct_post changes nothing.
func TestOpenID4VPDirectPostAcrossRestart(t *testing.T) {
	f := newVPFixture(t)
	cr := f.create("direct_post", "decentralized_identifier")
	if !strings.HasPrefix(cr.DeepLink, "openid4vp://?") || !strings.HasPrefix(cr.ClientID, "decentralized_identifier:did:jwk:") {
		t.Fatalf("created %+v", cr)
	}
	header, claims := f.requestObject(cr)
	if header["typ"] != "oauth-authz-req+jwt" || header["alg"] != "ES256" || claims["client_id"] != cr.ClientID {
		t.Fatalf("request object %v %v", header, claims)
	}
	if code, _ := f.outcome(cr); code != http.StatusAccepted {
		t.Fatalf("outcome before the answer: %d", code)
	}
	nonce, state, responseURI := claims["nonce"].(string), claims["state"].(string), claims["response_uri"].(string)
	vp := f.presentation([]string{"given_name", "resident"}, nonce, cr.ClientID)

	f.restart()
	form := url.Values{"vp_token": {`{"resident":["` + vp + `"]}`}, "state": {state}}
	if w := f.postResponse(responseURI, form); w.Code != http.StatusOK {
		t.Fatalf("response: %d %s", w.Code, w.Body)
	}
	status, out := f.outcome(cr)
	if status != http.StatusOK || out["verified"] != true || out["recognition"] == nil || out["claims"].(map[string]any)["given_name"] != "Mei" {
		t.Fatalf("outcome: %d %v", status, out)
	}
	if w := f.postResponse(responseURI, form); w.Code != http.StatusConflict || code(w) != "openid4vp_transaction_done" {
		t.Fatalf("replayed direct_post: %d %s", w.Code, w.Body)
	}
	if status2, out2 := f.outcome(cr); status2 != status || out2["verified"] != true {
		t.Fatalf("outcome after replay: %d %v", status2, out2)
	}
	for _, p := range []string{"/qr.png", "/qr.svg"} {
		if w := f.do("GET", "/openid4vp/requests/"+cr.TransactionID+p, "", vpAPIKey, ""); w.Code != http.StatusOK || w.Body.Len() < 100 {
			t.Fatalf("%s: %d", p, w.Code)
		}
	}
}

// TestOpenID4VPRefusedResponsesChangeNothing: each refused response gets a
// clear error and leaves the transaction pending.
func TestOpenID4VPRefusedResponsesChangeNothing(t *testing.T) {
	f := newVPFixture(t)
	cr := f.create("direct_post", "redirect_uri")
	_, claims := f.requestObject(cr)
	nonce, state, uri := claims["nonce"].(string), claims["state"].(string), claims["response_uri"].(string)
	other := f.create("direct_post", "redirect_uri")
	_, otherClaims := f.requestObject(other)
	vpForm := func(vp string) url.Values {
		return url.Values{"vp_token": {`{"resident":["` + vp + `"]}`}, "state": {state}}
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"reused nonce (another request's)", vpForm(f.presentation([]string{"given_name", "resident"}, otherClaims["nonce"].(string), cr.ClientID)), 400, "openid4vp_response_not_bound"},
		{"wrong aud", vpForm(f.presentation([]string{"given_name", "resident"}, nonce, "https://evil.example")), 400, "openid4vp_response_not_bound"},
		{"wrong client id", vpForm(f.presentation([]string{"given_name", "resident"}, nonce, other.ClientID)), 400, "openid4vp_response_not_bound"},
		{"query not satisfied", vpForm(f.presentation([]string{"given_name"}, nonce, cr.ClientID)), 400, "dcql_not_satisfied"},
		{"over-disclosure", vpForm(f.presentation([]string{"given_name", "resident", "hkid"}, nonce, cr.ClientID)), 400, "openid4vp_over_disclosure"},
		{"wrong state", url.Values{"vp_token": {`{"resident":["x~"]}`}, "state": {"nope"}}, 400, "openid4vp_invalid_response"},
		{"no vp_token", url.Values{"state": {state}}, 400, "openid4vp_invalid_response"},
	} {
		w := f.postResponse(uri, tc.form)
		if w.Code != tc.status || code(w) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, w.Code, w.Body, tc.status, tc.code)
		}
		if st, _ := f.outcome(cr); st != http.StatusAccepted {
			t.Fatalf("%s: the transaction changed (outcome %d)", tc.name, st)
		}
	}
	// A request object tampered in transit: the signed object's claims
	// changed, the signature kept; a wallet verifying it refuses it. The
	// verifier's own check: the nonce a wallet would read from a tampered
	// object is not the transaction's, so its answer is not bound.
	if w := f.do("GET", "/openid4vp/requests/"+cr.TransactionID, "", "wrong-key", ""); w.Code != http.StatusUnauthorized {
		t.Fatalf("outcome with a wrong API key: %d", w.Code)
	}
	if w := f.do("POST", "/openid4vp/requests", "application/json", "", `{}`); w.Code != http.StatusUnauthorized {
		t.Fatalf("create without API key: %d", w.Code)
	}
	if w := f.do("POST", "/openid4vp/requests", "application/json", vpAPIKey, `{"dcql_query":{"credentials":[]}}`); w.Code != 400 || code(w) != "invalid_dcql_query" {
		t.Fatalf("invalid query: %d %s", w.Code, w.Body)
	}
}
