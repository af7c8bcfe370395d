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
