package openid4vci

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
)

// MaxProofBytes bounds one key proof.
const MaxProofBytes = 16 << 10

// holderKey is the key a proof proves possession of.
type holderKey struct {
	// jwk is the public key as a JWK.
	jwk json.RawMessage
	// did is the holder's did:key or did:jwk when the proof named its key by kid ("" for a jwk
	// header: the engine then uses the key's did:jwk).
	did string
}

// proofHeader is the protected header of a key proof.
type proofHeader struct {
	Alg string          `json:"alg"`
	Typ string          `json:"typ"`
	Kid string          `json:"kid"`
	JWK json.RawMessage `json:"jwk"`
	X5C json.RawMessage `json:"x5c"`
	// TrustChain and KeyAttestation name keys this issuer does not accept.
	TrustChain     json.RawMessage `json:"trust_chain"`
	KeyAttestation json.RawMessage `json:"key_attestation"`
	// Crit names header extensions the recipient must understand (RFC 7515 section
	// 4.1.11); this issuer understands none, so a proof with crit is refused.
	Crit json.RawMessage `json:"crit"`
}

// proofClaims are the claims of a key proof.
type proofClaims struct {
	Aud   json.RawMessage `json:"aud"`
	Iat   *json.Number    `json:"iat"`
	Exp   *json.Number    `json:"exp"`
	Nonce string          `json:"nonce"`
	Iss   string          `json:"iss"`
}

func proofErr(format string, args ...any) error {
	return errs.Errorf(CodeInvalidProof, "invalid proof: "+format, args...)
}

// verifyProof checks a jwt key proof (OpenID4VCI 1.0 appendix F.1): typ openid4vci-proof+jwt,
// alg EdDSA or ES256, the key in a jwk header or a did:key / did:jwk kid, the signature, aud =
// the credential issuer identifier, iat not in the future nor older than the nonce lifetime,
// and a c_nonce of this issuer, unexpired by its MAC'd expiry (returned for the caller to
// consume). It reads nothing from the store: a forged or expired c_nonce costs no store access.
func (s *Service) verifyProof(ctx context.Context, jwt string, now time.Time) (holderKey, Nonce, error) {
	if len(jwt) > MaxProofBytes {
		return holderKey{}, Nonce{}, proofErr("the proof is larger than %d bytes", MaxProofBytes)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return holderKey{}, Nonce{}, proofErr("not a compact JWS")
	}
	var h proofHeader
	if err := decodeSegment(parts[0], &h); err != nil {
		return holderKey{}, Nonce{}, proofErr("header: %v", err)
	}
	alg := keys.Alg(h.Alg)
	if !slices.Contains(ProofAlgs, alg) {
		return holderKey{}, Nonce{}, proofErr("algorithm %q not allowed (allowed: %v)", h.Alg, ProofAlgs)
	}
	if h.Typ != ProofTyp {
		return holderKey{}, Nonce{}, proofErr("typ %q, want %q", h.Typ, ProofTyp)
	}
	if len(h.Crit) > 0 {
		return holderKey{}, Nonce{}, proofErr("crit names header extensions this issuer does not understand")
	}
	if len(h.X5C) > 0 || len(h.TrustChain) > 0 || len(h.KeyAttestation) > 0 {
		return holderKey{}, Nonce{}, proofErr("x5c, trust_chain and key_attestation are not supported; send a jwk or a did:key / did:jwk kid")
	}
	hk, pub, err := s.proofKey(ctx, h)
	if err != nil {
		return holderKey{}, Nonce{}, err
	}
	if ka, err := keys.AlgOf(pub); err != nil || ka != alg {
		return holderKey{}, Nonce{}, proofErr("the key is not a %s key", alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return holderKey{}, Nonce{}, proofErr("signature base64url: %v", err)
	}
	if err := keys.Verify(alg, pub, []byte(parts[0]+"."+parts[1]), sig); err != nil {
		return holderKey{}, Nonce{}, proofErr("the signature does not verify with the key the header names")
	}
	var c proofClaims
	if err := decodeSegment(parts[1], &c); err != nil {
		return holderKey{}, Nonce{}, proofErr("payload: %v", err)
	}
	if !audience(c.Aud, s.IssuerID()) {
		return holderKey{}, Nonce{}, proofErr("aud must be the credential issuer identifier %s", s.IssuerID())
	}
	if c.Iat == nil {
		return holderKey{}, Nonce{}, proofErr("iat is missing")
	}
	iat, err := c.Iat.Int64()
	if err != nil {
		return holderKey{}, Nonce{}, proofErr("iat is not an integer")
	}
	if t := time.Unix(iat, 0); t.After(now.Add(ClockSkew)) || t.Before(now.Add(-s.cfg.NonceTTL-ClockSkew)) {
		return holderKey{}, Nonce{}, proofErr("iat %s is out of the accepted window", t.UTC().Format(time.RFC3339))
	}
	if c.Exp != nil {
		if exp, err := c.Exp.Int64(); err != nil || !now.Before(time.Unix(exp, 0).Add(ClockSkew)) {
			return holderKey{}, Nonce{}, proofErr("the proof expired")
		}
	}
	if c.Nonce == "" {
		return holderKey{}, Nonce{}, errs.Errorf(CodeInvalidNonce, "invalid nonce: the proof has no nonce; get a c_nonce from the nonce endpoint")
	}
	n, err := s.nonces.check(c.Nonce, now)
	if err != nil {
		return holderKey{}, Nonce{}, err
	}
	return hk, n, nil
}

// proofKey returns the key a proof header names: a public jwk, or a did:key / did:jwk kid.
func (s *Service) proofKey(ctx context.Context, h proofHeader) (holderKey, any, error) {
	switch {
	case len(h.JWK) > 0 && h.Kid != "":
		return holderKey{}, nil, proofErr("give jwk or kid, not both")
	case len(h.JWK) > 0:
		pub, _, err := keys.ParsePublicJWK(h.JWK)
		if err != nil {
			return holderKey{}, nil, proofErr("jwk: %v", err)
		}
		jwk, err := keys.PublicJWK(pub, "")
		if err != nil {
			return holderKey{}, nil, proofErr("jwk: %v", err)
		}
		return holderKey{jwk: jwk}, pub, nil
	case h.Kid != "":
		u, err := did.ParseURL(h.Kid)
		if err != nil || (u.DID.Method != did.MethodKey && u.DID.Method != did.MethodJWK) {
			return holderKey{}, nil, proofErr("kid must be a did:key or did:jwk DID URL")
		}
		pub, _, err := did.ResolveKeyFor(ctx, s.resolver, h.Kid, did.Authentication)
		if err != nil {
			return holderKey{}, nil, proofErr("kid: %v", err)
		}
		jwk, err := keys.PublicJWK(pub, "")
		if err != nil {
			return holderKey{}, nil, proofErr("kid: %v", err)
		}
		return holderKey{jwk: jwk, did: u.DID.String()}, pub, nil
	}
	return holderKey{}, nil, proofErr("the header names no key (jwk or kid)")
}

// decodeSegment decodes a base64url JSON object, numbers as json.Number.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// audience reports whether aud (a string or an array of strings) names want.
func audience(aud json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(aud, &one) == nil {
		return one == want
	}
	var many []string
	return json.Unmarshal(aud, &many) == nil && slices.Contains(many, want)
}
