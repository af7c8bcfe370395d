package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// MaxJWKBytes bounds the size of a JWK that ParsePublicJWK reads.
const MaxJWKBytes = 8 << 10

// privateMembers are JWK members that carry private or symmetric key material.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// rawPoint returns the JWK coordinates of a public key: x for Ed25519, x and
// y for P-256.
func rawPoint(pub crypto.PublicKey) (kty, crv string, x, y []byte, err error) {
	alg, err := AlgOf(pub)
	if err != nil {
		return "", "", nil, nil, err
	}
	if alg == EdDSA {
		return "OKP", "Ed25519", pub.(ed25519.PublicKey), nil, nil
	}
	b, err := pub.(*ecdsa.PublicKey).Bytes()
	if err != nil {
		return "", "", nil, nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return "EC", "P-256", b[1:33], b[33:], nil
}

// jwkFromPublic builds a jwx key with kid and alg set.
func jwkFromPublic(pub crypto.PublicKey, kid string) (jwk.Key, error) {
	alg, err := AlgOf(pub)
	if err != nil {
		return nil, err
	}
	k, err := jwk.FromRaw(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	if kid != "" {
		if err := k.Set(jwk.KeyIDKey, kid); err != nil {
			return nil, fmt.Errorf("keys: set kid: %w", err)
		}
	}
	if err := k.Set(jwk.AlgorithmKey, jwa.SignatureAlgorithm(alg)); err != nil {
		return nil, fmt.Errorf("keys: set alg: %w", err)
	}
	if err := k.Set(jwk.KeyUsageKey, jwk.ForSignature); err != nil {
		return nil, fmt.Errorf("keys: set use: %w", err)
	}
	return k, nil
}

// PublicJWK returns the public JWK (JSON) of pub with kid, alg and use=sig.
func PublicJWK(pub crypto.PublicKey, kid string) ([]byte, error) {
	k, err := jwkFromPublic(pub, kid)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("keys: marshal JWK: %w", err)
	}
	return b, nil
}

// JWKS returns the JSON Web Key Set {"keys": [...]} of the public parts of keys,
// each with its ID as kid.
func JWKS(keys []*Key) ([]byte, error) {
	set := jwk.NewSet()
	for _, k := range keys {
		jk, err := jwkFromPublic(k.Public, k.ID)
		if err != nil {
			return nil, fmt.Errorf("keys: key %s: %w", k.ID, err)
		}
		if err := set.AddKey(jk); err != nil {
			return nil, fmt.Errorf("keys: add key %s: %w", k.ID, err)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("keys: marshal JWKS: %w", err)
	}
	return b, nil
}

// publicJWKWire is the subset of JWK members ParsePublicJWK looks at.
type publicJWKWire struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// ParsePublicJWK reads a public JWK: OKP Ed25519 or EC P-256 only. It refuses
// any private or symmetric member (d, p, q, dp, dq, qi, oth, k), other key
// types (oct, RSA) and curves, coordinates of the wrong length or off the
// curve, an alg that does not fit the key, and a use other than sig.
func ParsePublicJWK(b []byte) (crypto.PublicKey, Alg, error) {
	if len(b) > MaxJWKBytes {
		return nil, "", fmt.Errorf("%w: JWK of %d bytes", ErrInvalidKey, len(b))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil || members == nil {
		return nil, "", fmt.Errorf("%w: JWK is not a JSON object", ErrInvalidKey)
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return nil, "", fmt.Errorf("%w: JWK carries private member %q", ErrInvalidKey, m)
		}
	}
	var w publicJWKWire
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, "", fmt.Errorf("%w: JWK: %w", ErrInvalidKey, err)
	}
	if w.Use != "" && w.Use != "sig" {
		return nil, "", fmt.Errorf("%w: JWK use %q", ErrInvalidKey, w.Use)
	}
	var (
		pub crypto.PublicKey
		alg Alg
	)
	switch {
	case w.Kty == "OKP" && w.Crv == "Ed25519":
		x, err := decodeCoord(w.X, ed25519.PublicKeySize, "x")
		if err != nil {
			return nil, "", err
		}
		if _, ok := members["y"]; ok {
			return nil, "", fmt.Errorf("%w: OKP JWK with y", ErrInvalidKey)
		}
		pub, alg = ed25519.PublicKey(x), EdDSA
	case w.Kty == "EC" && w.Crv == "P-256":
		x, err := decodeCoord(w.X, 32, "x")
		if err != nil {
			return nil, "", err
		}
		y, err := decodeCoord(w.Y, 32, "y")
		if err != nil {
			return nil, "", err
		}
		p, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, "", fmt.Errorf("%w: P-256 point: %w", ErrInvalidKey, err)
		}
		pub, alg = p, ES256
	default:
		return nil, "", fmt.Errorf("%w: JWK kty %q crv %q (want OKP Ed25519 or EC P-256)", ErrInvalidKey, w.Kty, w.Crv)
	}
	if w.Alg != "" && Alg(w.Alg) != alg {
		return nil, "", fmt.Errorf("%w: JWK alg %q does not fit a %s key", ErrAlgNotAllowed, w.Alg, alg)
	}
	return pub, alg, nil
}

