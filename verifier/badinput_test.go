package verifier_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unsignedJWS(header map[string]any, payload []byte, sig []byte) string {
	h, _ := json.Marshal(header)
	return b64(h) + "." + b64(payload) + "." + b64(sig)
}

// TestBadInput: forgeries and hostile inputs are refused with a precise
// code, quickly, without error or panic.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	v := newVerifier(t, verifier.NewStaticTrust(1, is.Authority()), nil, verifier.Policy{})
	payload := testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour)}.JSON()
	good := is.JOSE(t, payload)

	// HS256 "signed" with the issuer's public key bytes as the HMAC secret.
	hsHeader, _ := json.Marshal(map[string]any{"alg": "HS256", "kid": is.Kid, "typ": "vc+jwt"})
	in := b64(hsHeader) + "." + b64(payload)
	mac := hmac.New(sha256.New, []byte(is.Key.Public.(ed25519.PublicKey)))
	mac.Write([]byte(in))
	hs256 := in + "." + b64(mac.Sum(nil))

	sig := make([]byte, 64)
	jwkHdr, _ := keys.PublicJWK(is.Key.Public, "")
	var jwk map[string]any
	_ = json.Unmarshal(jwkHdr, &jwk)
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	manyDisclosures := good + strings.Repeat("~WyJzYWx0IiwibmFtZSIsInZhbHVlIl0", 10000) + "~"

	tests := []struct {
		name string
		raw  string
		want verifier.Code
	}{
		{"alg none", unsignedJWS(map[string]any{"alg": "none", "typ": "vc+jwt"}, payload, nil), verifier.CodeAlgNotAllowed},
		{"HS256 keyed with the public key", hs256, verifier.CodeAlgNotAllowed},
		{"RS256", unsignedJWS(map[string]any{"alg": "RS256", "kid": is.Kid, "typ": "vc+jwt"}, payload, sig), verifier.CodeAlgNotAllowed},
		{"embedded jwk", unsignedJWS(map[string]any{"alg": "EdDSA", "jwk": jwk, "typ": "vc+jwt"}, payload, sig), verifier.CodeKeyNotFound},
		{"jku elsewhere", unsignedJWS(map[string]any{"alg": "EdDSA", "jku": "https://evil.example/jwks", "kid": "k", "typ": "vc+jwt"}, payload, sig), verifier.CodeKeyNotFound},
		{"x5u elsewhere", unsignedJWS(map[string]any{"alg": "EdDSA", "x5u": "https://evil.example/cert", "typ": "vc+jwt"}, payload, sig), verifier.CodeKeyNotFound},
		{"kid of another DID", unsignedJWS(map[string]any{"alg": "EdDSA", "kid": "did:web:evil.example#k", "typ": "vc+jwt"}, payload, sig), verifier.CodeKeyNotFound},
		{"kid path traversal", unsignedJWS(map[string]any{"alg": "EdDSA", "kid": is.DID + "/../../evil#k", "typ": "vc+jwt"}, payload, sig), verifier.CodeMalformed},
		{"kid encoded traversal", unsignedJWS(map[string]any{"alg": "EdDSA", "kid": is.DID + "%2e%2e%2fevil#k", "typ": "vc+jwt"}, payload, sig), verifier.CodeMalformed},
		{"kid with query", unsignedJWS(map[string]any{"alg": "EdDSA", "kid": is.DID + "?service=x#k", "typ": "vc+jwt"}, payload, sig), verifier.CodeKeyNotFound},
		{"2 MB", strings.Repeat("a", 2<<20), verifier.CodeMalformed},
		{"2 MB JSON", `{"a":"` + strings.Repeat("a", 2<<20) + `"}`, verifier.CodeMalformed},
		{"nested 10000 deep", `{"@context":` + deep + `}`, verifier.CodeMalformed},
		{"10000 disclosures", manyDisclosures, verifier.CodeMalformed},
		{"empty", "", verifier.CodeMalformed},
		{"json null", "null", verifier.CodeMalformed},
		{"typ unknown", unsignedJWS(map[string]any{"alg": "EdDSA", "kid": is.Kid, "typ": "at+jwt"}, payload, sig), verifier.CodeUnsupportedFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.VerifyCredential(ctx, []byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || res.FirstError() != tt.want {
				t.Fatalf("verified=%v errors=%+v, want %s", res.Verified, res.Errors, tt.want)
			}
			pres, err := v.VerifyPresentation(ctx, []byte(tt.raw), verifier.PresentationOptions{})
			if err != nil || pres.Verified {
				t.Fatalf("as a presentation: %v %+v", err, pres)
			}
		})
	}
	// A Data Integrity credential with an unsigned addition (safe mode).
	signed, err := vcld.SignCredential(ctx, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), LD: true}.JSON(),
		vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: testNow.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	added := strings.Replace(string(signed), `"legalName"`, `"undefinedTerm":"x","legalName"`, 1)
	res, _ := v.VerifyCredential(ctx, []byte(added))
	if res.Verified {
		t.Fatalf("unsigned JSON-LD addition verified")
	}
}
