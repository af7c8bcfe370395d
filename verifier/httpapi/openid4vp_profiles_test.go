package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/profiles"
)

const (
	bankVPKey = "bank-vp-key-0123456789abcdef"
	shopVPKey = "shop-vp-key-0123456789abcdef"
)

// newVPProfilesFixture is newVPFixture with two relying parties: bank
// (profiles bank-kyc, accepting the fixture's credential, and bank-high,
// refusing it for its assurance) and shop (shop-any).
func newVPProfilesFixture(t *testing.T) *vpFixture {
	t.Helper()
	set, err := profiles.New(profiles.Config{
		RelyingParties: []profiles.RelyingParty{{Name: "bank", APIKeySHA256: keyHash(bankVPKey)}, {Name: "shop", APIKeySHA256: keyHash(shopVPKey)}},
		Profiles: []profiles.Profile{
			{Name: "bank-kyc", RelyingParty: "bank", Jurisdictions: []string{"SG"}, CredentialTypes: []string{"HKResidentIdentity"}},
			{Name: "bank-high", RelyingParty: "bank", MinAssurance: "high"},
			{Name: "shop-any", RelyingParty: "shop"},
		},
	}, verifier.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	return newVPFixtureWith(t, set)
}

// createAt creates a request at path (…/openid4vp/requests) with key.
func (f *vpFixture) createAt(path, key, options string) httpapi.CreatedRequest {
	f.t.Helper()
	body := `{"dcql_query":` + vpQuery + `,"response_mode":"direct_post","client_id_prefix":"redirect_uri"`
	if options != "" {
		body += `,"options":` + options
	}
	w := f.do("POST", path, "application/json", key, body+"}")
	if w.Code != http.StatusCreated {
		f.t.Fatalf("create at %s: %d %s", path, w.Code, w.Body)
	}
	var cr httpapi.CreatedRequest
	if err := json.Unmarshal(w.Body.Bytes(), &cr); err != nil {
		f.t.Fatal(err)
	}
	return cr
}

// answer is the wallet answering cr with the holder's resident credential.
func (f *vpFixture) answer(cr httpapi.CreatedRequest) {
	f.t.Helper()
	_, claims := f.requestObject(cr)
	vp := f.presentation([]string{"given_name", "resident"}, claims["nonce"].(string), cr.ClientID)
	form := url.Values{"vp_token": {`{"resident":["` + vp + `"]}`}, "state": {claims["state"].(string)}}
	if w := f.postResponse(claims["response_uri"].(string), form); w.Code != http.StatusOK {
		f.t.Fatalf("response: %d %s", w.Code, w.Body)
	}
}

// read GETs uri with key: status, problem code or first error code, body.
func (f *vpFixture) read(uri, key string) (int, string, map[string]any) {
	f.t.Helper()
	w := f.do("GET", uri, "", key, "")
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	c, _ := m["code"].(string)
	if c == "" {
		c = firstCode(m)
	}
	return w.Code, c, m
}

// TestOpenID4VPProfileOwnership: a transaction created under a profile is
// read by its relying party alone; another relying party, the service's
// API key and an unknown id get one and the same 404; a plain transaction
// is not readable under any profile; ownership survives a restart.
func TestOpenID4VPProfileOwnership(t *testing.T) {
	f := newVPProfilesFixture(t)
	mine := f.createAt("/profiles/bank-kyc/openid4vp/requests", bankVPKey, "")
	self := "/profiles/bank-kyc/openid4vp/requests/" + mine.TransactionID
	if mine.QRPNG != vpBaseURL+self+"/qr.png" || mine.QRSVG != vpBaseURL+self+"/qr.svg" {
		t.Fatalf("QR links of a profile transaction: %s %s", mine.QRPNG, mine.QRSVG)
	}
	plain := f.create("direct_post", "redirect_uri")
	f.answer(mine)
	f.answer(plain)
	f.restart() // the owner is kept in verifier.db

	if st, _, m := f.read(self, bankVPKey); st != http.StatusOK || m["verified"] != true {
		t.Fatalf("owner reads its outcome: %d %v", st, m)
	}
	for _, p := range []string{"/qr.png", "/qr.svg"} {
		if w := f.do("GET", self+p, "", bankVPKey, ""); w.Code != http.StatusOK || w.Body.Len() < 100 {
			t.Fatalf("owner reads %s: %d", p, w.Code)
		}
	}
	_, _, unknown := f.read("/profiles/shop-any/openid4vp/requests/"+"AAAAAAAAAAAAAAAAAAAAAA", shopVPKey)
	for _, tc := range []struct{ name, uri, key string }{
		{"another relying party, its own profile", "/profiles/shop-any/openid4vp/requests/" + mine.TransactionID, shopVPKey},
		{"the service's API key", "/openid4vp/requests/" + mine.TransactionID, vpAPIKey},
		{"the owner under its other profile", "/profiles/bank-high/openid4vp/requests/" + mine.TransactionID, bankVPKey},
		{"a plain transaction under a profile", "/profiles/bank-kyc/openid4vp/requests/" + plain.TransactionID, bankVPKey},
		{"a plain transaction under another profile", "/profiles/shop-any/openid4vp/requests/" + plain.TransactionID, shopVPKey},
	} {
		for _, suffix := range []string{"", "/qr.png", "/qr.svg"} {
			st, c, m := f.read(tc.uri+suffix, tc.key)
			if st != http.StatusNotFound || c != "openid4vp_transaction_unknown" || m["detail"] != unknown["detail"] || m["title"] != unknown["title"] {
				t.Errorf("%s%s: %d %v, want the answer to an unknown id %v", tc.name, suffix, st, m, unknown)
			}
		}
	}
	if st, _, m := f.read("/openid4vp/requests/"+plain.TransactionID, vpAPIKey); st != http.StatusOK || m["verified"] != true {
		t.Fatalf("the API key reads its own transaction: %d %v", st, m)
	}
	// The profile routes authenticate as the profiles' verify routes do.
	for _, tc := range []struct {
		name, uri, key string
		status         int
		code           string
	}{
		{"another relying party's profile", self, shopVPKey, 403, "profile_forbidden"},
		{"no key", self, "", 401, "unauthorized"},
		{"the service's API key", self, vpAPIKey, 401, "unauthorized"},
		{"unknown profile", "/profiles/nope/openid4vp/requests/" + mine.TransactionID, bankVPKey, 404, "profile_not_found"},
		{"a profile key on the plain route", "/openid4vp/requests/" + plain.TransactionID, bankVPKey, 401, "unauthorized"},
	} {
		if st, c, _ := f.read(tc.uri, tc.key); st != tc.status || c != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, st, c, tc.status, tc.code)
		}
	}
	if w := f.do("POST", "/profiles/bank-kyc/openid4vp/requests", "application/json", shopVPKey, `{"dcql_query":`+vpQuery+`}`); w.Code != 403 || code(w) != "profile_forbidden" {
		t.Errorf("create under another relying party's profile: %d %s", w.Code, w.Body)
	}
}

