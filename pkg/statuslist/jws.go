package statuslist

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/idport/idport/pkg/keys"
)

var b64 = base64.RawURLEncoding

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
