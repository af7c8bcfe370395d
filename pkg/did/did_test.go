package did

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/idport/idport/pkg/keys"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		method  string
		wantErr bool
	}{
		{"did:example:123456789abcdefghi", "example", false},
		{"did:web:example.com", "web", false},
		{"did:web:example.com%3A8443:user:alice", "web", false},
		{"did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th", "key", false},
		{"did:a1:b", "a1", false},
		{"did:", "", true},
		{"did:web", "", true},
		{"did::abc", "", true},
		{"did:Web:abc", "", true},
		{"did:web:", "", true},
		{"did:web:abc:", "", true},
		{"did:web:a b", "", true},
		{"did:web:a%2", "", true},
		{"did:web:a%zz", "", true},
		{"DID:web:abc", "", true},
		{"did:web:abc/path", "", true},
		{"did:web:abc#frag", "", true},
		{"did:web:abc?q", "", true},
		{"urn:web:abc", "", true},
		{"did:web:" + strings.Repeat("a", MaxLength), "", true},
	}
	for _, tt := range tests {
		d, err := Parse(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidDID) {
				t.Errorf("Parse(%q) err = %v, want ErrInvalidDID", tt.in, err)
			}
			continue
		}
		if err != nil || d.Method != tt.method || d.String() != tt.in {
			t.Errorf("Parse(%q) = %+v, %v", tt.in, d, err)
		}
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		in       string
		fragment string
		wantErr  bool
	}{
		{"did:web:example.com#key-1", "key-1", false},
		{"did:web:example.com", "", false},
		{"did:jwk:eyJhIjoiYiJ9#0", "0", false},
		{"did:web:example.com#a:b@c!$&'()*+,;=~.-_%41", "a:b@c!$&'()*+,;=~.-_%41", false},
		{"did:web:example.com#", "", true},
		{"did:web:example.com#../../etc/passwd", "", true},
		{"did:web:example.com#a/b", "", true},
		{"did:web:example.com#a?b", "", true},
		{"did:web:example.com#a#b", "", true},
		{"did:web:example.com#a%2", "", true},
		{"did:web:example.com#a b", "", true},
		{"did:web:example.com/path#key", "", true},
		{"did:web:example.com?service=x#key", "", true},
		{"did:web:example.com/../x#key", "", true},
		{"#key-1", "", true},
	}
	for _, tt := range tests {
		u, err := ParseURL(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidDID) {
				t.Errorf("ParseURL(%q) err = %v, want ErrInvalidDID", tt.in, err)
			}
			continue
		}
		if err != nil || u.Fragment != tt.fragment || u.String() != tt.in {
			t.Errorf("ParseURL(%q) = %+v, %v", tt.in, u, err)
		}
	}
}

func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKeyDIDVectors checks did:key against published vectors: an Ed25519
// key from the ACA-Py test suite (given as publicKeyBase58) and the P-256
// vector of the did:key test suite (w3c-ccg did-method-key nist-curves.json).
func TestKeyDIDVectors(t *testing.T) {
	edRaw, err := base58Decode("8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K")
	if err != nil {
		t.Fatal(err)
	}
	x := b64(t, "igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns")
	y := b64(t, "efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM")
	p256, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pub  any
		did  string
		alg  keys.Alg
	}{
		{"ed25519", ed25519.PublicKey(edRaw), "did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th", keys.EdDSA},
		{"p256", p256, "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv", keys.ES256},
	}
	r := NewResolver(ResolverOptions{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			did, kid, err := KeyDID(tt.pub)
			if err != nil {
				t.Fatal(err)
			}
			if did != tt.did {
				t.Fatalf("KeyDID = %s, want %s", did, tt.did)
			}
			if want := did + "#" + strings.TrimPrefix(did, "did:key:"); kid != want {
				t.Fatalf("kid = %s, want %s", kid, want)
			}
			pub, alg, err := ResolveKey(context.Background(), r, kid)
			if err != nil {
				t.Fatal(err)
			}
			if alg != tt.alg || !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(tt.pub) {
				t.Fatalf("ResolveKey = %v %v", pub, alg)
			}
			doc, err := r.Resolve(context.Background(), did)
			if err != nil {
				t.Fatal(err)
			}
			if doc.ID != did || len(doc.VerificationMethod) != 1 || doc.VerificationMethod[0].Type != TypeMultikey {
				t.Fatalf("doc = %+v", doc)
			}
			if _, err := doc.FindMethod(kid, AssertionMethod); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestJWKDIDVector checks did:jwk against the P-256 example of the did:jwk
// specification, which serialises the JWK with sorted members.
func TestJWKDIDVector(t *testing.T) {
	const want = "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9"
	x := b64(t, "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0")
	y := b64(t, "_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE")
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatal(err)
	}
	did, kid, err := JWKDID(pub)
	if err != nil {
		t.Fatal(err)
	}
	if did != want || kid != want+"#0" {
		t.Fatalf("JWKDID = %s %s", did, kid)
	}
	got, alg, err := ResolveKey(context.Background(), NewResolver(ResolverOptions{}), kid)
	if err != nil || alg != keys.ES256 || !pub.Equal(got) {
		t.Fatalf("ResolveKey = %v %v %v", got, alg, err)
	}
}

func TestLocalRoundTrip(t *testing.T) {
	r := NewResolver(ResolverOptions{})
	for _, alg := range keys.Allowed {
		k, err := keys.Generate(alg)
		if err != nil {
			t.Fatal(err)
		}
		for name, mk := range map[string]func(crypto.PublicKey) (string, string, error){
			"key": KeyDID, "jwk": JWKDID,
		} {
			did, kid, err := mk(k.Public)
			if err != nil {
				t.Fatalf("%s %s: %v", name, alg, err)
			}
			pub, got, err := ResolveKeyFor(context.Background(), r, kid, AssertionMethod)
			if err != nil || got != alg || !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public) {
				t.Fatalf("%s %s: ResolveKey = %v %v %v", name, alg, pub, got, err)
			}
			// The bare DID, another fragment, or another DID's fragment are not keys.
			for _, bad := range []string{did, did + "#other", "did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th#0"} {
				if _, _, err := ResolveKey(context.Background(), r, bad); !errors.Is(err, ErrKeyNotFound) {
					t.Errorf("%s %s: ResolveKey(%q) err = %v, want ErrKeyNotFound", name, alg, bad, err)
				}
			}
		}
	}
}