// decodeCoord decodes a base64url (unpadded) coordinate of exactly n bytes.
func decodeCoord(s string, n int, name string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != n {
		return nil, fmt.Errorf("%w: JWK %s must be %d bytes of base64url", ErrInvalidKey, name, n)
	}
	return b, nil
}

// MinimalJWK returns the public JWK of pub with only its required members
// in lexicographic order and no white space: the RFC 7638 thumbprint input,
// and the plain key a cnf claim carries.
func MinimalJWK(pub crypto.PublicKey) ([]byte, error) {
	kty, crv, x, y, err := rawPoint(pub)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := base64.RawURLEncoding
	buf.WriteString(`{"crv":"` + crv + `","kty":"` + kty + `","x":"` + enc.EncodeToString(x) + `"`)
	if y != nil {
		buf.WriteString(`,"y":"` + enc.EncodeToString(y) + `"`)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// Thumbprint returns the RFC 7638 JWK thumbprint (SHA-256, base64url) of pub.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	b, err := MinimalJWK(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// PublicJWK returns the public JWK of k with its ID as kid.
func (k *Key) PublicJWK() ([]byte, error) { return PublicJWK(k.Public, k.ID) }

// Limits on JWK sets read by ParseJWKS.
const (
	MaxJWKSBytes = 64 << 10
	MaxJWKSKeys  = 100
)

// PublicKey is a public key read from a JWK set.
type PublicKey struct {
	Kid string
	Alg Alg
	Key crypto.PublicKey
}

// ParseJWKS reads a JSON Web Key Set {"keys": [...]}. Keys of types or
// curves we do not use (RSA, X25519, use=enc, ...) are skipped, as real
// sets mix them; a key carrying private members, a malformed Ed25519 or
// P-256 key, or a repeated kid fails the whole set (ErrInvalidKey).
func ParseJWKS(b []byte) ([]PublicKey, error) {
	if len(b) > MaxJWKSBytes {
		return nil, fmt.Errorf("%w: JWKS of %d bytes, limit %d", ErrInvalidKey, len(b), MaxJWKSBytes)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil || set.Keys == nil {
		return nil, fmt.Errorf("%w: not a JWK set", ErrInvalidKey)
	}
	if len(set.Keys) > MaxJWKSKeys {
		return nil, fmt.Errorf("%w: %d keys in a JWK set, limit %d", ErrInvalidKey, len(set.Keys), MaxJWKSKeys)
	}
	out := make([]PublicKey, 0, len(set.Keys))
	seen := map[string]bool{}
	for i, raw := range set.Keys {
		var w struct {
			Kty, Crv, Use, Kid string
		}
		if err := json.Unmarshal(raw, &w); err != nil {
			return nil, fmt.Errorf("%w: key %d: %w", ErrInvalidKey, i, err)
		}
		ours := (w.Kty == "OKP" && w.Crv == "Ed25519") || (w.Kty == "EC" && w.Crv == "P-256")
		if !ours || (w.Use != "" && w.Use != "sig") {
			if hasPrivateMember(raw) {
				return nil, fmt.Errorf("%w: key %d carries private material", ErrInvalidKey, i)
			}
			continue
		}
		pub, alg, err := ParsePublicJWK(raw)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if w.Kid != "" {
			if seen[w.Kid] {
				return nil, fmt.Errorf("%w: kid %q appears twice", ErrInvalidKey, w.Kid)
			}
			seen[w.Kid] = true
		}
		out = append(out, PublicKey{Kid: w.Kid, Alg: alg, Key: pub})
	}
	return out, nil
}

// hasPrivateMember reports whether a JWK object has a private or symmetric member.
func hasPrivateMember(raw []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return true
	}
	for _, p := range privateMembers {
		if _, ok := m[p]; ok {
			return true
		}
	}
	return false
}
