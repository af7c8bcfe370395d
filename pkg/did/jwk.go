package did

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/idport/idport/pkg/keys"
)

// maxJWKDIDLength bounds the method-specific id of a did:jwk.
const maxJWKDIDLength = 1024

// JWKDID returns the did:jwk of an Ed25519 or P-256 public key and the id of
// its single verification method (did#0). The JWK is serialised with the
// RFC 7638 members only, in lexicographic order, so equal keys give equal DIDs.
func JWKDID(pub crypto.PublicKey) (did, kid string, err error) {
	j, err := keys.PublicJWK(pub, "")
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return "", "", fmt.Errorf("%w: public JWK: %w", ErrUnsupportedKey, err)
	}
	min := map[string]any{}
	for _, k := range []string{"crv", "kty", "x", "y"} {
		if v, ok := m[k]; ok {
			min[k] = v
		}
	}
	b, err := json.Marshal(min) // map keys marshal sorted
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
	}
	did = "did:jwk:" + base64.RawURLEncoding.EncodeToString(b)
	return did, did + "#0", nil
}

// resolveJWKDID builds the document of a did:jwk: one JsonWebKey2020 method
// did#0 holding the decoded JWK, under assertionMethod and authentication.
// A JWK with "use" other than sig, or with private members, is refused.
func resolveJWKDID(d DID) (*Document, error) {
	if len(d.ID) > maxJWKDIDLength {
		return nil, invalid(d.String(), "did:jwk longer than %d bytes", maxJWKDIDLength)
	}
	b, err := base64.RawURLEncoding.DecodeString(d.ID)
	if err != nil {
		return nil, invalid(d.String(), "did:jwk is not base64url: %v", err)
	}
	pub, alg, err := keys.ParsePublicJWK(b)
	if err != nil {
		return nil, fmt.Errorf("%w: did:jwk: %w", ErrUnsupportedKey, err)
	}
	s := d.String()
	return singleKeyDocument([]any{ContextDIDv1, ContextJWS2020}, s, VerificationMethod{
		ID: s + "#0", Type: TypeJsonWebKey2020, Controller: s, PublicKeyJwk: json.RawMessage(b),
		pub: pub, alg: alg,
	}), nil
}