func TestLocalRejects(t *testing.T) {
	r := NewResolver(ResolverOptions{})
	priv := base64.RawURLEncoding.EncodeToString([]byte(`{"crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	enc := base64.RawURLEncoding.EncodeToString([]byte(`{"crv":"Ed25519","kty":"OKP","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`))
	oct := base64.RawURLEncoding.EncodeToString([]byte(`{"kty":"oct","k":"c2VjcmV0"}`))
	secp := "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme" // secp256k1-pub
	tests := []struct {
		did  string
		want error
	}{
		{"did:jwk:" + priv, ErrUnsupportedKey},
		{"did:jwk:" + enc, ErrUnsupportedKey},
		{"did:jwk:" + oct, ErrUnsupportedKey},
		{"did:jwk:bm90IGpzb24", ErrUnsupportedKey},
		{"did:jwk:%41", ErrInvalidDID},
		{secp, ErrInvalidDID},
		{"did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7t", ErrInvalidDID},
		{"did:key:u7QFhbGwgdGhlc2UgYnl0ZXM", ErrInvalidDID},
		{"did:key:z0OIl", ErrInvalidDID},
		{"did:key:1:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th", ErrInvalidDID},
		{"did:ion:abc", ErrUnsupportedMethod},
	}
	for _, tt := range tests {
		if _, err := r.Resolve(context.Background(), tt.did); !errors.Is(err, tt.want) {
			t.Errorf("Resolve(%q) err = %v, want %v", tt.did, err, tt.want)
		}
	}
}

func TestMultibaseRoundTrip(t *testing.T) {
	for range 50 {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		mb, err := MultibaseKey(pub)
		if err != nil || !strings.HasPrefix(mb, "z6Mk") {
			t.Fatalf("MultibaseKey = %q %v", mb, err)
		}
		got, err := ParseMultibaseKey(mb)
		if err != nil || !pub.Equal(got) {
			t.Fatalf("ParseMultibaseKey = %v %v", got, err)
		}
		ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		mb, err = MultibaseKey(&ek.PublicKey)
		if err != nil || !strings.HasPrefix(mb, "zDn") {
			t.Fatalf("MultibaseKey = %q %v", mb, err)
		}
		got, err = ParseMultibaseKey(mb)
		if err != nil || !ek.PublicKey.Equal(got) {
			t.Fatalf("ParseMultibaseKey P-256 = %v %v", got, err)
		}
	}
	// Leading zero bytes survive base58.
	for _, in := range [][]byte{{0}, {0, 0, 1}, {0, 255}, {1, 2, 3}} {
		out, err := base58Decode(base58Encode(in))
		if err != nil || string(out) != string(in) {
			t.Errorf("base58 round trip of %v = %v %v", in, out, err)
		}
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := MultibaseKey(&p384.PublicKey); !errors.Is(err, ErrUnsupportedKey) {
		t.Errorf("P-384 err = %v", err)
	}
}

func TestWebURL(t *testing.T) {
	tests := []struct {
		did, url string
		wantErr  bool
	}{
		{"did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json", false},
		{"did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json", false},
		{"did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json", false},
		{"did:web:Example.COM", "https://example.com/.well-known/did.json", false},
		{"did:web:127.0.0.1%3A8443", "https://127.0.0.1:8443/.well-known/did.json", false},
		{"did:web:example.com:a%20b", "https://example.com/a%20b/did.json", false},
		{"did:web:example.com:..", "", true},
		{"did:web:example.com:.", "", true},
		{"did:web:example.com:%2E%2E", "", true},
		{"did:web:example.com:a%2Fb", "", true},
		{"did:web:example.com:a%5Cb", "", true},
		{"did:web:example.com:a%3Fb", "", true},
		{"did:web:example.com:a%23b", "", true},
		{"did:web:example.com:a%00b", "", true},
		{"did:web:example.com:a%252e", "", true},
		{"did:web:example.com%3A0", "", true},
		{"did:web:example.com%3A99999", "", true},
		{"did:web:example.com%3Aabc", "", true},
		{"did:web:example.com%40evil.com", "", true},
		{"did:web:user%40example.com", "", true},
		{"did:web:-bad.example", "", true},
		{"did:web:exa_mple.com", "", true},
		{"did:web:example..com", "", true},
		{"did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th", "", true},
	}
	for _, tt := range tests {
		u, err := WebURL(tt.did)
		if tt.wantErr {
			if err == nil {
				t.Errorf("WebURL(%q) = %q, want error", tt.did, u)
			}
			continue
		}
		if err != nil || u != tt.url {
			t.Errorf("WebURL(%q) = %q, %v; want %q", tt.did, u, err, tt.url)
		}
	}
	if got := WebDID("Example.com:8443", "issuers", "sg corp"); got != "did:web:example.com%3A8443:issuers:sg%20corp" {
		t.Errorf("WebDID = %s", got)
	}
	if u, err := WebURL(WebDID("example.com:8443", "issuers", "sg")); err != nil || u != "https://example.com:8443/issuers/sg/did.json" {
		t.Errorf("WebURL(WebDID) = %s %v", u, err)
	}
}
