package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestOpenID4VPArrayElementOverDisclosure: a transaction that asks for
// the first element of nationalities is answered with two elements. Under
// overDisclosure "refuse" the response is refused and the transaction
// stays open; under "withhold" the outcome keeps the first element only
// and names the second in stripped.
func TestOpenID4VPArrayElementOverDisclosure(t *testing.T) {
	f := newVPFixtureSetup(t, func(f *vpFixture) {
		auth := f.issuer.Authority()
		auth.AllowedClaims = append(auth.AllowedClaims, "nationalities")
		f.trust = verifier.NewStaticTrust(4, auth)
	})
	cn, hk := testutil.NewDisclosure(t, "s0", "CN"), testutil.NewDisclosure(t, "s1", "HK")
	jwt := f.issuer.SDJWTIssuerJWT(t, "HKResidentIdentity", map[string]any{"nationalities": []any{cn.Element(), hk.Element()}}, f.holder)
	query := `{"credentials":[{"id":"resident","format":"dc+sd-jwt","meta":{"vct_values":["HKResidentIdentity"]},"claims":[{"path":["nationalities",0]}]}]}`
	create := func(policy string) httpapi.CreatedRequest {
		body := `{"dcql_query":` + query + `,"response_mode":"direct_post","client_id_prefix":"redirect_uri","options":{"overDisclosure":"` + policy + `"}}`
		w := f.do("POST", "/openid4vp/requests", "application/json", vpAPIKey, body)
		var cr httpapi.CreatedRequest
		if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &cr) != nil {
			t.Fatalf("create: %d %s", w.Code, w.Body)
		}
		return cr
	}
	answer := func(cr httpapi.CreatedRequest, show ...testutil.Disclosure) *httptest.ResponseRecorder {
		_, claims := f.requestObject(cr)
		vp := f.holder.PresentDisclosures(t, jwt, claims["nonce"].(string), cr.ClientID, show...)
		return f.postResponse(claims["response_uri"].(string), url.Values{"vp_token": {`{"resident":["` + vp + `"]}`}, "state": {claims["state"].(string)}})
	}

	refuse := create("refuse")
	if w := answer(refuse, cn, hk); w.Code != http.StatusBadRequest || code(w) != "openid4vp_over_disclosure" || !strings.Contains(w.Body.String(), "nationalities[1]") {
		t.Fatalf("refuse: %d %s", w.Code, w.Body)
	}
	if st, _ := f.outcome(refuse); st != http.StatusAccepted {
		t.Fatalf("refuse: the transaction changed (outcome %d)", st)
	}
	if w := answer(refuse, cn); w.Code != http.StatusOK {
		t.Fatalf("element 0 alone: %d %s", w.Code, w.Body)
	}

	withhold := create("withhold")
	if w := answer(withhold, cn, hk); w.Code != http.StatusOK {
		t.Fatalf("withhold: %d %s", w.Code, w.Body)
	}
	st, out := f.outcome(withhold)
	got, _ := json.Marshal(out["claims"].(map[string]any)["nationalities"])
	stripped, _ := json.Marshal(out["results"].(map[string]any)["stripped"])
	if st != http.StatusOK || out["verified"] != true || string(got) != `["CN"]` || string(stripped) != `["nationalities[1]"]` {
		t.Fatalf("withhold outcome: %d nationalities %s stripped %s: %v", st, got, stripped, out)
	}
}
