package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestOpenID4VPRepeatedResponseParameters: a direct_post form that names
// vp_token, state or response twice is refused whole (RFC 6749 section
// 3.1: parameters must not repeat), whichever copy is the good one, so
// that no proxy or log that reads the other copy disagrees with the
// verifier; the transaction stays open for the real answer.
func TestOpenID4VPRepeatedResponseParameters(t *testing.T) {
	f := newVPFixture(t)
	cr := f.create("direct_post", "redirect_uri")
	_, claims := f.requestObject(cr)
	nonce, state, uri := claims["nonce"].(string), claims["state"].(string), claims["response_uri"].(string)
	good := `{"resident":["` + f.presentation([]string{"given_name", "resident"}, nonce, cr.ClientID) + `"]}`
	q := url.QueryEscape
	for name, body := range map[string]string{
		"vp_token twice, good first": "vp_token=" + q(good) + "&vp_token=" + q(`{"resident":["x~"]}`) + "&state=" + q(state),
		"vp_token twice, good last":  "vp_token=" + q(`{"resident":["x~"]}`) + "&vp_token=" + q(good) + "&state=" + q(state),
		"state twice":                "vp_token=" + q(good) + "&state=" + q(state) + "&state=" + q("another"),
		"response beside vp_token":   "vp_token=" + q(good) + "&state=" + q(state) + "&response=" + q("a.b.c.d.e"),
	} {
		w := f.do("POST", uri, "application/x-www-form-urlencoded", "", body)
		if w.Code != http.StatusBadRequest || code(w) != "openid4vp_invalid_response" {
			t.Errorf("%s: %d %s, want 400 openid4vp_invalid_response", name, w.Code, w.Body)
		}
		if st, _ := f.outcome(cr); st != http.StatusAccepted {
			t.Fatalf("%s: the transaction changed (outcome %d)", name, st)
		}
	}
	if w := f.postResponse(uri, url.Values{"vp_token": {good}, "state": {state}}); w.Code != http.StatusOK {
		t.Fatalf("the real answer after the refusals: %d %s", w.Code, w.Body)
	}
}

// TestOpenID4VPHolderBindingOption: a transaction's options.holderBinding
// is checked when the request is created, as /presentations/verify checks
// it (an unknown mode, or a weaker one the verifier does not allow, is
// refused), never silently dropped.
func TestOpenID4VPHolderBindingOption(t *testing.T) {
	f := newVPFixture(t)
	for mode, want := range map[string]string{"bogus": "holder_binding_unknown", "none": "holder_binding_not_allowed"} {
		body := `{"dcql_query":` + vpQuery + `,"response_mode":"direct_post","options":{"holderBinding":"` + mode + `"}}`
		w := f.do("POST", "/openid4vp/requests", "application/json", vpAPIKey, body)
		if w.Code != http.StatusBadRequest || code(w) != want {
			t.Errorf("holderBinding %q: %d %s, want 400 %s", mode, w.Code, w.Body, want)
		}
	}
	body := `{"dcql_query":` + vpQuery + `,"response_mode":"direct_post","options":{"holderBinding":"subject"}}`
	if w := f.do("POST", "/openid4vp/requests", "application/json", vpAPIKey, body); w.Code != http.StatusCreated {
		t.Fatalf("holderBinding subject: %d %s", w.Code, w.Body)
	}
}

// TestOpenID4VPOutcomeNeedsTheKey: without the relying party's key, the
// outcome and QR routes answer the same 401 for a live transaction and
// for an id that never existed, so that they tell an outsider nothing.
func TestOpenID4VPOutcomeNeedsTheKey(t *testing.T) {
	f := newVPFixture(t)
	cr := f.create("direct_post", "redirect_uri")
	for _, auth := range []string{"", "another-relying-party-key"} {
		for _, suffix := range []string{"", "/qr.png", "/qr.svg"} {
			real := f.do("GET", "/openid4vp/requests/"+cr.TransactionID+suffix, "", auth, "")
			bogus := f.do("GET", "/openid4vp/requests/AAAAAAAAAAAAAAAAAAAAAA"+suffix, "", auth, "")
			if real.Code != http.StatusUnauthorized || bogus.Code != real.Code || code(real) != code(bogus) ||
				strings.Contains(real.Body.String(), cr.TransactionID) {
				t.Errorf("key %q %s: live %d %s, unknown %d %s", auth, suffix, real.Code, real.Body, bogus.Code, bogus.Body)
			}
		}
	}
}

