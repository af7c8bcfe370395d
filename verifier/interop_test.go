package verifier_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/idport/idport/pkg/nodetest"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// interopOut is what testdata/interop/verifier-issue.mjs makes.
type interopOut struct {
	Ed25519DidKey  string `json:"ed25519DidKey"`
	Ed25519DidJwk  string `json:"ed25519DidJwk"`
	P256DidJwk     string `json:"p256DidJwk"`
	SDIssuerDidJwk string `json:"sdIssuerDidJwk"`
	HolderDidKey   string `json:"holderDidKey"`
	JoseEdDSA      string `json:"joseEdDSA"`
	JoseES256      string `json:"joseES256"`
	JoseExpired    string `json:"joseExpired"`
	DidJwtVC       string `json:"didJwtVC"`
	DidJwtVP       string `json:"didJwtVP"`
	SDJwt          string `json:"sdJwt"`
	SDJwtKB        string `json:"sdJwtKB"`
	DIVC           any    `json:"diVC"`
	DIVP           any    `json:"diVP"`
	JoseVP         string `json:"joseVP"`
}

func seedHex(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestInteropPeers verifies credentials and presentations made by jose,
// did-jwt-vc, @sd-jwt/sd-jwt-vc and @digitalbazaar/vc (eddsa-rdfc-2022) for
// authorities of a static trust source, and checks that tampered, expired,
// revoked and unrecognised ones fail with the right code.
func TestInteropPeers(t *testing.T) {
	ctx := context.Background()
	const aud = "https://verifier.lingang.example"
	// The JWT VP and the SD-JWT+KB share one challenge issued by v.
	challengeVerifier := newVerifier(t, verifier.NewStaticTrust(1), nil, verifier.Policy{})
	nonce, _, err := challengeVerifier.IssueChallenge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out interopOut
	nodetest.Run(t, "verifier-issue.mjs", map[string]any{
		"seed": seedHex(t), "holderSeed": seedHex(t), "now": testNow.Unix(), "nonce": nonce, "aud": aud,
		"status":      map[string]any{"url": "https://status.example/list/1", "index": 5},
		"tokenStatus": map[string]any{"uri": "https://status.example/token/1", "idx": 3},
		"ldContext":   testutil.LDContext,
	}, &out)
	diVC, err := jsonBytes(out.DIVC)
	if err != nil {
		t.Fatal(err)
	}

	auth := func(issuer string) verifier.StaticAuthority {
		a := testutil.NewPartyAuthority(issuer)
		return a
	}
	trust := verifier.NewStaticTrust(9, auth(out.Ed25519DidKey), auth(out.Ed25519DidJwk), auth(out.P256DidJwk), auth(out.SDIssuerDidJwk))
	valid := &testutil.Status{Values: map[string]uint8{}}
	revoked := &testutil.Status{Values: map[string]uint8{"https://status.example/list/1#5": 1, "https://status.example/token/1#3": 1}}
	v := func(ts verifier.TrustSource, st verifier.StatusFetcher) *verifier.Verifier {
		return newVerifier(t, ts, st, verifier.Policy{AllowCallerChallenge: true, RequireHolderBinding: true})
	}
	tamper := func(s, old, repl string) string { // change a signed claim, keep the signature
		parts := strings.SplitN(s, ".", 3)
		p, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil || !strings.Contains(string(p), old) {
			t.Fatalf("tamper: %v %q", err, p)
		}
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(p), old, repl, 1)))
		return strings.Join(parts, ".")
	}
	tests := []struct {
		name string
		raw  []byte
		v    *verifier.Verifier
		want verifier.Code
	}{
		{"jose EdDSA vc+jwt", []byte(out.JoseEdDSA), v(trust, valid), ""},
		{"jose ES256 vc+jwt", []byte(out.JoseES256), v(trust, valid), ""},
		{"did-jwt-vc VC-JWT 1.1", []byte(out.DidJwtVC), v(trust, valid), ""},
		{"sd-jwt-vc minimal disclosure", []byte(out.SDJwtKB[:strings.LastIndexByte(out.SDJwtKB, '~')+1]), v(trust, valid), ""},
		{"digitalbazaar eddsa-rdfc-2022", diVC, v(trust, valid), ""},
		{"jose tampered", []byte(tamper(out.JoseEdDSA, "ACME", "EVIL")), v(trust, valid), verifier.CodeSignatureInvalid},
		{"did-jwt-vc tampered", []byte(tamper(out.DidJwtVC, "ACME", "EVIL")), v(trust, valid), verifier.CodeSignatureInvalid},
		{"sd-jwt tampered", []byte(tamper(out.SDJwt, "HKResidentIdentity", "HKResidentIdentitx")), v(trust, valid), verifier.CodeSignatureInvalid},
		{"data integrity tampered", []byte(strings.Replace(string(diVC), "ACME Pte Ltd", "ACME Pte Lte", 1)), v(trust, valid), verifier.CodeSignatureInvalid},
		{"jose expired", []byte(out.JoseExpired), v(trust, valid), verifier.CodeExpired},
		{"jose revoked", []byte(out.JoseEdDSA), v(trust, revoked), verifier.CodeRevoked},
		{"data integrity revoked", diVC, v(trust, revoked), verifier.CodeRevoked},
		{"sd-jwt token status invalid", []byte(out.SDJwt), v(trust, revoked), verifier.CodeRevoked},
		{"sd-jwt over-disclosure", []byte(out.SDJwt), v(trust, valid), verifier.CodeClaimNotAllowedAcrossBorder},
		{"jose unrecognised", []byte(out.JoseEdDSA), v(verifier.NewStaticTrust(1), valid), verifier.CodeIssuerNotRecognised},
		{"data integrity unrecognised", diVC, v(verifier.NewStaticTrust(1), valid), verifier.CodeIssuerNotRecognised},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.v.VerifyCredential(ctx, tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if !res.Verified || res.Recognition == nil || res.Claims == nil {
					t.Fatalf("not verified: %+v", res.Errors)
				}
				return
			}
			if res.Verified || !res.HasError(tt.want) {
				t.Fatalf("verified=%v errors=%+v, want %s", res.Verified, res.Errors, tt.want)
			}
		})
	}

	// Presentations: the did-jwt-vc JWT VP consumes the challenge; the
	// SD-JWT+KB over the same challenge is then a replay.
	cv := challengeVerifier
	res, err := newVerifierWithStore(t, trust, cv).VerifyPresentation(ctx, []byte(out.DidJwtVP), verifier.PresentationOptions{Domain: aud})
	if err != nil || !res.Verified || res.Holder != out.HolderDidKey {
		t.Fatalf("did-jwt-vc JWT VP: %v %+v", err, res.Errors)
	}
	res, _ = newVerifierWithStore(t, trust, cv).VerifyPresentation(ctx, []byte(out.SDJwtKB), verifier.PresentationOptions{Domain: aud})
	if res.Verified || !res.HasError(verifier.CodeChallengeReused) {
		t.Fatalf("SD-JWT+KB replay: %+v", res.Errors)
	}
	// A verifier that accepts caller-supplied challenges checks the same
	// SD-JWT+KB against the expected nonce.
	res, _ = v(trust, valid).VerifyPresentation(ctx, []byte(out.SDJwtKB), verifier.PresentationOptions{Challenge: nonce, Domain: aud})
	if !res.Verified || res.Claims["given_name"] != "Mei" {
		t.Fatalf("SD-JWT+KB: %+v", res.Errors)
	}
	res, _ = v(trust, valid).VerifyPresentation(ctx, []byte(out.SDJwtKB), verifier.PresentationOptions{Challenge: "another", Domain: aud})
	if res.Verified || !res.HasError(verifier.CodeChallengeInvalid) {
		t.Fatalf("SD-JWT+KB wrong nonce: %+v", res.Errors)
	}
	// The jose vp+jwt with an enveloped credential.
	res, err = v(trust, valid).VerifyPresentation(ctx, []byte(out.JoseVP), verifier.PresentationOptions{Challenge: nonce, Domain: aud})
	if err != nil || !res.Verified || res.Holder != out.HolderDidKey || res.Format != "vc+jwt" {
		t.Fatalf("jose vp+jwt: %v %+v", err, res.Errors)
	}
	// The Data Integrity presentation (embedded credential, VC 2.0).
	diVP, err := jsonBytes(out.DIVP)
	if err != nil {
		t.Fatal(err)
	}
	res, err = v(trust, valid).VerifyPresentation(ctx, diVP, verifier.PresentationOptions{Challenge: nonce, Domain: aud})
	if err != nil || !res.Verified || res.Holder != out.HolderDidKey || res.Claims["registrationNumber"] != "201912345K" {
		t.Fatalf("digitalbazaar DI presentation: %v %+v", err, res.Errors)
	}
	res, _ = v(trust, valid).VerifyPresentation(ctx, diVP, verifier.PresentationOptions{Challenge: "another", Domain: aud})
	if res.Verified || !res.HasError(verifier.CodeChallengeInvalid) {
		t.Fatalf("DI presentation, wrong challenge: %+v", res.Errors)
	}
}
