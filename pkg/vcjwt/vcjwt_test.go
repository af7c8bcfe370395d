package vcjwt

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

func TestVCJOSERoundTrip(t *testing.T) {
	for _, alg := range keys.Allowed {
		t.Run(string(alg), func(t *testing.T) {
			k := mustKey(t, alg)
			c := sampleCredential(t, 2)
			tok, err := SignVCJOSE(k, c)
			if err != nil {
				t.Fatal(err)
			}
			// jwx, independently, accepts what we signed.
			if _, err := jws.Verify([]byte(tok), jws.WithKey(jwa.SignatureAlgorithm(alg), k.Public)); err != nil {
				t.Fatalf("jwx rejects: %v", err)
			}
			p, err := ParseCredential(tok)
			if err != nil {
				t.Fatal(err)
			}
			if p.Format != vc.FormatVCJOSE || p.Token.Typ != "vc+jwt" || p.Token.Cty != "vc" {
				t.Fatalf("format %s typ %s cty %s", p.Format, p.Token.Typ, p.Token.Cty)
			}
			if p.Issuer() != issuerDID || p.KeyID() != issuerDID+"#"+k.ID {
				t.Fatalf("issuer %s kid %s", p.Issuer(), p.KeyID())
			}
			v, err := p.Verify(k.Public)
			if err != nil {
				t.Fatal(err)
			}
			if v.Subject != "did:web:acme.example.sg" || v.Claims["uen"] != "201912345K" || v.Claims["id"] != nil {
				t.Fatalf("subject %s claims %v", v.Subject, v.Claims)
			}
			if !v.NotBefore.Equal(*c.ValidFrom) || !v.Expiry.Equal(*c.ValidUntil) || v.ID != c.ID {
				t.Fatalf("times %v %v id %s", v.NotBefore, v.Expiry, v.ID)
			}
			if !slices.Equal(v.Types, c.Type) || len(v.Status) != 1 || v.Status[0].Index != 94567 ||
				v.Status[0].URI != "https://issuer.example/status/3" || v.Status[0].Purpose != "revocation" {
				t.Fatalf("types %v status %+v", v.Types, v.Status)
			}
			if err := v.CheckTime(time.Now(), time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := v.CheckTime(c.ValidUntil.Add(time.Hour), time.Minute); !errors.Is(err, ErrExpired) {
				t.Fatalf("expired: %v", err)
			}
			if err := v.CheckTime(c.ValidFrom.Add(-time.Hour), time.Minute); !errors.Is(err, ErrNotYetValid) {
				t.Fatalf("not yet valid: %v", err)
			}
			full, err := v.Credential()
			if err != nil || full.Subject[0]["legalName"] != "ACME Trading Pte. Ltd." {
				t.Fatalf("full credential %v %v", full, err)
			}
			// The enveloped form of the same credential parses the same way.
			pe, err := ParseCredential(string(vc.Envelope(vc.MediaTypeVCJWT, tok)))
			if err != nil || pe.Format != vc.FormatVCJOSE {
				t.Fatalf("enveloped: %v", err)
			}
			other := mustKey(t, alg)
			if _, err := p.Verify(other.Public); !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("other key: %v", err)
			}
		})
	}
}