// TestOpenID4VPHostileResponseBodies: a response that is not a form, is
// too large, or nests deeply is refused with a clear code before any
// verification, and the transaction stays open.
func TestOpenID4VPHostileResponseBodies(t *testing.T) {
	f := newVPFixture(t)
	cr := f.create("direct_post", "redirect_uri")
	_, claims := f.requestObject(cr)
	nonce, state, uri := claims["nonce"].(string), claims["state"].(string), claims["response_uri"].(string)
	good := url.Values{"vp_token": {`{"resident":["` + f.presentation([]string{"given_name", "resident"}, nonce, cr.ClientID) + `"]}`}, "state": {state}}
	deep := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	for _, tc := range []struct {
		name, ctype, body string
		status            int
		code              string
	}{
		{"JSON body", "application/json", `{"vp_token":{"resident":["x~"]},"state":"` + state + `"}`, 400, "openid4vp_invalid_response"},
		{"multipart body", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"state\"\r\n\r\n" + state + "\r\n--x--\r\n", 400, "openid4vp_invalid_response"},
		{"no content type", "", good.Encode(), 400, "openid4vp_invalid_response"},
		{"too large", "application/x-www-form-urlencoded", "state=" + state + "&vp_token=" + strings.Repeat("A", 3<<20), 413, "body_too_large"},
		{"deeply nested presentation", "application/x-www-form-urlencoded", url.Values{"vp_token": {`{"resident":[` + deep + `]}`}, "state": {state}}.Encode(), 400, ""},
		{"deeply nested vp_token", "application/x-www-form-urlencoded", url.Values{"vp_token": {`{"resident":` + deep + `}`}, "state": {state}}.Encode(), 400, "openid4vp_invalid_response"},
		{"bad form escape", "application/x-www-form-urlencoded", "state=%zz&" + good.Encode(), 400, "openid4vp_invalid_response"},
		{"semicolon separator", "application/x-www-form-urlencoded", "state=" + url.QueryEscape(state) + ";vp_token=" + url.QueryEscape(good.Get("vp_token")), 400, "openid4vp_invalid_response"},
	} {
		w := f.do("POST", uri, tc.ctype, "", tc.body)
		if w.Code != tc.status || (tc.code != "" && code(w) != tc.code) {
			t.Errorf("%s: %d %.300s, want %d %s", tc.name, w.Code, w.Body, tc.status, tc.code)
		}
		if st, _ := f.outcome(cr); st != http.StatusAccepted {
			t.Fatalf("%s: the transaction changed (outcome %d)", tc.name, st)
		}
	}
	if w := f.postResponse(uri, good); w.Code != http.StatusOK {
		t.Fatalf("the real answer after the refusals: %d %s", w.Code, w.Body)
	}
}

// TestOpenID4VPStolenCredential: a wallet presenting another holder's
// SD-JWT (with its own key binding, or none at all) for the right nonce
// and audience is not bound to the request; the transaction stays open.
func TestOpenID4VPStolenCredential(t *testing.T) {
	f := newVPFixture(t)
	cr := f.create("direct_post", "redirect_uri")
	_, claims := f.requestObject(cr)
	nonce, state, uri := claims["nonce"].(string), claims["state"].(string), claims["response_uri"].(string)
	thief := testutil.NewParty(t, keys.EdDSA)
	cred := f.issuer.SDJWT(t, "HKResidentIdentity", map[string]any{"given_name": "Mei", "resident": true, "hkid": "A1"}, f.holder, nil)
	withKB := thief.Present(t, cred, []string{"given_name", "resident"}, nonce, cr.ClientID)
	noKB := withKB[:strings.LastIndexByte(withKB, '~')+1]
	for name, vp := range map[string]string{"thief's key binding": withKB, "no key binding": noKB} {
		w := f.postResponse(uri, url.Values{"vp_token": {`{"resident":["` + vp + `"]}`}, "state": {state}})
		if w.Code != http.StatusBadRequest || code(w) != "openid4vp_response_not_bound" {
			t.Errorf("%s: %d %s, want 400 openid4vp_response_not_bound", name, w.Code, w.Body)
		}
		if st, _ := f.outcome(cr); st != http.StatusAccepted {
			t.Fatalf("%s: the transaction changed (outcome %d)", name, st)
		}
	}
}

