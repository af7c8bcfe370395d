package crossborder

import (
	"encoding/json"
	"testing"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcjwt"
)

// TestPresentedCredential: the one credential of each presentation form, as the issuer digests
// it; none for a presentation of no or several credentials.
func TestPresentedCredential(t *testing.T) {
	k, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	vp := func(creds ...string) string {
		s, err := vcjwt.SignVPJWT(k, vcjwt.VPParams{Version: 2, Holder: "did:example:holder", Credentials: creds, Nonce: "n", Audience: "https://issuer.example"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	js := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	for _, c := range []struct {
		name string
		in   json.RawMessage
		want string
	}{
		{"JWT VP of one credential", js(vp("a.b.c")), `"a.b.c"`},
		{"JWT VP of two", js(vp("a.b.c", "d.e.f")), ``},
		{"SD-JWT with key binding", js("a.b.c~WyJzIiwibiIsInYiXQ~k.b.j"), `"a.b.c"`},
		{"Data Integrity, one object", json.RawMessage(`{"type":"VerifiablePresentation","verifiableCredential":[{"id":"urn:x"}]}`), `{"id":"urn:x"}`},
		{"Data Integrity, one string", json.RawMessage(`{"type":"VerifiablePresentation","verifiableCredential":"a.b.c"}`), `"a.b.c"`},
		{"Data Integrity, none", json.RawMessage(`{"type":"VerifiablePresentation"}`), ``},
		{"Data Integrity, two", json.RawMessage(`{"verifiableCredential":[{"id":"urn:x"},{"id":"urn:y"}]}`), ``},
	} {
		if got := string(presentedCredential(c.in)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
