package testutil

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcjwt"
)

// Disclosure is one hand-made SD-JWT disclosure, for credentials whose
// shape SignSDJWT does not make (array elements, dotted claim names).
type Disclosure struct {
	// Raw is the base64url disclosure as presented.
	Raw string
	// Digest is what the issuer puts in _sd or {"...": digest}.
	Digest string
}

// NewDisclosure encodes parts ([salt, name, value] or [salt, value]).
func NewDisclosure(t testing.TB, parts ...any) Disclosure {
	t.Helper()
	b, err := json.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	raw := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(raw))
	return Disclosure{Raw: raw, Digest: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// Element is the array element that stands for d.
func (d Disclosure) Element() map[string]any { return map[string]any{"...": d.Digest} }

// SDJWTIssuerJWT signs, as issuer p, the issuer JWT of an SD-JWT VC of
// type vct whose claims already hold their digests, bound to holder.
func (p *Party) SDJWTIssuerJWT(t testing.TB, vct string, claims map[string]any, holder *Party) string {
	t.Helper()
	jwk, err := keys.MinimalJWK(holder.Key.Public)
	if err != nil {
		t.Fatal(err)
	}
	payload := map[string]any{"iss": p.DID, "vct": vct, "_sd_alg": vcjwt.SDAlg, "cnf": map[string]any{"jwk": json.RawMessage(jwk)},
		"iat": Now.Add(-time.Hour).Unix(), "exp": Now.Add(24 * time.Hour).Unix()}
	for k, v := range claims {
		payload[k] = v
	}
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return SignJWS(t, p.Key, map[string]any{"alg": string(p.Key.Alg), "kid": p.Kid, "typ": vcjwt.TypSDJWT}, b)
}

// PresentDisclosures is holder p presenting issuerJWT with the
// disclosures show, key-bound to nonce and aud.
func (p *Party) PresentDisclosures(t testing.TB, issuerJWT string, nonce, aud string, show ...Disclosure) string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString(issuerJWT + "~")
	for _, d := range show {
		sb.WriteString(d.Raw + "~")
	}
	out, err := vcjwt.SignKeyBinding(p.Key, sb.String(), nonce, aud, Now)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
