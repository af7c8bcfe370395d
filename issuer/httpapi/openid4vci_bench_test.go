package httpapi_test

import (
	"net/url"
	"testing"

	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/keys"
)

// BenchmarkOpenID4VCICredential compares, in one run and on one issuer, the OpenID4VCI
// credential endpoint (token, nonce and proof prepared outside the timer; timed: proof check,
// the store transaction taking the nonce, issuance, response) with POST /credentials/issue for
// the same SD-JWT VC bound to a holder key. Sequential HTTP over loopback.
func BenchmarkOpenID4VCICredential(b *testing.B) {
	s := newVCIServer(b)
	holder := newKey(b, keys.EdDSA)
	hjwk, _ := keys.PublicJWK(holder.Public, "")
	b.Run("vc-api", func(b *testing.B) {
		body := []byte(js(map[string]any{"type": "PersonIdentity", "credentialSubject": personSubject(),
			"options": map[string]any{"format": "dc+sd-jwt", "holderJwk": rawJSON(hjwk)}}))
		b.ReportAllocs()
		for b.Loop() {
			if st := s.do(b, "POST", "/credentials/issue", "application/json", s.APIKey, body, nil); st != 201 {
				b.Fatal(st)
			}
		}
	})
	b.Run("openid4vci", func(b *testing.B) {
		type prepared struct{ token, proof string }
		var ps []prepared
		prepare := func(n int) {
			ps = ps[:0]
			for range n {
				o := s.offer(b, []string{"dc+sd-jwt"}, 0)
				f := url.Values{"grant_type": {openid4vci.GrantPreAuthorized}, "pre-authorized_code": {s.preAuthCode(b, o)}}
				var tok oauthErr
				if st := s.do(b, "POST", openid4vci.PathToken, "application/x-www-form-urlencoded", "", []byte(f.Encode()), &tok); st != 200 {
					b.Fatal(st)
				}
				ps = append(ps, prepared{tok.AccessToken, proof(b, holder, nil, map[string]any{"aud": s.URL, "nonce": s.nonce(b)})})
			}
		}
		b.ReportAllocs()
		b.StopTimer()
		prepare(b.N)
		b.StartTimer()
		for i := 0; i < b.N; i++ {
			if st, res := s.credential(b, ps[i].token, "PersonIdentity_sd_jwt", ps[i].proof); st != 200 {
				b.Fatal(st, res)
			}
		}
	})
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }
