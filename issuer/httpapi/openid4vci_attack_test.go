package httpapi_test

import (
	"context"
	"encoding/json"
	"github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/pkg/did"
	"strings"
	"sync"
	"testing"

	"github.com/idport/idport/issuer/openid4vci"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

// TestOpenID4VCITxCodeBruteForce: wrong transaction codes sent at once, as a wallet guessing
// in parallel would, lock the pre-authorized code after MaxTxFailures of them; the right code
// afterwards gets no access token.
func TestOpenID4VCITxCodeBruteForce(t *testing.T) {
	s := newVCIServer(t)
	o := s.offer(t, nil, 4)
	code := s.preAuthCode(t, o)
	var wg sync.WaitGroup
	var mu sync.Mutex
	tokens := 0
	for i := range 20 {
		wg.Go(func() {
			guess := strings.Repeat(string(rune('0'+i%10)), 4)
			if guess == o.TxCode {
				return
			}
			if st, e := s.token(t, code, guess); st == 200 || e.AccessToken != "" {
				mu.Lock()
				tokens++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if tokens != 0 {
		t.Fatalf("%d wrong tx_codes got an access token", tokens)
	}
	st, e := s.token(t, code, o.TxCode)
	if st != 400 || e.Error != "invalid_grant" || !strings.Contains(e.Description, "locked") || e.AccessToken != "" {
		t.Fatalf("the right tx_code after %d wrong ones: %d %+v", openid4vci.MaxTxFailures, st, e)
	}
}

// TestOpenID4VCIConfigurationNotOffered: an access token for an offer of one configuration
// gets neither another format of the same type nor another type, and such a request spends
// nothing.
func TestOpenID4VCIConfigurationNotOffered(t *testing.T) {
	s := newVCIServer(t)
	holder := newKey(t, keys.EdDSA)
	o := s.offer(t, []string{"dc+sd-jwt"}, 0)
	st, tok := s.token(t, s.preAuthCode(t, o), "")
	if st != 200 {
		t.Fatalf("token: %d %+v", st, tok)
	}
	n := s.nonce(t)
	before := s.issuedCount(t)
	for _, conf := range []string{
		openid4vci.ConfigurationID("PersonIdentity", vc.FormatDI),
		openid4vci.ConfigurationID("BusinessRegistration", vc.FormatSDJWT),
		"personidentity_sd_jwt",
	} {
		st, res := s.credential(t, tok.AccessToken, conf, proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": n}))
		if st != 400 || res.Error != "unknown_credential_configuration" {
			t.Errorf("%s under a token for %v: %d %+v", conf, o.Configurations, st, res)
		}
	}
	if got := s.issuedCount(t); got != before {
		t.Fatalf("refused requests recorded %d credentials", got-before)
	}
	if st, res := s.credential(t, tok.AccessToken, o.Configurations[0], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": n})); st != 200 {
		t.Fatalf("the offered configuration with the same nonce: %d %+v", st, res)
	}
}

// TestOpenID4VCICredentialManagedByRotatedKey: a credential issued over OpenID4VCI belongs
// to the client of the API key that made the offer, like one issued over the VC-API: the
// key that made the offer changes its status, and so does the key rotated from it, even
// when the offer's key is itself a rotated one.
func TestOpenID4VCICredentialManagedByRotatedKey(t *testing.T) {
	s := newVCIServer(t)
	ctx := context.Background()
	holder := newKey(t, keys.EdDSA)
	conf := openid4vci.ConfigurationID("PersonIdentity", vc.FormatDI)
	issueOver := func(apiKey string) string {
		t.Helper()
		saved := s.APIKey
		s.APIKey = apiKey
		o := s.offer(t, []string{"ldp_vc"}, 0)
		s.APIKey = saved
		st, tok := s.token(t, s.preAuthCode(t, o), "")
		if st != 200 {
			t.Fatalf("token: %d %+v", st, tok)
		}
		st, res := s.credential(t, tok.AccessToken, conf, proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": s.nonce(t)}))
		if st != 200 || len(res.Credentials) != 1 {
			t.Fatalf("credential: %d %+v", st, res)
		}
		var doc struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(res.Credentials[0].Credential, &doc); err != nil || doc.ID == "" {
			t.Fatalf("credential id: %v %s", err, res.Credentials[0].Credential)
		}
		return doc.ID
	}
	revoke := func(apiKey, id string) int {
		t.Helper()
		var p struct {
			Code string `json:"code"`
		}
		st := s.do(t, "POST", "/credentials/status", "application/json", apiKey, []byte(js(map[string]any{"credentialId": id, "action": "suspend"})), &p)
		if st != 200 {
			t.Logf("suspend %s: %d %s", id, st, p.Code)
		}
		return st
	}
	is := s.svc.Issuer()
	first := s.APIKey
	byFirst := issueOver(first)
	second, _, err := is.RotateAPIKey(ctx, first[:13])
	if err != nil {
		t.Fatal(err)
	}
	bySecond := issueOver(second)
	if st := revoke(second, bySecond); st != 200 {
		t.Errorf("the rotated key suspends the credential its own offer issued: %d", st)
	}
	if st := revoke(second, byFirst); st != 200 {
		t.Errorf("the rotated key suspends what its predecessor's offer issued: %d", st)
	}
	third, _, err := is.RotateAPIKey(ctx, second[:13])
	if err != nil {
		t.Fatal(err)
	}
	if st := revoke(third, bySecond); st != 200 {
		t.Errorf("a key rotated twice suspends what the middle key's offer issued: %d", st)
	}
	other, err := is.CreateAPIKey(ctx, "other", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	if st := revoke(other, bySecond); st != 403 {
		t.Errorf("another client's key suspends the credential: %d", st)
	}
}

// TestOpenID4VCIOfferDecodedStrictly: the back end's offer request is decoded like every
// other idport request body, so that a misspelt member (a format restriction, a transaction
// code) is refused instead of silently offering more than asked.
func TestOpenID4VCIOfferDecodedStrictly(t *testing.T) {
	s := newVCIServer(t)
	for field, body := range map[string]map[string]any{
		"formts":  {"type": "PersonIdentity", "credentialSubject": personSubject(), "formts": []string{"dc+sd-jwt"}},
		"tx_code": {"type": "PersonIdentity", "credentialSubject": personSubject(), "tx_code": map[string]any{"length": 6}},
		"lenght":  {"type": "PersonIdentity", "credentialSubject": personSubject(), "txCode": map[string]any{"lenght": 6}},
	} {
		var p struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
		}
		st := s.do(t, "POST", openid4vci.PathOffers, "application/json", s.APIKey, []byte(js(body)), &p)
		if st != 400 || p.Code != "unknown_field" || !strings.Contains(p.Detail, field) {
			t.Errorf("%s: %d %+v", field, st, p)
		}
	}
}

// TestOpenID4VCIProofEdges: key proofs a malicious wallet might send, each refused without
// spending the token's configuration or the nonce: a batch beyond the issuer's limit, a
// private key in the header, a critical header extension the issuer does not understand, a
// did:web kid (the issuer fetches nothing for a proof), an expired proof.
func TestOpenID4VCIProofEdges(t *testing.T) {
	s := newVCIServer(t)
	holder := newKey(t, keys.EdDSA)
	pub, _ := keys.PublicJWK(holder.Public, "")
	var private map[string]any
	_ = json.Unmarshal(pub, &private)
	private["d"] = b64(strings.Repeat("k", 32)) // any private member
	for name, c := range map[string]struct {
		code   string
		proofs func(aud, n string) []string
	}{
		"batch beyond the limit": {"invalid_credential_request", func(aud, n string) []string {
			out := make([]string, openid4vci.DefaultBatchSize+1)
			for i := range out {
				out[i] = proof(t, holder, nil, map[string]any{"aud": aud, "nonce": n})
			}
			return out
		}},
		"private jwk": {"invalid_proof", func(aud, n string) []string {
			return []string{proof(t, holder, map[string]any{"jwk": private}, map[string]any{"aud": aud, "nonce": n})}
		}},
		"crit": {"invalid_proof", func(aud, n string) []string {
			return []string{proof(t, holder, map[string]any{"crit": []string{"x-bind"}, "x-bind": true}, map[string]any{"aud": aud, "nonce": n})}
		}},
		"did:web kid": {"invalid_proof", func(aud, n string) []string {
			return []string{proof(t, holder, map[string]any{"jwk": nil, "kid": "did:web:127.0.0.1%3A1#key-1"}, map[string]any{"aud": aud, "nonce": n})}
		}},
		"expired": {"invalid_proof", func(aud, n string) []string {
			return []string{proof(t, holder, nil, map[string]any{"aud": aud, "nonce": n, "exp": 1})}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			tok, conf, n := redeemed(t, s)
			before := s.issuedCount(t)
			var out credResp
			body := map[string]any{"credential_configuration_id": conf, "proofs": map[string]any{"jwt": c.proofs(s.URL, n)}}
			st := s.do(t, "POST", openid4vci.PathCredential, "application/json", tok.AccessToken, []byte(js(body)), &out)
			if st != 400 || out.Error != c.code {
				t.Fatalf("%d %+v", st, out.oauthErr)
			}
			if got := s.issuedCount(t); got != before {
				t.Fatalf("a refused request recorded %d credentials", got-before)
			}
			if st, res := s.credential(t, tok.AccessToken, conf, proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": n})); st != 200 {
				t.Fatalf("the token and nonce after the refusal: %d %+v", st, res)
			}
		})
	}
}

// TestHostileBodiesNeverFailTheServer: every POST route, given bodies that are too large, too
// deep, not JSON, not UTF-8, of the wrong shape or of the wrong content type, answers a client
// error, never a server error.
func TestHostileBodiesNeverFailTheServer(t *testing.T) {
	s := newVCIServer(t)
	deep := strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000)
	deepArr := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	bodies := map[string]struct{ ctype, body string }{
		"huge":          {"application/json", `{"type":"` + strings.Repeat("a", 2<<20) + `"}`},
		"deep object":   {"application/json", deep},
		"deep array":    {"application/json", deepArr},
		"deep member":   {"application/json", `{"credentialSubject":` + deep + `,"credential":` + deepArr + `}`},
		"not json":      {"application/json", `{"type":`},
		"not utf-8":     {"application/json", "{\"type\":\"\xff\xfe\"}"},
		"null":          {"application/json", `null`},
		"array":         {"application/json", `[1,2,3]`},
		"wrong types":   {"application/json", `{"type":1,"credentialSubject":[],"credential":7,"proofs":{"jwt":[1]},"txCode":{"length":"six"},"credential_configuration_id":{}}`},
		"form":          {"application/x-www-form-urlencoded", "grant_type=" + strings.Repeat("%", 1000)},
		"huge form":     {"application/x-www-form-urlencoded", "pre-authorized_code=" + strings.Repeat("a", 2<<20)},
		"text":          {"text/plain", `{"type":"BusinessRegistration"}`},
		"empty":         {"application/json", ``},
		"proof garbage": {"application/json", `{"credential_configuration_id":"PersonIdentity_sd_jwt","proofs":{"jwt":["` + b64(deep) + "." + b64(deepArr) + `.AA"]}}`},
	}
	routes := []string{"/credentials/issue", "/credentials/status", "/onboarding", "/onboarding/challenges",
		openid4vci.PathOffers, openid4vci.PathToken, openid4vci.PathNonce, openid4vci.PathCredential, openid4vci.PathNotification}
	access, _, _ := redeemed(t, s)
	for _, route := range routes {
		for name, b := range bodies {
			for _, auth := range []string{s.APIKey, access.AccessToken} {
				if st := s.do(t, "POST", route, b.ctype, auth, []byte(b.body), nil); st >= 500 {
					t.Errorf("%s, %s: %d", route, name, st)
				}
			}
		}
	}
}

// TestOpenID4VCIRevokedKeyOffers: an offer lives no longer than the API key that made it: once
// the key is revoked (leaked, say), its offers yield neither an access token nor, for a code
// redeemed before, a credential.
func TestOpenID4VCIRevokedKeyOffers(t *testing.T) {
	s := newVCIServer(t)
	ctx := context.Background()
	is := s.svc.Issuer()
	holder := newKey(t, keys.EdDSA)
	leaked, err := is.CreateAPIKey(ctx, "leaked", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	s.APIKey = leaked
	unredeemed := s.offer(t, nil, 0)
	redeemedOffer := s.offer(t, nil, 0)
	st, tok := s.token(t, s.preAuthCode(t, redeemedOffer), "")
	if st != 200 {
		t.Fatalf("token: %d %+v", st, tok)
	}
	code := s.preAuthCode(t, unredeemed)
	if err := is.RevokeAPIKey(ctx, leaked[:13]); err != nil {
		t.Fatal(err)
	}
	before := s.issuedCount(t)
	if st, e := s.token(t, code, ""); st != 400 || e.Error != "invalid_grant" || e.AccessToken != "" {
		t.Errorf("token for an offer of a revoked key: %d %+v", st, e)
	}
	n := s.nonce(t)
	if st, res := s.credential(t, tok.AccessToken, redeemedOffer.Configurations[0], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": n})); st != 400 || res.Error != "credential_request_denied" {
		t.Errorf("credential for an offer of a revoked key: %d %+v", st, res.oauthErr)
	}
	if got := s.issuedCount(t); got != before {
		t.Fatalf("%d credentials issued for offers of a revoked key", got-before)
	}
}

// TestOpenID4VCIHolderIsTheProvenKey: a W3C credential issued over OpenID4VCI names as its
// subject the key the wallet proved (its did:jwk, or the DID of its kid), whatever subject id
// the offer carried: a credential is never bound to an identifier its holder did not prove.
func TestOpenID4VCIHolderIsTheProvenKey(t *testing.T) {
	s := newVCIServer(t)
	holder := newKey(t, keys.EdDSA)
	sub := personSubject()
	sub["id"] = "did:example:someone-else"
	var o httpapi.OfferResponse
	if st := s.do(t, "POST", openid4vci.PathOffers, "application/json", s.APIKey,
		[]byte(js(map[string]any{"type": "PersonIdentity", "credentialSubject": sub, "formats": []string{"ldp_vc"}})), &o); st != 201 {
		t.Fatalf("offer: %d", st)
	}
	st, tok := s.token(t, s.preAuthCode(t, o), "")
	if st != 200 {
		t.Fatalf("token: %d", st)
	}
	st, res := s.credential(t, tok.AccessToken, o.Configurations[0], proof(t, holder, nil, map[string]any{"aud": s.URL, "nonce": s.nonce(t)}))
	if st != 200 {
		t.Fatalf("credential: %d %+v", st, res.oauthErr)
	}
	var doc struct {
		Subject map[string]any `json:"credentialSubject"`
	}
	_ = json.Unmarshal(res.Credentials[0].Credential, &doc)
	want, _, err := did.JWKDID(holder.Public)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Subject["id"] != want {
		t.Fatalf("subject id %v, want the proven key's %s", doc.Subject["id"], want)
	}
}
