package httpapi_test

import (
	"io"
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

// TestMetricsLabelsStayClosed: a client naming its own credential types (VC-API) makes no new
// metric series per name, for issuance or status changes: unconfigured types are counted as
// "other", so that a client cannot grow the metrics without bound.
func TestMetricsLabelsStayClosed(t *testing.T) {
	srv, svc, tok := serverWith(t, nil)
	for i := range 3 {
		typ := "SpamType" + strings.Repeat("x", i)
		st, _, b := post(t, srv, tok, "/credentials/issue", js(map[string]any{"credential": v2cred(svc.DID(), func(m map[string]any) {
			m["@context"] = []any{"https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/undefined-terms/v2"}
			m["type"] = []any{"VerifiableCredential", typ}
			m["id"] = "urn:example:spam-" + typ
		})}))
		if st != 201 {
			t.Fatalf("issue %s: %d %.200s", typ, st, b)
		}
		if st, _, b := post(t, srv, tok, "/credentials/status", js(map[string]any{"credentialId": "urn:example:spam-" + typ, "action": "suspend"})); st != 200 {
			t.Fatalf("suspend %s: %d %.200s", typ, st, b)
		}
	}
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := string(b)
	if strings.Contains(m, "SpamType") {
		t.Errorf("client-chosen type names became metric labels")
	}
	for _, want := range []string{`idport_issuer_credentials_issued_total{format="vc+jwt",type="other"} 3`, `idport_issuer_status_changes_total{state="suspended",type="other"} 3`} {
		if !strings.Contains(m, want) {
			t.Errorf("missing %s", want)
		}
	}
}