// TestOpenID4VPExpiryEdges: past a request's expiry an unanswered request
// is gone for everyone (request object, response, outcome: 404
// openid4vp_transaction_unknown), while an answer given just before the
// expiry is still read by the relying party after it.
func TestOpenID4VPExpiryEdges(t *testing.T) {
	f := newVPFixtureSetup(t, func(f *vpFixture) { f.lifetime = 2 * time.Second })
	answered, open := f.create("direct_post", "redirect_uri"), f.create("direct_post", "redirect_uri")
	_, ac := f.requestObject(answered)
	_, oc := f.requestObject(open)
	vp := f.presentation([]string{"given_name", "resident"}, ac["nonce"].(string), answered.ClientID)
	late := f.presentation([]string{"given_name", "resident"}, oc["nonce"].(string), open.ClientID)
	time.Sleep(time.Until(answered.Expires) - 400*time.Millisecond) // the wallet answers at the last moment
	if w := f.postResponse(ac["response_uri"].(string), url.Values{"vp_token": {`{"resident":["` + vp + `"]}`}, "state": {ac["state"].(string)}}); w.Code != http.StatusOK {
		t.Fatalf("answer: %d %s", w.Code, w.Body)
	}
	time.Sleep(time.Until(open.Expires) + 100*time.Millisecond)

	if st, out := f.outcome(answered); st != http.StatusOK || out["verified"] != true {
		t.Fatalf("an answer read after the request's expiry: %d %v", st, out)
	}
	for name, w := range map[string]*httptest.ResponseRecorder{
		"request object": f.do("GET", open.RequestURI, "", "", ""),
		"response":       f.postResponse(oc["response_uri"].(string), url.Values{"vp_token": {`{"resident":["` + late + `"]}`}, "state": {oc["state"].(string)}}),
		"outcome":        f.do("GET", "/openid4vp/requests/"+open.TransactionID, "", vpAPIKey, ""),
	} {
		if w.Code != http.StatusNotFound || code(w) != "openid4vp_transaction_unknown" {
			t.Errorf("%s after the expiry: %d %s, want 404 openid4vp_transaction_unknown", name, w.Code, w.Body)
		}
	}
}

// TestOpenID4VPCreateRequestNames: a request to create a transaction is
// read under the rules of the verify requests, so that a gateway and the
// verifier read the same query and narrowing: a member or an option given
// twice (however it is escaped), or an option named like one but not
// exactly, is refused with 400 malformed_json and creates nothing.
func TestOpenID4VPCreateRequestNames(t *testing.T) {
	f := newVPFixture(t)
	const mode = `"response_mode":"direct_post"`
	for name, body := range map[string]string{
		"dcql_query twice":           `{"dcql_query":` + vpQuery + `,"dcql_query":` + vpQuery + `,` + mode + `}`,
		"response_mode twice":        `{"dcql_query":` + vpQuery + `,` + mode + `,"response_mode":"direct_post.jwt"}`,
		"option twice":               `{"dcql_query":` + vpQuery + `,` + mode + `,"options":{"jurisdictions":["SG"],"jurisdictions":["HK"]}}`,
		"option twice, once escaped": `{"dcql_query":` + vpQuery + `,` + mode + `,"options":{"jurisdictions":["SG"],"jurisdiction\u0073":["HK"]}}`,
		"option in another case":     `{"dcql_query":` + vpQuery + `,` + mode + `,"options":{"jurisdictions":["SG"],"Jurisdictions":["HK"]}}`,
		"option folded by Unicode":   `{"dcql_query":` + vpQuery + `,` + mode + `,"options":{"overDisclosure":"refuse","overDi\u017fclosure":"withhold"}}`,
		"options not an object":      `{"dcql_query":` + vpQuery + `,` + mode + `,"options":"withhold"}`,
		"response_mode not a string": `{"dcql_query":` + vpQuery + `,"response_mode":1}`,
	} {
		w := f.do("POST", "/openid4vp/requests", "application/json", vpAPIKey, body)
		if w.Code != http.StatusBadRequest || code(w) != "malformed_json" {
			t.Errorf("%s: %d %s, want 400 malformed_json", name, w.Code, w.Body)
		}
	}
	// A member named like another in another case is not a twin: unknown, and ignored.
	body := `{"dcql_query":` + vpQuery + `,` + mode + `,"options":null,"DCQL_QUERY":{"a":[1]}}`
	if w := f.do("POST", "/openid4vp/requests", "application/json", vpAPIKey, body); w.Code != http.StatusCreated {
		t.Fatalf("null options and an unknown member: %d %s", w.Code, w.Body)
	}
}
