package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/nodetest"
)

// TestOpenID4VCIWalletInterop: the OpenWallet Foundation's @openid4vc/openid4vci (0.4.6) as the
// wallet completes the pre-authorized code flow with a tx_code against a real issuer on
// loopback, in every offered format, with a batch of two proofs per configuration, under both
// proof algorithms; then idport checks each credential's holder binding.
func TestOpenID4VCIWalletInterop(t *testing.T) {
	nodetest.Dir(t)
	s := newVCIServer(t)
	for _, alg := range []keys.Alg{keys.EdDSA, keys.ES256} {
		t.Run(string(alg), func(t *testing.T) {
			o := s.offer(t, nil, 6)
			var out struct {
				Issuer         string          `json:"issuer"`
				Version        string          `json:"version"`
				HolderJWK      json.RawMessage `json:"holderJwk"`
				Configurations map[string]struct {
					Format      string            `json:"format"`
					Credentials []json.RawMessage `json:"credentials"`
					Notified    bool              `json:"notified"`
				} `json:"configurations"`
			}
			nodetest.Run(t, "openid4vci-wallet.mjs", map[string]any{"offer": o.DeepLink, "txCode": o.TxCode, "alg": alg, "batch": 2}, &out)
			if out.Issuer != s.URL || len(out.Configurations) != 3 {
				t.Fatalf("wallet result: %+v", out)
			}
			pub, _, err := keys.ParsePublicJWK(out.HolderJWK)
			if err != nil {
				t.Fatal(err)
			}
			thumb, _ := keys.Thumbprint(pub)
			for id, c := range out.Configurations {
				if len(c.Credentials) != 2 || !c.Notified {
					t.Fatalf("%s: %+v", id, c)
				}
				for _, raw := range c.Credentials {
					var bound any
					switch c.Format {
					case "dc+sd-jwt":
						var tok string
						_ = json.Unmarshal(raw, &tok)
						cnf, _ := jwtPayload(t, tok)["cnf"].(map[string]any)
						b, _ := json.Marshal(cnf["jwk"])
						p, _, err := keys.ParsePublicJWK(b)
						if err == nil {
							bound, _ = keys.Thumbprint(p)
						}
						if bound != thumb {
							t.Errorf("%s: cnf.jwk is not the wallet's key", id)
						}
					case "jwt_vc_json":
						var tok string
						_ = json.Unmarshal(raw, &tok)
						bound = jwtPayload(t, tok)["sub"]
					case "ldp_vc":
						var doc struct {
							Subject map[string]any `json:"credentialSubject"`
						}
						_ = json.Unmarshal(raw, &doc)
						bound = doc.Subject["id"]
					}
					if sub, ok := bound.(string); !ok || c.Format != "dc+sd-jwt" && !strings.HasPrefix(sub, "did:jwk:") {
						t.Errorf("%s (%s): holder binding %v", id, c.Format, bound)
					}
				}
			}
		})
	}
}
