package vcjwt

import (
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/idport/idport/pkg/keys"
)

// Media types (JOSE typ values) of the formats.
const (
	TypVCJOSE   = "vc+jwt"
	TypVPJOSE   = "vp+jwt"
	TypSDJWT    = "dc+sd-jwt"
	TypKB       = "kb+jwt"
	TypJWT      = "JWT"
	ctyVC       = "vc"
	ctyVP       = "vp"
	typLegacySD = "vc+sd-jwt"      // SD-JWT VC drafts before -06; read, never written
	typLegacyVC = "vc+ld+json+jwt" // VC-JOSE-COSE drafts; read, never written
)

// KeyID returns the kid written into tokens signed by k for issuer: k.ID when
// it is already absolute (a DID URL or anything with '#' or ':'), otherwise
// issuer#k.ID when issuer is a DID, otherwise k.ID as a JWKS kid.
func KeyID(issuer string, k *keys.Key) string {
	if strings.ContainsAny(k.ID, "#:") || !strings.HasPrefix(issuer, "did:") {
		return k.ID
	}
	return issuer + "#" + k.ID
}

// signJWS signs payload with k through jwx, with the given typ, cty and kid.
func signJWS(k *keys.Key, typ, cty, kid string, payload []byte) (string, error) {
	if k == nil || k.Signer == nil {
		return "", fmt.Errorf("vcjwt: sign: %w", keys.ErrPublicOnly)
	}
	if !keys.IsAllowed(k.Alg) {
		return "", fmt.Errorf("vcjwt: sign: %w: %q", ErrAlgNotAllowed, k.Alg)
	}
	h := jws.NewHeaders()
	for name, v := range map[string]string{jws.TypeKey: typ, jws.ContentTypeKey: cty, jws.KeyIDKey: kid} {
		if v == "" {
			continue
		}
		if err := h.Set(name, v); err != nil {
			return "", fmt.Errorf("vcjwt: header %s: %w", name, err)
		}
	}
	out, err := jws.Sign(payload, jws.WithKey(jwa.SignatureAlgorithm(k.Alg), k.Signer, jws.WithProtectedHeaders(h)))
	if err != nil {
		return "", fmt.Errorf("vcjwt: sign %s: %w", k.Alg, err)
	}
	return string(out), nil
}
