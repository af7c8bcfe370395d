package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

// BenchmarkOpenID4VPDirectPost compares, on one verifier in one run, verifying the same SD-JWT
// VC presentation (KB-JWT, two of three claims disclosed) posted by a wallet as an OpenID4VP
// direct_post response, and posted to /presentations/verify with a verifier challenge. Timed:
// the one HTTP request (in-process handler), its verification and its durable write (the
// transaction's answer, or the challenge's use). Not timed: creating the request or challenge
// and the wallet's presentation.
func BenchmarkOpenID4VPDirectPost(b *testing.B) {
	f := newVPFixture(b)
	keep := []string{"given_name", "resident"}
	sd := f.issuer.SDJWT(b, "HKResidentIdentity", map[string]any{"given_name": "Mei", "resident": true, "hkid": "A1"}, f.holder, nil)
	b.Run("openid4vp-direct_post", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			cr := f.create("direct_post", "redirect_uri")
			_, claims := f.requestObject(cr)
			vp := f.holder.Present(b, sd, keep, claims["nonce"].(string), cr.ClientID)
			form := url.Values{"vp_token": {`{"resident":["` + vp + `"]}`}, "state": {claims["state"].(string)}}
			b.StartTimer()
			if w := f.postResponse(claims["response_uri"].(string), form); w.Code != http.StatusOK {
				b.Fatalf("response: %d %s", w.Code, w.Body)
			}
		}
	})
	b.Run("presentations-verify", func(b *testing.B) {
		b.ReportAllocs()
		const aud = "https://verifier.example"
		for b.Loop() {
			b.StopTimer()
			w := f.do("POST", "/challenges", "application/json", "", `{}`)
			var ch struct {
				Challenge string `json:"challenge"`
			}
			_ = json.Unmarshal(w.Body.Bytes(), &ch)
			vp := f.holder.Present(b, sd, keep, ch.Challenge, aud)
			body, _ := json.Marshal(map[string]any{"verifiablePresentation": vp, "options": map[string]any{"challenge": ch.Challenge, "domain": aud}})
			b.StartTimer()
			if w := f.do("POST", "/presentations/verify", "application/json", "", string(body)); w.Code != http.StatusOK {
				b.Fatalf("verify: %d %s", w.Code, w.Body)
			}
		}
	})
}
