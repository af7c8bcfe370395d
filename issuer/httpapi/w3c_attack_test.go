package httpapi_test

import (
	"strings"
	"testing"
)

// TestClientCredentialIDManageable: a client-supplied credential id is one the status
// endpoint accepts (at most 2048 bytes): a longer one is refused at issuance (never a server
// error from the store), and one of the limit's length is issued and then revoked.
func TestClientCredentialIDManageable(t *testing.T) {
	srv, svc, tok := serverWith(t, nil)
	for _, n := range []int{2049, 40 << 10} {
		id := "urn:example:" + strings.Repeat("a", n-len("urn:example:"))
		st, code, b := post(t, srv, tok, "/credentials/issue", js(map[string]any{"credential": v2cred(svc.DID(), func(m map[string]any) { m["id"] = id })}))
		if st != 400 || code != "invalid_credential" {
			t.Errorf("credential id of %d bytes: %d %s %.200s", n, st, code, b)
		}
	}
	id := "urn:example:" + strings.Repeat("a", 2048-len("urn:example:"))
	if st, _, b := post(t, srv, tok, "/credentials/issue", js(map[string]any{"credential": v2cred(svc.DID(), func(m map[string]any) { m["id"] = id })})); st != 201 {
		t.Fatalf("credential id of 2048 bytes: %d %.200s", st, b)
	}
	if st, _, b := post(t, srv, tok, "/credentials/status", js(map[string]any{"credentialId": id, "action": "revoke"})); st != 200 {
		t.Fatalf("revoking it: %d %.200s", st, b)
	}
}

// TestDisclosableKeepsTheTypesAlways: the type metadata the issuer publishes says a claim
// declared disclosable is always selectively disclosable ("sd": "always"); a request's
// disclosable list may add claims, never drop one of those, so that no SD-JWT VC shows in
// clear what its own type metadata promises to keep selective.
func TestDisclosableKeepsTheTypesAlways(t *testing.T) {
	srv, svc, tok := serverWith(t, nil)
	var always []string
	for _, ty := range svc.Issuer().Types() {
		if ty.Name == "BusinessRegistration" {
			always = ty.Disclosable()
		}
	}
	if len(always) == 0 {
		t.Fatal("BusinessRegistration declares no disclosable claim")
	}
	for _, list := range [][]string{{}, {"uen"}, always[1:]} {
		st, code, b := post(t, srv, tok, "/credentials/issue", js(map[string]any{"type": "BusinessRegistration", "format": "dc+sd-jwt",
			"credentialSubject": subject(nil), "disclosable": list}))
		if st != 400 || code != "invalid_request" || !strings.Contains(b, "disclosable must keep") {
			t.Errorf("disclosable %v: %d %s %.200s", list, st, code, b)
		}
	}
	if st, _, b := post(t, srv, tok, "/credentials/issue", js(map[string]any{"type": "BusinessRegistration", "format": "dc+sd-jwt",
		"credentialSubject": subject(nil), "disclosable": append([]string{"uen"}, always...)})); st != 201 {
		t.Fatalf("adding a disclosable claim: %d %.200s", st, b)
	}
}
