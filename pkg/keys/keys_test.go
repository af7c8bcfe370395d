package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// isOurs reports whether err wraps one of this package's sentinels.
func isOurs(err error) bool {
	for _, s := range []error{ErrAlgNotAllowed, ErrSignatureInvalid, ErrInvalidKey, ErrPublicOnly, ErrSealed} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func genKeys(t testing.TB) []*Key {
	t.Helper()
	var out []*Key
	for _, alg := range Allowed {
		k, err := Generate(alg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func TestSignVerify(t *testing.T) {
	for _, k := range genKeys(t) {
		t.Run(string(k.Alg), func(t *testing.T) {
			msg := []byte("header.payload")
			sig, err := k.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(k.Alg, k.Public, msg, sig); err != nil {
				t.Fatal(err)
			}
			// jwx, an independent implementation, agrees on the JOSE form.
			if _, err := jws.Verify([]byte(compact(t, k)), jws.WithKey(jwa.SignatureAlgorithm(k.Alg), k.Public)); err != nil {
				t.Fatalf("jwx rejects our signature: %v", err)
			}
			bad := append([]byte(nil), sig...)
			bad[3] ^= 1
			if err := Verify(k.Alg, k.Public, msg, bad); !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("tampered sig: %v", err)
			}
			if err := Verify(k.Alg, k.Public, []byte("other"), sig); !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("other message: %v", err)
			}
			if err := Verify(k.Alg, k.Public, msg, sig[:10]); !errors.Is(err, ErrSignatureInvalid) {
				t.Fatalf("short sig: %v", err)
			}
			if tp, _ := Thumbprint(k.Public); tp != k.ID {
				t.Fatalf("id %s is not the thumbprint %s", k.ID, tp)
			}
			if !k.Active(time.Now()) || k.PublicOnly().Active(time.Now()) {
				t.Fatal("Active")
			}
			if _, err := k.PublicOnly().Sign(msg); !errors.Is(err, ErrPublicOnly) {
				t.Fatalf("public-only sign: %v", err)
			}
		})
	}
}

// compact makes a JWS with our Sign, for jwx to check.
func compact(t *testing.T, k *Key) string {
	t.Helper()
	h := `{"alg":"` + string(k.Alg) + `"}`
	in := b64(h) + "." + b64("{}")
	sig, err := k.Sign([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + b64(string(sig))
}

func TestVerifyRejects(t *testing.T) {
	ks := genKeys(t)
	ed, ec := ks[0], ks[1]
	msg := []byte("m")
	edSig, _ := ed.Sign(msg)
	ecSig, _ := ec.Sign(msg)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	cases := []struct {
		name string
		alg  Alg
		pub  any
		sig  []byte
		want error
	}{
		{"none", "none", ed.Public, edSig, ErrAlgNotAllowed},
		{"HS256", "HS256", ed.Public, edSig, ErrAlgNotAllowed},
		{"RS256", "RS256", ed.Public, edSig, ErrAlgNotAllowed},
		{"empty alg", "", ed.Public, edSig, ErrAlgNotAllowed},
		{"EdDSA with EC key", EdDSA, ec.Public, edSig, ErrInvalidKey},
		{"ES256 with Ed key", ES256, ed.Public, ecSig, ErrInvalidKey},
		{"ES256 with P-384 key", ES256, &p384.PublicKey, ecSig, ErrInvalidKey},
		{"EdDSA short key", EdDSA, ed25519.PublicKey(make([]byte, 5)), edSig, ErrInvalidKey},
		{"nil key", EdDSA, nil, edSig, ErrInvalidKey},
		{"ES256 DER signature", ES256, ec.Public, append([]byte{0x30, 0x44}, ecSig...), ErrSignatureInvalid},
		{"ES256 zero signature", ES256, ec.Public, make([]byte, 64), ErrSignatureInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := Verify(tc.alg, tc.pub, msg, tc.sig); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Generate("RS256"); !errors.Is(err, ErrAlgNotAllowed) {
		t.Fatalf("Generate RS256: %v", err)
	}
	if _, err := AlgOf(&p384.PublicKey); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("AlgOf P-384: %v", err)
	}
}

func TestJWKRoundTripAndThumbprint(t *testing.T) {
	for _, k := range genKeys(t) {
		t.Run(string(k.Alg), func(t *testing.T) {
			b, err := k.PublicJWK()
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			if m["kid"] != k.ID || m["alg"] != string(k.Alg) || m["use"] != "sig" || m["d"] != nil {
				t.Fatalf("JWK %s", b)
			}
			pub, alg, err := ParsePublicJWK(b)
			if err != nil {
				t.Fatal(err)
			}
			if alg != k.Alg {
				t.Fatalf("alg %s", alg)
			}
			tp1, _ := Thumbprint(pub)
			// jwx computes RFC 7638 thumbprints independently.
			jk, err := jwk.ParseKey(b)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := jk.Thumbprint(cryptoSHA256)
			if err != nil {
				t.Fatal(err)
			}
			if tp1 != b64(string(raw)) || tp1 != k.ID {
				t.Fatalf("thumbprint %s, jwx %s, id %s", tp1, b64(string(raw)), k.ID)
			}
		})
	}
}

// TestThumbprintRFC8037 checks the Ed25519 thumbprint example of RFC 8037 A.3.
func TestThumbprintRFC8037(t *testing.T) {
	pub, _, err := ParsePublicJWK([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := Thumbprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	if tp != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Fatalf("thumbprint %s", tp)
	}
}

func TestParsePublicJWKRejects(t *testing.T) {
	ks := genKeys(t)
	edJWK, _ := ks[0].PublicJWK()
	ecJWK, _ := ks[1].PublicJWK()
	with := func(b []byte, member, val string) string {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(b, &m)
		if val == "" {
			delete(m, member)
		} else {
			m[member] = json.RawMessage(val)
		}
		out, _ := json.Marshal(m)
		return string(out)
	}
	// A private Ed25519 JWK made by jwx.
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	privJWK, _ := jwk.FromRaw(edPriv)
	privJSON, _ := json.Marshal(privJWK)
	cases := map[string]struct {
		in   string
		want error
	}{
		"private OKP":      {string(privJSON), ErrInvalidKey},
		"d member":         {with(ecJWK, "d", `"AAAA"`), ErrInvalidKey},
		"oct":              {`{"kty":"oct","k":"c2VjcmV0"}`, ErrInvalidKey},
		"oct without k":    {`{"kty":"oct"}`, ErrInvalidKey},
		"RSA":              {`{"kty":"RSA","n":"sXch","e":"AQAB"}`, ErrInvalidKey},
		"P-384":            {with(ecJWK, "crv", `"P-384"`), ErrInvalidKey},
		"secp256k1":        {with(ecJWK, "crv", `"secp256k1"`), ErrInvalidKey},
		"X25519":           {with(edJWK, "crv", `"X25519"`), ErrInvalidKey},
		"Ed448":            {with(edJWK, "crv", `"Ed448"`), ErrInvalidKey},
		"short x":          {with(edJWK, "x", `"AAAA"`), ErrInvalidKey},
		"padded x":         {with(edJWK, "x", `"`+mustField(edJWK, "x")+`="`), ErrInvalidKey},
		"OKP with y":       {with(edJWK, "y", `"AAAA"`), ErrInvalidKey},
		"EC missing y":     {with(ecJWK, "y", ""), ErrInvalidKey},
		"EC off curve":     {with(ecJWK, "y", `"`+b64(strings.Repeat("\x01", 32))+`"`), ErrInvalidKey},
		"alg mismatch":     {with(edJWK, "alg", `"ES256"`), ErrAlgNotAllowed},
		"alg HS256":        {with(ecJWK, "alg", `"HS256"`), ErrAlgNotAllowed},
		"use enc":          {with(edJWK, "use", `"enc"`), ErrInvalidKey},
		"not object":       {`[]`, ErrInvalidKey},
		"null":             {`null`, ErrInvalidKey},
		"garbage":          {`{`, ErrInvalidKey},
		"too large":        {`{"kty":"OKP","pad":"` + strings.Repeat("a", MaxJWKBytes) + `"}`, ErrInvalidKey},
		"x wrong type":     {with(edJWK, "x", `5`), ErrInvalidKey},
		"kty missing":      {with(edJWK, "kty", ""), ErrInvalidKey},
		"p member on EC":   {with(ecJWK, "p", `"AA"`), ErrInvalidKey},
		"oth member (RSA)": {with(ecJWK, "oth", `[]`), ErrInvalidKey},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, _, err := ParsePublicJWK([]byte(tc.in)); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func mustField(b []byte, f string) string {
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	s, _ := m[f].(string)
	return s
}

func TestJWKS(t *testing.T) {
	ks := genKeys(t)
	b, err := JWKS(ks)
	if err != nil {
		t.Fatal(err)
	}
	set, err := jwk.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 2 {
		t.Fatalf("%d keys", set.Len())
	}
	for _, k := range ks {
		jk, ok := set.LookupKeyID(k.ID)
		if !ok {
			t.Fatalf("kid %s missing in %s", k.ID, b)
		}
		if _, ok := jk.(jwk.OKPPrivateKey); ok {
			t.Fatal("private key published")
		}
	}
	if strings.Contains(string(b), `"d"`) {
		t.Fatalf("private member in JWKS: %s", b)
	}
}

func TestSealer(t *testing.T) {
	s, err := NewSealer([]byte("0123456789abcdef-secret"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range genKeys(t) {
		t.Run(string(k.Alg), func(t *testing.T) {
			ret := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			k.RetiredAt = &ret
			b, err := s.SealKey(k)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.OpenKey(b)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != k.ID || got.Alg != k.Alg || !got.Created.Equal(k.Created) || !got.RetiredAt.Equal(ret) {
				t.Fatalf("opened %+v", got)
			}
			sig, err := got.Sign([]byte("x"))
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(k.Alg, k.Public, []byte("x"), sig); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "pkcs8") {
				t.Fatal("plaintext visible")
			}

			other, _ := NewSealer([]byte("another-secret-of-enough-length"))
			var env map[string]any
			_ = json.Unmarshal(b, &env)
			env["kid"] = "moved"
			moved, _ := json.Marshal(env)
			flipped := []byte(strings.Replace(string(b), `"ct":"`, `"ct":"A`, 1))
			for name, in := range map[string]struct {
				s *Sealer
				b []byte
			}{
				"wrong secret": {other, b},
				"kid changed":  {s, moved},
				"ct altered":   {s, flipped},
				"truncated":    {s, b[:len(b)/2]},
				"empty":        {s, nil},
			} {
				if _, err := in.s.OpenKey(in.b); !errors.Is(err, ErrSealed) {
					t.Errorf("%s: err = %v", name, err)
				}
			}
		})
	}
	if _, err := NewSealer([]byte("short")); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("short secret: %v", err)
	}
	if _, err := s.SealKey(genKeys(t)[0].PublicOnly()); !errors.Is(err, ErrPublicOnly) {
		t.Fatalf("seal public: %v", err)
	}
}

func FuzzParsePublicJWK(f *testing.F) {
	for _, k := range genKeys(f) {
		b, _ := k.PublicJWK()
		f.Add(b)
	}
	f.Add([]byte(`{"kty":"oct","k":"c2VjcmV0"}`))
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"","y":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, alg, err := ParsePublicJWK(b)
		if err != nil {
			if !isOurs(err) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if got, err := AlgOf(pub); err != nil || got != alg {
			t.Fatalf("AlgOf %v %v, parsed %v", got, err, alg)
		}
		out, err := PublicJWK(pub, "")
		if err != nil {
			t.Fatal(err)
		}
		pub2, _, err := ParsePublicJWK(out)
		if err != nil {
			t.Fatal(err)
		}
		t1, _ := Thumbprint(pub)
		t2, _ := Thumbprint(pub2)
		if t1 != t2 {
			t.Fatal("thumbprint changed on round trip")
		}
	})
}

func BenchmarkSignEdDSA(b *testing.B) {
	k, _ := Generate(EdDSA)
	msg := make([]byte, 600)
	for b.Loop() {
		_, _ = k.Sign(msg)
	}
}

func TestParseJWKS(t *testing.T) {
	ks := genKeys(t)
	b, err := JWKS(ks)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseJWKS(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Kid != ks[0].ID || got[1].Alg != ES256 {
		t.Fatalf("%+v", got)
	}
	if tp, _ := Thumbprint(got[1].Key); tp != ks[1].ID {
		t.Fatal("key changed")
	}
	edJWK, _ := ks[0].PublicJWK()
	mixed := `{"keys":[{"kty":"RSA","n":"sXch","e":"AQAB","kid":"r"},{"kty":"OKP","crv":"X25519","x":"AAAA","kid":"x"},` + string(edJWK) + `]}`
	if got, err := ParseJWKS([]byte(mixed)); err != nil || len(got) != 1 {
		t.Fatalf("mixed set: %v %v", got, err)
	}
	for name, in := range map[string]string{
		"private RSA":    `{"keys":[{"kty":"RSA","n":"sXch","e":"AQAB","d":"AA"}]}`,
		"oct":            `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`,
		"bad Ed25519":    `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}`,
		"repeated kid":   `{"keys":[` + string(edJWK) + `,` + string(edJWK) + `]}`,
		"not a set":      `{"kty":"OKP"}`,
		"garbage":        `[`,
		"too many keys":  `{"keys":[` + strings.Repeat(`{"kty":"RSA"},`, MaxJWKSKeys) + `{"kty":"RSA"}]}`,
		"too large":      `{"keys":[],"pad":"` + strings.Repeat("a", MaxJWKSBytes) + `"}`,
		"key not object": `{"keys":[5]}`,
	} {
		if _, err := ParseJWKS([]byte(in)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func FuzzParseJWKS(f *testing.F) {
	b, _ := JWKS(genKeys(f))
	f.Add(b)
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"sXch","e":"AQAB"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseJWKS(b)
		if err != nil {
			if !isOurs(err) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		for _, k := range got {
			if a, err := AlgOf(k.Key); err != nil || a != k.Alg {
				t.Fatalf("key %+v: %v", k, err)
			}
		}
	})
}
