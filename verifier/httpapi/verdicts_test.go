package httpapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestJSONStringIsOnlyACompactCredential: a Data Integrity credential sent
// as a JSON string (a string holding an object) is malformed, never
// verified as the object it contains.
func TestJSONStringIsOnlyACompactCredential(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	srv := newFixture(t, verifier.NewStaticTrust(4, is.Authority()), t.TempDir())
	di, err := vcld.SignCredential(ctx, testutil.Cred{Issuer: is.DID, From: testutil.Now.Add(-time.Hour), LD: true}.JSON(),
		vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: testutil.Now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	status, m := post(t, srv.URL+"/credentials/verify", "application/json", jsonBody(map[string]any{"verifiableCredential": string(di)}))
	if status != 400 || firstCode(m) != "malformed" {
		t.Fatalf("credential as a string holding an object: %d %v", status, m)
	}
	status, m = post(t, srv.URL+"/presentations/verify", "application/json", jsonBody(map[string]any{"verifiablePresentation": `{"type":["VerifiablePresentation"]}`}))
	if status != 400 || firstCode(m) != "malformed" {
		t.Fatalf("presentation as a string holding an object: %d %v", status, m)
	}
	// The object itself still verifies.
	status, m = post(t, srv.URL+"/credentials/verify", "application/json", []byte(`{"verifiableCredential":`+string(di)+`}`))
	if status != 200 {
		t.Fatalf("object: %d %v", status, m)
	}
}

// TestCredentialsVerifyRefusesWhatPresentationsRefuse: an SD-JWT VC sent
// with an unsigned (alg none) key binding JWT, enveloped credentials whose
// data: URL media type does not match the content or whose charset is not
// UTF-8 are refused; every credentialStatus entry is reported.
func TestCredentialsVerifyRefusesWhatPresentationsRefuse(t *testing.T) {
	is := testutil.NewParty(t, keys.EdDSA)
	holder := testutil.NewParty(t, keys.EdDSA)
	srv := newFixture(t, verifier.NewStaticTrust(4, is.Authority()), t.TempDir())
	b64 := base64.RawURLEncoding.EncodeToString
	sd := is.SDJWT(t, "HKResidentIdentity", map[string]any{"given_name": "Mei"}, holder, nil)
	noneKB := b64([]byte(`{"alg":"none","typ":"kb+jwt"}`)) + "." +
		b64([]byte(fmt.Sprintf(`{"nonce":"n","aud":"https://verifier.example","iat":%d,"sd_hash":"x"}`, testutil.Now.Unix()))) + "."
	jose := is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testutil.Now.Add(-time.Hour)}.JSON())
	twoStatus := is.JOSE(t, []byte(strings.Replace(string(testutil.Cred{Issuer: is.DID, From: testutil.Now.Add(-time.Hour)}.JSON()),
		`"credentialSubject"`, `"credentialStatus":[`+statusJSON("revocation", "1", "1")+`,`+statusJSON("suspension", "2", "4")+`],"credentialSubject"`, 1)))
	envelope := func(mt, tok string) []byte {
		return []byte(`{"verifiableCredential":{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"data:` + mt + `,` + tok + `","type":"EnvelopedVerifiableCredential"}}`)
	}
	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"kb-jwt alg none", jsonBody(map[string]any{"verifiableCredential": sd + noneKB}), 400, "alg_not_allowed"},
		{"sd-jwt media type, vc+jwt content", envelope("application/dc+sd-jwt", jose), 400, "malformed"},
		{"vc+jwt media type, sd-jwt content", envelope("application/vc+jwt", sd), 400, "malformed"},
		{"charset utf-16", envelope("application/vc+jwt;charset=utf-16", jose), 400, "malformed"},
		{"charset utf-8", envelope("application/vc+jwt;charset=utf-8", jose), 200, ""},
		{"sd-jwt without kb", jsonBody(map[string]any{"verifiableCredential": sd}), 200, ""},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			status, m := post(t, srv.URL+"/credentials/verify", "application/json", tt.body)
			if status != tt.status || firstCode(m) != tt.code {
				t.Fatalf("%d %q, want %d %q: %v", status, firstCode(m), tt.status, tt.code, m)
			}
		})
	}
	status, m := post(t, srv.URL+"/credentials/verify", "application/json", jsonBody(map[string]any{"verifiableCredential": twoStatus}))
	statuses, _ := m["results"].(map[string]any)["statuses"].([]any)
	if status != 200 || len(statuses) != 2 {
		t.Fatalf("two status entries: %d %v", status, m)
	}
	for i, purpose := range []string{"revocation", "suspension"} {
		if s := statuses[i].(map[string]any); s["purpose"] != purpose || s["checked"] != true {
			t.Fatalf("status entry %d: %v", i, s)
		}
	}
}

func statusJSON(purpose, list, idx string) string {
	return `{"type":"BitstringStatusListEntry","statusPurpose":"` + purpose + `","statusListIndex":"` + idx +
		`","statusListCredential":"https://status.example/list/` + list + `"}`
}

// TestHolderBindingOverHTTP: the service's holder binding (subject by
// default) refuses a director presenting the company's credential; a
// request asking for holder-signed gets 400 holder_binding_not_allowed
// unless the service allows weakening, and then 200.
func TestHolderBindingOverHTTP(t *testing.T) {
	is := testutil.NewParty(t, keys.EdDSA)
	director := testutil.NewParty(t, keys.EdDSA)
	cred := is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testutil.Now.Add(-time.Hour)}.JSON())
	serve := func(allow bool) string {
		svc, err := httpapi.NewService(httpapi.ServiceConfig{
			DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler),
			Verifier: verifier.Config{TrustSource: verifier.NewStaticTrust(1, is.Authority()), Clock: testutil.Clock,
				Policy: verifier.Policy{AllowCallerChallenge: true, AllowWeakerHolderBinding: allow}},
		})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(svc.Handler())
		t.Cleanup(func() { srv.Close(); _ = svc.Close() })
		return srv.URL
	}
	body := func(nonce, mode string) []byte {
		return jsonBody(map[string]any{"verifiablePresentation": director.JWTVP(t, nonce, "verifier.example", cred),
			"options": map[string]any{"challenge": nonce, "domain": "verifier.example", "holderBinding": mode}})
	}
	strict, lax := serve(false), serve(true)
	for _, tt := range []struct {
		url, nonce, mode string
		status           int
		code             string
	}{
		{strict, "n1", "", 400, "holder_binding_failed"},
		{strict, "n2", "holder-signed", 400, "holder_binding_not_allowed"},
		{strict, "n3", "sideways", 400, "holder_binding_unknown"},
		{lax, "n4", "holder-signed", 200, ""},
		{lax, "n5", "", 400, "holder_binding_failed"},
	} {
		status, m := post(t, tt.url+"/presentations/verify", "application/json", body(tt.nonce, tt.mode))
		if status != tt.status || firstCode(m) != tt.code {
			t.Fatalf("%s mode %q: %d %q, want %d %q: %v", tt.nonce, tt.mode, status, firstCode(m), tt.status, tt.code, m)
		}
	}
}
