package openid4vp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwe"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/dcql"
	"github.com/idport/idport/verifier/internal/testutil"
	"github.com/idport/idport/verifier/openid4vp"
)

const vct = "HKResidentIdentity"

func claims() map[string]any {
	return map[string]any{"given_name": "Mei", "family_name": "Chan", "resident": true, "hkid": "A123456(7)"}
}

func query(t testing.TB) *dcql.Query {
	t.Helper()
	q, err := dcql.Parse([]byte(`{"credentials":[{"id":"resident","format":"dc+sd-jwt","meta":{"vct_values":["` + vct + `"]},
		"claims":[{"path":["given_name"]},{"path":["resident"],"values":[true]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return q
}

type fixture struct {
	v      *verifier.Verifier
	issuer *testutil.Party
	holder *testutil.Party
	signer *openid4vp.Signer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	is, holder := testutil.NewParty(t, keys.EdDSA), testutil.NewParty(t, keys.EdDSA)
	auth := is.Authority()
	auth.AllowedClaims = append(auth.AllowedClaims, "given_name", "family_name", "resident", "hkid")
	v, err := verifier.New(verifier.Config{TrustSource: verifier.NewStaticTrust(3, auth), Clock: testutil.Clock,
		StatusFetcher: &testutil.Status{Values: map[string]uint8{}}})
	if err != nil {
		t.Fatal(err)
	}
	rp := testutil.NewParty(t, keys.ES256)
	return &fixture{v: v, issuer: is, holder: holder, signer: &openid4vp.Signer{DID: rp.DID, KeyID: rp.Kid, Key: rp.Key}}
}

func (f *fixture) request(t testing.TB, mode string, signed bool) *openid4vp.Request {
	t.Helper()
	p := openid4vp.Params{Query: query(t), ResponseURI: "https://verifier.example/openid4vp/response/tx1", ResponseMode: mode}
	if signed {
		p.Signer = f.signer
	}
	r, err := openid4vp.NewRequest(p, testutil.Now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// present is the wallet: an SD-JWT+KB disclosing keep, for nonce and aud.
func (f *fixture) present(t testing.TB, keep []string, nonce, aud string) string {
	return f.holder.Present(t, f.issuer.SDJWT(t, vct, claims(), f.holder, nil), keep, nonce, aud)
}

func vpToken(id string, ps ...string) string {
	b, _ := json.Marshal(map[string][]string{id: ps})
	return string(b)
}

// encrypt is the wallet side of direct_post.jwt.
func encrypt(t testing.TB, req *openid4vp.Request, payload any) string {
	t.Helper()
	pl, err := req.Payload()
	if err != nil {
		t.Fatal(err)
	}
	md := pl["client_metadata"].(map[string]any)
	kb, _ := json.Marshal(md["jwks"].(map[string]any)["keys"].([]any)[0])
	key, err := jwk.ParseKey(kb)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(payload)
	h := jwe.NewHeaders()
	_ = h.Set(jwe.KeyIDKey, req.EncryptionKID)
	out, err := jwe.Encrypt(body, jwe.WithKey(jwa.ECDH_ES, key, jwe.WithPerRecipientHeaders(h)), jwe.WithContentEncryption(jwa.A128GCM))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestDirectPost(t *testing.T) {
	f := newFixture(t)
	req := f.request(t, openid4vp.DirectPost, false)
	if !strings.HasPrefix(req.ClientID, openid4vp.PrefixRedirectURI) {
		t.Fatalf("client id %q", req.ClientID)
	}
	p := f.present(t, []string{"given_name", "resident"}, req.Nonce, req.ClientID)
	resp, err := openid4vp.ParseResponse(url.Values{"vp_token": {vpToken("resident", p)}, "state": {req.State}}, req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := openid4vp.VerifyResponse(context.Background(), f.v, req, resp, openid4vp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || res.Claims["given_name"] != "Mei" || res.Recognition == nil {
		t.Fatalf("result %+v", res)
	}
}

func TestDirectPostJWTSigned(t *testing.T) {
	f := newFixture(t)
	req := f.request(t, openid4vp.DirectPostJWT, true)
	obj, err := req.Object(f.signer, testutil.Now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(req.ClientID, openid4vp.PrefixDID+"did:") || strings.Count(obj, ".") != 2 || strings.HasSuffix(obj, ".") {
		t.Fatalf("client id %q object %q", req.ClientID, obj)
	}
	p := f.present(t, []string{"given_name", "resident"}, req.Nonce, req.ClientID)
	form := url.Values{"response": {encrypt(t, req, map[string]any{"vp_token": map[string][]string{"resident": {p}}, "state": req.State})}}
	resp, err := openid4vp.ParseResponse(form, req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := openid4vp.VerifyResponse(context.Background(), f.v, req, resp, openid4vp.Options{})
	if err != nil || !res.Verified {
		t.Fatalf("%v %+v", err, res)
	}
	// A response encrypted for another request does not decrypt.
	other := f.request(t, openid4vp.DirectPostJWT, true)
	other.State = req.State
	if _, err := openid4vp.ParseResponse(form, other); !errors.Is(err, openid4vp.ErrInvalidResponse) {
		t.Fatalf("foreign key: %v", err)
	}
	// A plain vp_token where an encrypted response was asked for.
	if _, err := openid4vp.ParseResponse(url.Values{"vp_token": {vpToken("resident", p)}, "state": {req.State}}, req); !errors.Is(err, openid4vp.ErrInvalidResponse) {
		t.Fatalf("unencrypted: %v", err)
	}
}

func TestResponseRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req := f.request(t, openid4vp.DirectPost, false)
	verify := func(p string) error {
		resp, err := openid4vp.ParseResponse(url.Values{"vp_token": {vpToken("resident", p)}, "state": {req.State}}, req)
		if err != nil {
			return err
		}
		_, err = openid4vp.VerifyResponse(ctx, f.v, req, resp, openid4vp.Options{})
		return err
	}
	other := f.request(t, openid4vp.DirectPost, false)
	for name, tc := range map[string]struct {
		p    string
		want error
	}{
		"another request's nonce": {f.present(t, []string{"given_name", "resident"}, other.Nonce, req.ClientID), openid4vp.ErrResponseNotBound},
		"wrong aud":               {f.present(t, []string{"given_name", "resident"}, req.Nonce, "redirect_uri:https://evil.example/cb"), openid4vp.ErrResponseNotBound},
		"wrong client id prefix":  {f.present(t, []string{"given_name", "resident"}, req.Nonce, openid4vp.PrefixDID+f.signer.DID), openid4vp.ErrResponseNotBound},
		"query not satisfied":     {f.present(t, []string{"given_name"}, req.Nonce, req.ClientID), dcql.ErrNotSatisfied},
		"over-disclosure":         {f.present(t, []string{"given_name", "resident", "hkid"}, req.Nonce, req.ClientID), openid4vp.ErrOverDisclosure},
	} {
		if err := verify(tc.p); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
	// Wrong state.
	p := f.present(t, []string{"given_name", "resident"}, req.Nonce, req.ClientID)
	if _, err := openid4vp.ParseResponse(url.Values{"vp_token": {vpToken("resident", p)}, "state": {"x"}}, req); !errors.Is(err, openid4vp.ErrInvalidResponse) {
		t.Errorf("wrong state: %v", err)
	}
	// Withhold instead of refuse.
	over := f.present(t, []string{"given_name", "resident", "hkid"}, req.Nonce, req.ClientID)
	resp, err := openid4vp.ParseResponse(url.Values{"vp_token": {vpToken("resident", over)}, "state": {req.State}}, req)
	if err != nil {
		t.Fatal(err)
	}
	res, err := openid4vp.VerifyResponse(ctx, f.v, req, resp, openid4vp.Options{OverDisclosure: openid4vp.WithholdOverDisclosure})
	if err != nil || !res.Verified || res.Claims["hkid"] != nil || !res.HasWarning(verifier.CodeClaimStripped) {
		t.Fatalf("withhold: %v %+v", err, res)
	}
}

func TestRequestObjectUnsigned(t *testing.T) {
	f := newFixture(t)
	req := f.request(t, openid4vp.DirectPost, false)
	obj, err := req.Object(nil, testutil.Now)
	if err != nil || !strings.HasSuffix(obj, ".") {
		t.Fatalf("%v %q", err, obj)
	}
	link := req.DeepLink("https://verifier.example/openid4vp/request/tx1")
	if !strings.HasPrefix(link, "openid4vp://?") || !strings.Contains(link, "request_uri=") {
		t.Fatal(link)
	}
	if _, err := req.Object(f.signer, testutil.Now); err != nil {
		t.Fatal(err) // unsigned request ignores the signer
	}
	signed := f.request(t, openid4vp.DirectPost, true)
	if _, err := signed.Object(nil, testutil.Now); !errors.Is(err, openid4vp.ErrInvalidRequest) {
		t.Fatalf("signed without key: %v", err)
	}
}

// TestRequestObjectTampered: the signed request object verifies with the
// verifier's DID key, and a copy changed in transit does not.
func TestRequestObjectTampered(t *testing.T) {
	f := newFixture(t)
	req := f.request(t, openid4vp.DirectPost, true)
	obj, err := req.Object(f.signer, testutil.Now)
	if err != nil {
		t.Fatal(err)
	}
	check := func(s string) error {
		i := strings.LastIndexByte(s, '.')
		sig, err := base64.RawURLEncoding.DecodeString(s[i+1:])
		if err != nil {
			return err
		}
		return keys.Verify(f.signer.Key.Alg, f.signer.Key.Public, []byte(s[:i]), sig)
	}
	if err := check(obj); err != nil {
		t.Fatalf("untouched request object: %v", err)
	}
	parts := strings.Split(obj, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	evil := strings.Replace(string(payload), "https://verifier.example/openid4vp/response/tx1", "https://evil.example/collect/tx1", 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(evil)) + "." + parts[2]
	if evil == string(payload) || check(tampered) == nil {
		t.Fatal("a tampered request object still verifies")
	}
}
