package statuslist

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/idport/idport/pkg/keys"
)

// maxTokenBytes bounds a fetched compact JWS (a list of MaxListBytes that
// does not compress still fits).
const maxTokenBytes = 8 << 20

var b64 = base64.RawURLEncoding

// keyID returns the kid for tokens k signs for issuer: k.ID when absolute,
// issuer#k.ID when the issuer is a DID and k.ID a bare fragment.
func keyID(issuer string, k *keys.Key) string {
	if strings.ContainsAny(k.ID, "#:") || !strings.HasPrefix(issuer, "did:") {
		return k.ID
	}
	return issuer + "#" + k.ID
}

// signCompact signs payload as a compact JWS with the given typ, cty and kid.
func signCompact(k *keys.Key, typ, cty, kid string, payload []byte) (string, error) {
	if k == nil || k.Signer == nil {
		return "", fmt.Errorf("statuslist: sign: %w", keys.ErrPublicOnly)
	}
	if !keys.IsAllowed(k.Alg) {
		return "", fmt.Errorf("statuslist: sign: %w: %q", keys.ErrAlgNotAllowed, k.Alg)
	}
	hdr := map[string]string{"alg": string(k.Alg), "typ": typ, "kid": kid}
	if cty != "" {
		hdr["cty"] = cty
	}
	h, err := json.Marshal(hdr)
	if err != nil {
		return "", fmt.Errorf("statuslist: header: %w", err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(payload)
	sig, err := k.Sign([]byte(input))
	if err != nil {
		return "", fmt.Errorf("statuslist: sign: %w", err)
	}
	return input + "." + b64.EncodeToString(sig), nil
}

// jwsToken is a parsed compact JWS whose signature is not checked yet.
type jwsToken struct {
	alg          keys.Alg
	kid, typ     string
	payload      []byte
	signingInput []byte
	sig          []byte
}

// parseCompact reads a compact JWS: EdDSA or ES256 only, no header that
// names its own key (jku, jwk, x5u, x5c) and no crit.
func parseCompact(s string) (*jwsToken, error) {
	if len(s) > maxTokenBytes {
		return nil, invalidf("token of %d bytes", len(s))
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, invalidf("not a compact JWS")
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil || len(hb) > 4096 {
		return nil, invalidf("JWS header is not base64url or too long")
	}
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, invalidf("JWS header: %v", err)
	}
	for _, name := range []string{"jku", "jwk", "x5u", "x5c", "crit", "b64", "zip", "enc"} {
		if _, ok := hdr[name]; ok {
			return nil, invalidf("JWS header %q not allowed", name)
		}
	}
	t := &jwsToken{signingInput: []byte(s[:len(parts[0])+1+len(parts[1])])}
	var alg string
	for name, dst := range map[string]*string{"alg": &alg, "kid": &t.kid, "typ": &t.typ} {
		if raw, ok := hdr[name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return nil, invalidf("JWS header %s is not a string", name)
			}
		}
	}
	t.alg = keys.Alg(alg)
	if !keys.IsAllowed(t.alg) {
		return nil, fmt.Errorf("%w: %w: %q", ErrInvalidList, keys.ErrAlgNotAllowed, alg)
	}
	if t.payload, err = b64.DecodeString(parts[1]); err != nil {
		return nil, invalidf("JWS payload is not base64url")
	}
	if t.sig, err = b64.DecodeString(parts[2]); err != nil {
		return nil, invalidf("JWS signature is not base64url")
	}
	return t, nil
}
