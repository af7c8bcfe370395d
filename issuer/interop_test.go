package issuer_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/nodetest"
)

type peerResult struct {
	Verified bool   `json:"verified"`
	Error    string `json:"error"`
}

type diResult struct {
	peerResult
	Statuses []struct {
		Purpose string `json:"purpose"`
		Set     bool   `json:"set"`
	} `json:"statuses"`
}

type interopOut struct {
	VCJOSE struct {
		peerResult
		Header  map[string]any `json:"header"`
		Payload map[string]any `json:"payload"`
	} `json:"vcjose"`
	VCJWT11 struct {
		peerResult
		Issuer string `json:"issuer"`
	} `json:"vcjwt11"`
	SDJWT struct {
		peerResult
		Claims map[string]any `json:"claims"`
		Status *int           `json:"status"`
	} `json:"sdjwt"`
	DI        diResult `json:"di"`
	DI11      diResult `json:"di11"`
	Bitstring map[string]struct {
		peerResult
		Purpose string          `json:"purpose"`
		Length  int             `json:"length"`
		Bits    map[string]bool `json:"bits"`
	} `json:"bitstring"`
	Token map[string]struct {
		peerResult
		Bits     int            `json:"bits"`
		Statuses map[string]int `json:"statuses"`
	} `json:"token"`
}

// TestInteropPeersVerifyIssuedCredentials issues every format over HTTP and has independent
// implementations verify them: jose (VC-JOSE-COSE, status lists), did-jwt-vc (VC-JWT 1.1),
// @sd-jwt/sd-jwt-vc (SD-JWT VC with its Token Status List), @digitalbazaar/vc with
// eddsa-rdfc-2022 (Data Integrity), @digitalbazaar/vc-bitstring-status-list and
// @sd-jwt/jwt-status-list (list decoding).
func TestInteropPeersVerifyIssuedCredentials(t *testing.T) {
	nodetest.Dir(t)
	for _, c := range []struct {
		identity string
		alg      keys.Alg
	}{{issuer.IdentityWeb, keys.EdDSA}, {issuer.IdentityWeb, keys.ES256}, {issuer.IdentityKey, keys.EdDSA}} {
		t.Run(c.identity+"/"+string(c.alg), func(t *testing.T) { interop(t, c.identity, c.alg) })
	}
}

func interop(t *testing.T, identity string, alg keys.Alg) {
	e := start(t, func(c *config) { c.Alg, c.Identity = alg, identity })
	ed := alg == keys.EdDSA
	web := identity == issuer.IdentityWeb // did-jwt-vc resolves did:web here; the peers have no did:key resolver for JWTs
	holder, _, _ := ed25519.GenerateKey(rand.Reader)
	hjwk, _ := keys.PublicJWK(holder, "")

	vcjose, _ := e.issue(t, map[string]any{"type": "BusinessRegistration", "credentialSubject": business})
	vcjwt11, _ := e.issue(t, map[string]any{"type": "BusinessRegistration", "credentialSubject": business, "format": "jwt_vc_json"})
	sdjwt, sdID := e.issue(t, map[string]any{"type": "PersonIdentity", "credentialSubject": person, "holderJwk": json.RawMessage(hjwk)})
	di := json.RawMessage(`{"credentialStatus":[{"statusListIndex":"0"}]}`)
	if ed { // Data Integrity eddsa-rdfc-2022 is Ed25519 only
		di, _ = e.issue(t, map[string]any{"type": "BusinessRegistration", "credentialSubject": business, "format": "ldp_vc"})
	}
	_, revID := e.issue(t, map[string]any{"type": "BusinessRegistration", "credentialSubject": business})
	for id, action := range map[string]string{revID: "revoke", sdID: "suspend"} {
		if code, out, _ := e.post(t, "/credentials/status", e.token, map[string]any{"credentialId": id, "action": action}); code != 200 {
			t.Fatalf("%s: %d %s", action, code, out)
		}
	}
	ctx := context.Background()
	revSt, _ := e.svc.Issuer().Status(ctx, revID)
	sdSt, _ := e.svc.Issuer().Status(ctx, sdID)
	var diDoc struct {
		Status []struct {
			Index string `json:"statusListIndex"`
		} `json:"credentialStatus"`
	}
	if err := json.Unmarshal(di, &diDoc); err != nil || len(diDoc.Status) == 0 {
		t.Fatalf("DI credential status: %v", err)
	}

	fetch := func(path string) string {
		code, b, _ := e.get(t, path)
		if code != 200 {
			t.Fatalf("GET %s: %d %s", path, code, b)
		}
		return string(b)
	}
	var didDoc, jwks json.RawMessage
	didDoc = json.RawMessage(fetch("/.well-known/did.json"))
	jwks = json.RawMessage(fetch("/.well-known/jwks.json"))
	rev := e.srv.URL + "/status/bitstring/revocation-1"
	sus := e.srv.URL + "/status/bitstring/suspension-1"
	tok := e.srv.URL + "/status/token/1"
	lists := map[string]string{}
	for _, u := range []string{rev, sus, tok} {
		lists[u] = fetch(strings.TrimPrefix(u, e.srv.URL))
	}
	var sdStr, jwt11 string
	_ = json.Unmarshal(sdjwt, &sdStr)
	_ = json.Unmarshal(vcjwt11, &jwt11)
	revIdx, sdIdx := int(revSt.Status.Index), int(sdSt.Status.Index)
	diIdx, _ := strconv.Atoi(diDoc.Status[0].Index)
	in := map[string]any{"didDocument": didDoc, "jwks": jwks, "vcjose": vcjose, "vcjwt11": jwt11, "sdjwt": sdStr,
		"statusLists": lists,
		"checkBits":   map[string][]int{rev: {revIdx, diIdx}, sus: {revIdx, diIdx}, tok: {sdIdx, revIdx}}}
	if ed {
		in["di"] = di
		// A VC-API client's own VC 1.1 credential, secured as Data Integrity.
		in["di11"], _ = e.issue(t, map[string]any{"options": map[string]any{"format": "ldp_vc"}, "credential": map[string]any{
			"@context": []any{"https://www.w3.org/2018/credentials/v1"}, "type": []any{"VerifiableCredential"},
			"issuer": e.svc.DID(), "issuanceDate": "2026-01-01T00:00:00Z", "credentialSubject": map[string]any{"id": "did:example:holder"}}})
	}
	if !web {
		delete(in, "vcjwt11")
	}
	var out interopOut
	nodetest.Run(t, "issuer-verify.mjs", in, &out)

	if !out.VCJOSE.Verified || out.VCJOSE.Payload["issuer"] != e.svc.DID() {
		t.Errorf("jose did not verify the VC-JOSE-COSE credential: %s", out.VCJOSE.Error)
	}
	if web && (!out.VCJWT11.Verified || out.VCJWT11.Issuer != e.svc.DID()) {
		t.Errorf("did-jwt-vc did not verify the VC-JWT 1.1 credential: %s", out.VCJWT11.Error)
	}
	if !out.SDJWT.Verified || out.SDJWT.Claims["givenName"] != "Mei Ling" || out.SDJWT.Status == nil || *out.SDJWT.Status != 2 {
		t.Errorf("@sd-jwt/sd-jwt-vc: verified=%v status=%v claims=%v err=%s", out.SDJWT.Verified, out.SDJWT.Status, out.SDJWT.Claims, out.SDJWT.Error)
	}
	if ed && (!out.DI.Verified || len(out.DI.Statuses) != 2) {
		t.Errorf("@digitalbazaar/vc did not verify the Data Integrity credential: %s (%+v)", out.DI.Error, out.DI.Statuses)
	}
	if ed && (!out.DI11.Verified || len(out.DI11.Statuses) != 2) {
		t.Errorf("@digitalbazaar/vc did not verify the VC 1.1 Data Integrity credential: %s (%+v)", out.DI11.Error, out.DI11.Statuses)
	}
	r, s := out.Bitstring[rev], out.Bitstring[sus]
	key := strconv.Itoa
	if !r.Verified || r.Purpose != "revocation" || r.Length != 131072 || !r.Bits[key(revIdx)] || (ed && r.Bits[key(diIdx)]) {
		t.Errorf("revocation list: %+v", r)
	}
	if !s.Verified || s.Purpose != "suspension" || s.Bits[key(revIdx)] || s.Bits[key(diIdx)] {
		t.Errorf("suspension list: %+v", s)
	}
	// Negative control: the same peers refuse altered credentials.
	var tampered map[string]any
	_ = json.Unmarshal(di, &tampered)
	if ed {
		tampered["credentialSubject"].(map[string]any)["legalName"] = "Someone Else Pte. Ltd."
	}
	var env map[string]any
	_ = json.Unmarshal(vcjose, &env)
	data := env["id"].(string)
	env["id"] = data[:len(data)-4] + "AAAA"
	in2 := map[string]any{"didDocument": didDoc, "jwks": jwks, "vcjose": env, "statusLists": lists}
	if ed {
		in2["di"] = tampered
	}
	var bad interopOut
	nodetest.Run(t, "issuer-verify.mjs", in2, &bad)
	if (ed && bad.DI.Verified) || bad.VCJOSE.Verified {
		t.Errorf("peers accepted altered credentials: DI %v, VC-JOSE %v", bad.DI.Verified, bad.VCJOSE.Verified)
	}
	tl := out.Token[tok]
	if !tl.Verified || tl.Bits != 2 || tl.Statuses[key(sdIdx)] != 2 || tl.Statuses[key(revIdx)] != 1 {
		t.Errorf("token status list: %+v", tl)
	}
}