// TestOpenID4VPProfilePolicy: a transaction created under a profile is
// verified under the profile's policy (stricter than the service's here),
// which the request's options narrow further, never loosen.
func TestOpenID4VPProfilePolicy(t *testing.T) {
	f := newVPProfilesFixture(t)
	plain := f.create("direct_post", "redirect_uri")
	high := f.createAt("/profiles/bank-high/openid4vp/requests", bankVPKey, "")
	narrowed := f.createAt("/profiles/bank-kyc/openid4vp/requests", bankVPKey, `{"jurisdictions":["HK"]}`)
	for _, cr := range []httpapi.CreatedRequest{plain, high, narrowed} {
		f.answer(cr)
	}
	if st, _, m := f.read("/openid4vp/requests/"+plain.TransactionID, vpAPIKey); st != 200 || m["verified"] != true {
		t.Fatalf("service policy accepts the credential: %d %v", st, m)
	}
	if st, c, m := f.read("/profiles/bank-high/openid4vp/requests/"+high.TransactionID, bankVPKey); st != 400 || c != "assurance_too_low" {
		t.Fatalf("bank-high (minAssurance high) refuses it: %d %s %v", st, c, m)
	}
	if st, c, m := f.read("/profiles/bank-kyc/openid4vp/requests/"+narrowed.TransactionID, bankVPKey); st != 400 || c != "jurisdiction_not_accepted" {
		t.Fatalf("bank-kyc narrowed to HK refuses it: %d %s %v", st, c, m)
	}
	// Options cannot loosen the profile: a weaker holder binding is refused at creation.
	w := f.do("POST", "/profiles/bank-kyc/openid4vp/requests", "application/json", bankVPKey,
		`{"dcql_query":`+vpQuery+`,"options":{"holderBinding":"none"}}`)
	if w.Code != 400 || code(w) != "holder_binding_not_allowed" {
		t.Fatalf("loosening options: %d %s", w.Code, w.Body)
	}

	// A profile removed from the file before the wallet answers: the
	// answer is refused (no policy to verify it under), the request stays
	// open.
	orphan := f.createAt("/profiles/bank-high/openid4vp/requests", bankVPKey, "")
	_, claims := f.requestObject(orphan)
	smaller, err := profiles.New(profiles.Config{
		RelyingParties: []profiles.RelyingParty{{Name: "bank", APIKeySHA256: keyHash(bankVPKey)}},
		Profiles:       []profiles.Profile{{Name: "bank-kyc", RelyingParty: "bank"}},
	}, verifier.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	f.profiles = smaller
	f.restart()
	vp := f.presentation([]string{"given_name", "resident"}, claims["nonce"].(string), orphan.ClientID)
	form := url.Values{"vp_token": {`{"resident":["` + vp + `"]}`}, "state": {claims["state"].(string)}}
	if w := f.postResponse(claims["response_uri"].(string), form); w.Code != 404 || code(w) != "profile_not_found" {
		t.Fatalf("answer to a request of a removed profile: %d %s", w.Code, w.Body)
	}
}
