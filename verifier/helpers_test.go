package verifier_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// issuer is a did:key issuer for tests.
type issuer struct {
	key *keys.Key
	did string
	kid string
}

func newIssuer(t testing.TB, alg keys.Alg) *issuer {
	t.Helper()
	k, err := keys.Generate(alg)
	if err != nil {
		t.Fatal(err)
	}
	d, kid, err := did.KeyDID(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	k.ID = kid
	return &issuer{key: k, did: d, kid: kid}
}

// signJWS signs header and payload as a compact JWS.
func signJWS(t testing.TB, k *keys.Key, header map[string]any, payload []byte) string {
	t.Helper()
	hb, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := k.Sign([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// credentialJSON returns a VC 2.0 BusinessRegistration credential.
func credentialJSON(issuerDID string, from, until time.Time, status map[string]any) []byte {
	c := map[string]any{
		"@context":  []any{"https://www.w3.org/ns/credentials/v2"},
		"id":        "urn:uuid:5e8f5a44-7b0c-4f4e-9a1c-000000000001",
		"type":      []any{"VerifiableCredential", "BusinessRegistration"},
		"issuer":    issuerDID,
		"validFrom": from.UTC().Format(time.RFC3339),
		"credentialSubject": map[string]any{
			"id":        "did:example:acme",
			"uen":       "201912345K",
			"legalName": "ACME Pte Ltd",
		},
	}
	if !until.IsZero() {
		c["validUntil"] = until.UTC().Format(time.RFC3339)
	}
	if status != nil {
		c["credentialStatus"] = status
	}
	b, _ := json.Marshal(c)
	return b
}

func (is *issuer) joseVC(t testing.TB, payload []byte) string {
	return signJWS(t, is.key, map[string]any{"alg": string(is.key.Alg), "kid": is.kid, "typ": "vc+jwt", "cty": "vc"}, payload)
}

// authority returns the StaticAuthority of is (Singapore corporate scheme).
func (is *issuer) authority() verifier.StaticAuthority {
	return verifier.StaticAuthority{
		Issuer: is.did, Authority: "sg-acra", Scheme: "sg.corporate", Jurisdiction: "SG",
		Agreement: "sg-cn-dea-2025", Recognition: "cn-sh-lg/sg.corporate",
		Types: []string{"BusinessRegistration"}, LocalAssurance: "substantial", ForeignAssurance: "high",
		ClaimMapping:  map[string]string{"uen": "registrationNumber"},
		AllowedClaims: []string{"uen", "legalName"},
	}
}

// fakeStatus is an in-memory StatusFetcher.
type fakeStatus struct {
	values map[string]uint8 // url#index -> value
	err    error
}

func (f *fakeStatus) Lookup(_ context.Context, ref verifier.StatusRef) (verifier.StatusValue, error) {
	if f.err != nil {
		return verifier.StatusValue{}, f.err
	}
	return verifier.StatusValue{Value: f.values[fmt.Sprintf("%s#%d", ref.URL, ref.Index)], Age: 3 * time.Second}, nil
}

func newVerifier(t testing.TB, trust verifier.TrustSource, st verifier.StatusFetcher, p verifier.Policy) *verifier.Verifier {
	t.Helper()
	v, err := verifier.New(verifier.Config{TrustSource: trust, StatusFetcher: st, Policy: p, Clock: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