func TestVC11RoundTrip(t *testing.T) {
	k := mustKey(t, keys.EdDSA)
	c := sampleCredential(t, 1)
	tok, err := SignVC11(k, c)
	if err != nil {
		t.Fatal(err)
	}
	// jwx's JWT parser reads the registered claims we wrote.
	jt, err := jwt.Parse([]byte(tok), jwt.WithKey(jwa.EdDSA, k.Public), jwt.WithValidate(true))
	if err != nil {
		t.Fatalf("jwx: %v", err)
	}
	if jt.Issuer() != issuerDID || jt.Subject() != "did:web:acme.example.sg" || jt.JwtID() != c.ID ||
		!jt.NotBefore().Equal(*c.ValidFrom) || !jt.Expiration().Equal(*c.ValidUntil) {
		t.Fatalf("claims %v", payloadOf(t, tok))
	}
	p, err := ParseCredential(tok)
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Verify(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	if v.Format != vc.FormatVCJWT11 || v.Issuer != issuerDID || v.IssuedAt.IsZero() || v.Claims["legalName"] == nil {
		t.Fatalf("%+v", v)
	}
	if _, err := SignVC11(k, sampleCredential(t, 2)); !errors.Is(err, ErrUnsupportedFormat) {
		t.Fatalf("v2 as VC-JWT 1.1: %v", err)
	}
	if _, err := SignVCJOSE(k, c); !errors.Is(err, ErrUnsupportedFormat) {
		t.Fatalf("v1 as VC-JOSE: %v", err)
	}
	bad := sampleCredential(t, 2)
	bad.Issuer.ID = "not a url"
	if _, err := SignVCJOSE(k, bad); !errors.Is(err, vc.ErrMalformed) {
		t.Fatalf("invalid credential signed: %v", err)
	}
}

// TestParseRejects is the table of forgeries and malformed tokens.
func TestParseRejects(t *testing.T) {
	k := mustKey(t, keys.EdDSA)
	ec := mustKey(t, keys.ES256)
	good, err := SignVCJOSE(k, sampleCredential(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	payload := mustJSON(t, payloadOf(t, good))
	kid := issuerDID + "#" + k.ID
	hdr := func(extra string) string {
		return `{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"` + kid + `"` + extra + `}`
	}
	// HS256 keyed with the issuer's public key bytes: the classic confusion attack.
	hsIn := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"vc+jwt"}`)) + "." + b64.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, []byte(k.Public.(ed25519.PublicKey)))
	mac.Write([]byte(hsIn))
	hs256 := hsIn + "." + b64.EncodeToString(mac.Sum(nil))
	parts := strings.Split(good, ".")
	tamperedPayload := parts[0] + "." + b64.EncodeToString([]byte(strings.Replace(payload, "201912345K", "201912345X", 1))) + "." + parts[2]
	sig, _ := b64.DecodeString(parts[2])
	sig[0] ^= 1
	tamperedSig := parts[0] + "." + parts[1] + "." + b64.EncodeToString(sig)
	jwkHdr, _ := ec.PublicJWK()

	cases := []rejection{
		{"alg none", forge(t, `{"alg":"none","typ":"vc+jwt"}`, payload, nil), ErrAlgNotAllowed},
		{"alg none empty sig", b64.EncodeToString([]byte(`{"alg":"none","typ":"vc+jwt"}`)) + "." + parts[1] + ".", ErrAlgNotAllowed},
		{"alg None", forge(t, `{"alg":"None","typ":"vc+jwt"}`, payload, nil), ErrAlgNotAllowed},
		{"HS256 with public key as secret", hs256, ErrAlgNotAllowed},
		{"RS256", forge(t, `{"alg":"RS256","typ":"vc+jwt"}`, payload, nil), ErrAlgNotAllowed},
		{"ES384", forge(t, `{"alg":"ES384","typ":"vc+jwt"}`, payload, nil), ErrAlgNotAllowed},
		{"PS256", forge(t, `{"alg":"PS256","typ":"vc+jwt"}`, payload, nil), ErrAlgNotAllowed},
		{"no alg", forge(t, `{"typ":"vc+jwt"}`, payload, nil), ErrAlgNotAllowed},
		{"alg upper-case key only", forge(t, `{"ALG":"EdDSA","typ":"vc+jwt"}`, payload, k), ErrAlgNotAllowed},
		{"alg number", forge(t, `{"alg":1}`, payload, nil), ErrMalformed},
		{"embedded jwk", forge(t, hdr(`,"jwk":`+string(jwkHdr)), payload, k), ErrHeaderNotAllowed},
		{"jku", forge(t, hdr(`,"jku":"https://evil.example/jwks"`), payload, k), ErrHeaderNotAllowed},
		{"x5u", forge(t, hdr(`,"x5u":"https://evil.example/cert"`), payload, k), ErrHeaderNotAllowed},
		{"x5c", forge(t, hdr(`,"x5c":["MIIB"]`), payload, k), ErrHeaderNotAllowed},
		{"crit unknown", forge(t, hdr(`,"crit":["exp"],"exp":1`), payload, k), ErrHeaderNotAllowed},
		{"crit b64", forge(t, hdr(`,"crit":["b64"],"b64":false`), payload, k), ErrHeaderNotAllowed},
		// Names are compared decoded, as every JSON reader sees them: an escaped crit or jku is
		// still crit or jku.
		{"crit escaped", forge(t, hdr(`,"\u0063rit":["exp"],"exp":1`), payload, k), ErrHeaderNotAllowed},
		{"jku escaped", forge(t, hdr(`,"j\u006bu":"https://evil.example/jwks"`), payload, k), ErrHeaderNotAllowed},
		{"alg escaped twice", forge(t, `{"alg":"ES256","\u0061lg":"EdDSA","typ":"vc+jwt"}`, payload, k), ErrMalformed},
		{"kid dot-dot", forge(t, `{"alg":"EdDSA","typ":"vc+jwt","kid":"../../etc/passwd"}`, payload, k), ErrMalformed},
		{"kid encoded dot-dot", forge(t, `{"alg":"EdDSA","typ":"vc+jwt","kid":"%2e%2e/keys"}`, payload, k), ErrMalformed},
		{"kid backslash", forge(t, `{"alg":"EdDSA","typ":"vc+jwt","kid":"a\\b"}`, payload, k), ErrMalformed},
		{"kid NUL", forge(t, `{"alg":"EdDSA","typ":"vc+jwt","kid":"a\u0000b"}`, payload, k), ErrMalformed},
		{"kid of another DID", forge(t, `{"alg":"EdDSA","typ":"vc+jwt","kid":"did:web:evil.example#key-1"}`, payload, k), ErrKeyMismatch},
		{"kid too long", forge(t, `{"alg":"EdDSA","typ":"vc+jwt","kid":"`+strings.Repeat("a", MaxKidBytes+1)+`"}`, payload, k), ErrMalformed},
		{"tampered payload", tamperedPayload, ErrSignatureInvalid},
		{"tampered signature", tamperedSig, ErrSignatureInvalid},
		{"short signature", parts[0] + "." + parts[1] + "." + b64.EncodeToString(sig[:32]), ErrSignatureInvalid},
		{"wrong typ", forge(t, `{"alg":"EdDSA","typ":"application/example"}`, payload, k), ErrUnsupportedFormat},
		{"typ JWT without vc claim", forge(t, `{"alg":"EdDSA","typ":"JWT"}`, payload, k), ErrUnsupportedFormat},
		{"wrong cty", forge(t, `{"alg":"EdDSA","typ":"vc+jwt","cty":"text/plain"}`, payload, k), ErrUnsupportedFormat},
		{"repeated header member", forge(t, hdr(`,"cty":"text/plain"`), payload, k), ErrMalformed},
		{"alg repeated", forge(t, `{"alg":"ES256","alg":"EdDSA"}`, payload, k), ErrMalformed},
		{"repeated payload member", forge(t, hdr(""), strings.Replace(payload, `"type":["VerifiableCredential"`, `"issuer":"did:web:evil.example","type":["VerifiableCredential"`, 1), k), ErrMalformed},
		{"VC 1.1 credential as vc+jwt", forge(t, hdr(""), strings.Replace(payload, vc.ContextV2, vc.ContextV1, 1), k), ErrUnsupportedFormat},
		{"no type", forge(t, hdr(""), strings.Replace(payload, `"VerifiableCredential"`, `"X"`, 1), k), ErrMalformed},
		{"embedded proof", forge(t, hdr(""), strings.Replace(payload, `"type":["VerifiableCredential"`, `"proof":{"type":"DataIntegrityProof"},"type":["VerifiableCredential"`, 1), k), ErrMalformed},
		{"two parts", parts[0] + "." + parts[1], ErrMalformed},
		{"four parts", good + ".x", ErrMalformed},
		{"bad base64 header", "!!!." + parts[1] + "." + parts[2], ErrMalformed},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], ErrMalformed},
		{"header not object", forge(t, `["alg"]`, payload, k), ErrMalformed},
		{"header not json", forge(t, `{alg`, payload, k), ErrMalformed},
		{"payload not json", forge(t, hdr(""), `{`, k), ErrMalformed},
		{"empty", "", ErrMalformed},
		{"2 MB token", good + strings.Repeat("A", 2<<20), ErrTooLarge},
		{"2 MB header", b64.EncodeToString([]byte(strings.Repeat(" ", 2<<20))) + ".e30.AA", ErrTooLarge},
		{"SD-JWT typ without tilde", forge(t, `{"alg":"EdDSA","typ":"dc+sd-jwt"}`, `{"iss":"x","vct":"y"}`, k), ErrMalformed},
		{"enveloped presentation", string(vc.EnvelopePresentation(vc.MediaTypeVPJWT, good)), ErrUnsupportedFormat},
		{"plain JSON credential", `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential"}`, ErrUnsupportedFormat},
	}
	expectRejected(t, k, cases)
}

func TestTokenVerifyKeyMismatch(t *testing.T) {
	ed, ec := mustKey(t, keys.EdDSA), mustKey(t, keys.ES256)
	tok, _ := SignVCJOSE(ed, sampleCredential(t, 2))
	p, err := Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(ec.Public); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("EC key for EdDSA token: %v", err)
	}
	if err := p.Verify("not a key"); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("junk key: %v", err)
	}
}

func TestKeyID(t *testing.T) {
	k := &keys.Key{ID: "abc"}
	for _, tc := range []struct{ iss, id, want string }{
		{"did:web:x", "abc", "did:web:x#abc"},
		{"https://issuer.example", "abc", "abc"},
		{"did:web:x", "did:key:z6Mk#z6Mk", "did:key:z6Mk#z6Mk"},
		{"did:web:x", "#key-1", "#key-1"},
	} {
		k.ID = tc.id
		if got := KeyID(tc.iss, k); got != tc.want {
			t.Errorf("KeyID(%q, %q) = %q, want %q", tc.iss, tc.id, got, tc.want)
		}
	}
	for _, tc := range []struct {
		iss, kid, want string
		err            error
	}{
		{"did:web:x", "#k", "did:web:x#k", nil},
		{"did:web:x", "did:web:x#k", "did:web:x#k", nil},
		{"did:web:x", "did:web:y#k", "", ErrKeyMismatch},
		{"https://i.example", "#k", "", ErrKeyMismatch},
		{"https://i.example", "k1", "k1", nil},
		{"did:web:x", "", "", nil},
	} {
		got, err := resolveKid(tc.iss, tc.kid)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("resolveKid(%q, %q) = %q, %v", tc.iss, tc.kid, got, err)
		}
	}
}

// TestVC11Lenient checks a VC-JWT made the did-jwt-vc way: issuer, dates and
// subject id only as JWT claims.
func TestVC11Lenient(t *testing.T) {
	k := mustKey(t, keys.ES256)
	now := time.Now().Unix()
	payload := `{"iss":"did:web:x","sub":"did:example:s","nbf":` + itoa(now-10) + `,"exp":` + itoa(now+100) + `,"vc":{"@context":["https://www.w3.org/2018/credentials/v1"],"type":["VerifiableCredential"],"credentialSubject":{"name":"A"}}}`
	p, err := ParseCredential(forge(t, `{"alg":"ES256","typ":"JWT"}`, payload, k))
	if err != nil {
		t.Fatal(err)
	}
	v, err := p.Verify(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	if v.Issuer != "did:web:x" || v.Subject != "did:example:s" || v.NotBefore.Unix() != now-10 || v.Expiry.Unix() != now+100 {
		t.Fatalf("%+v", v)
	}
	full, err := v.Credential()
	if err != nil {
		t.Fatal(err)
	}
	if full.Issuer.ID != "did:web:x" || full.SubjectID() != "did:example:s" || full.ValidFrom.Unix() != now-10 || full.ValidUntil.Unix() != now+100 {
		t.Fatalf("full credential %+v", full)
	}
	bad := strings.Replace(payload, `"credentialSubject":{"name":"A"}`, `"credentialSubject":{"id":"did:example:other"}`, 1)
	if _, err := ParseCredential(forge(t, `{"alg":"ES256","typ":"JWT"}`, bad, k)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("sub and subject id differ: %v", err)
	}
	bad = strings.Replace(payload, `"type":["VerifiableCredential"]`, `"type":["VerifiableCredential"],"issuer":"did:web:y"`, 1)
	if _, err := ParseCredential(forge(t, `{"alg":"ES256","typ":"JWT"}`, bad, k)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("iss and issuer differ: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestStrictBase64(t *testing.T) {
	// Non-zero trailing bits give a second spelling of the same bytes: refused.
	if _, err := b64.DecodeString("AB"); err == nil {
		t.Fatal("non-canonical base64url accepted")
	}
	if _, err := base64.RawURLEncoding.DecodeString("AB"); err != nil {
		t.Fatal(err)
	}
}

func TestNormalizeTyp(t *testing.T) {
	for in, want := range map[string]string{
		"vc+jwt": "vc+jwt", "application/vc+jwt": "vc+jwt", "Application/VC+JWT": "vc+jwt",
		"jwt": "JWT", "JWT": "JWT", "dc+sd-jwt": "dc+sd-jwt", "text/plain": "text/plain", "": "",
	} {
		if got := normalizeTyp(in); got != want {
			t.Errorf("normalizeTyp(%q) = %q, want %q", in, got, want)
		}
	}
	k := mustKey(t, keys.EdDSA)
	tok, _ := SignVCJOSE(k, sampleCredential(t, 2))
	payload := mustJSON(t, payloadOf(t, tok))
	for _, hdr := range []string{`{"alg":"EdDSA","typ":"application/vc+jwt"}`, `{"alg":"EdDSA"}`} {
		p, err := ParseCredential(forge(t, hdr, payload, k))
		if err != nil || p.Format != vc.FormatVCJOSE {
			t.Fatalf("%s: %v", hdr, err)
		}
	}
	if _, err := ParseCredential(forge(t, `{"alg":"EdDSA","typ":"JWT"}`, payload, k)); !errors.Is(err, ErrUnsupportedFormat) {
		t.Fatalf("typ JWT without a vc claim: %v", err)
	}
}
