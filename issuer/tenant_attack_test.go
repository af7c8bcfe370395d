package issuer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/idport/idport/pkg/keys"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	"github.com/idport/idport/pkg/vc"
)

// TestTenantTypesHoldForClientCredentials: a tenant created for some credential types issues
// no other type, whether the client names a type or sends a complete credential, even with
// a key of every scope.
func TestTenantTypesHoldForClientCredentials(t *testing.T) {
	e := start(t, func(c *config) {
		st, err := boltstore.Open(filepath.Join(c.DataDir, boltstore.DBFile), boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := issuer.CreateTenant(context.Background(), st, issuer.TenantRecord{Name: "narrow", Types: []string{"BusinessRegistration"}}, time.Now()); err != nil {
			t.Fatal(err)
		}
	})
	narrow := e.svc.Tenants()[0]
	tok, err := narrow.CreateAPIKey(context.Background(), "all", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	credential := func(types ...string) map[string]any {
		return map[string]any{"credential": map[string]any{
			"@context":          []any{vc.ContextV2, issuer.ContextUndefinedTermsV2},
			"type":              append([]string{"VerifiableCredential"}, types...),
			"issuer":            narrow.DID(),
			"credentialSubject": map[string]any{"id": "did:example:123", "givenName": "Mei"},
		}}
	}
	for name, body := range map[string]map[string]any{
		"template":                 {"type": "PersonIdentity", "credentialSubject": map[string]any{"givenName": "Mei"}},
		"credential":               credential("PersonIdentity"),
		"credential, allowed too":  credential("BusinessRegistration", "PersonIdentity"),
		"credential, another case": credential("businessregistration"),
	} {
		code, out, _ := e.post(t, "/tenants/narrow/credentials/issue", tok, body)
		if code != http.StatusBadRequest || problemCode(t, out) != string(issuer.CodeUnknownType) {
			t.Errorf("%s: %d %s", name, code, problemCode(t, out))
		}
	}
	if code, out, _ := e.post(t, "/tenants/narrow/credentials/issue", tok, credential("BusinessRegistration")); code != http.StatusCreated {
		t.Fatalf("a credential of the tenant's type: %d %s", code, out)
	}
}

// TestClientStatusNeverPointsIntoTheDeployment: a client-supplied credentialStatus may name
// a status list elsewhere, never one of this deployment's (the default issuer's or any
// tenant's), however the URL is spelt.
func TestClientStatusNeverPointsIntoTheDeployment(t *testing.T) {
	te := startTenants(t)
	u, _ := url.Parse(te.srv.URL)
	host, port := u.Hostname(), u.Port()
	entry := func(list string) map[string]any {
		return map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
			"statusListIndex": "7", "statusListCredential": list, "id": list + "#7"}
	}
	lists := []string{
		te.srv.URL + "/status/bitstring/revocation-1",
		te.srv.URL + "/tenants/alpha/status/bitstring/revocation-1",
		te.srv.URL + "/tenants/beta/status/bitstring/revocation-1",
		"HTTP://" + strings.ToUpper(host) + ":" + port + "/status/bitstring/revocation-1",
		"http://" + host + ":" + port + "/x/../status/bitstring/revocation-1",
		"http://" + host + ":" + port + "//status/bitstring/revocation-1",
		"http://" + host + ":" + port + "/%73tatus/bitstring/revocation-1",
		"https://" + host + ":" + port + "/tenants/alpha/status/bitstring/revocation-1",
		"http://user@" + host + ":" + port + "/tenants/alpha/status/bitstring/revocation-1",
		"http://" + host + ".:" + port + "/status/bitstring/revocation-1",
	}
	for _, tenant := range []string{"", "alpha"} {
		issuerDID := te.eng[tenant].DID()
		// Each list as the entry's statusListCredential, and as its id alone (the list it
		// names being elsewhere).
		var entries []map[string]any
		for _, list := range lists {
			e := entry("https://status.example/lists/1")
			e["id"] = list + "#7"
			entries = append(entries, entry(list), e)
		}
		for _, e := range entries {
			body := map[string]any{"credential": map[string]any{
				"@context":          []any{vc.ContextV2},
				"type":              []string{"VerifiableCredential"},
				"issuer":            issuerDID,
				"credentialSubject": map[string]any{"id": "did:example:123"},
				"credentialStatus":  []any{e},
			}}
			code, out, _ := te.post(t, prefix(tenant)+"/credentials/issue", te.keys[tenant], body)
			if code != http.StatusBadRequest || problemCode(t, out) != string(issuer.CodeInvalidStatus) {
				t.Errorf("%q with a status entry %v: %d %s", tenant, e, code, problemCode(t, out))
			}
		}
		body := map[string]any{"credential": map[string]any{
			"@context":          []any{vc.ContextV2},
			"type":              []string{"VerifiableCredential"},
			"issuer":            issuerDID,
			"credentialSubject": map[string]any{"id": "did:example:123"},
			"credentialStatus":  []any{entry("https://status.example/lists/1")},
		}}
		if code, out, _ := te.post(t, prefix(tenant)+"/credentials/issue", te.keys[tenant], body); code != http.StatusCreated {
			t.Errorf("%q with a status entry elsewhere: %d %s", tenant, code, out)
		}
	}
}

// TestPublishedDocumentsHoldNoPrivateKey: every document the deployment publishes about its
// keys (DID documents, JWKS, SD-JWT VC issuer metadata, OpenID4VCI metadata), of the default
// issuer and of a tenant, with Ed25519 and P-256 keys and a retired key still published after
// a rotation, holds no private JWK member anywhere.
func TestPublishedDocumentsHoldNoPrivateKey(t *testing.T) {
	te := startTenants(t)
	ctx := context.Background()
	for _, name := range []string{"", "alpha"} {
		if code, pc, _, _ := te.issueAs(t, name, te.keys[name]); code != http.StatusCreated { // keeps the key published
			t.Fatalf("%q issues: %d %s", name, code, pc)
		}
		if _, err := te.eng[name].Rotate(ctx, keys.ES256); err != nil {
			t.Fatal(err)
		}
	}
	private := map[string]bool{"d": true, "p": true, "q": true, "dp": true, "dq": true, "qi": true, "oth": true, "k": true}
	var walk func(path string, v any) string
	walk = func(path string, v any) string {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if private[k] {
					return path + "." + k
				}
				if p := walk(path+"."+k, e); p != "" {
					return p
				}
			}
		case []any:
			for i, e := range x {
				if p := walk(fmt.Sprintf("%s[%d]", path, i), e); p != "" {
					return p
				}
			}
		}
		return ""
	}
	for _, path := range []string{
		"/.well-known/did.json", "/did.json", "/.well-known/jwks.json", "/.well-known/jwt-vc-issuer",
		"/.well-known/openid-credential-issuer",
		"/tenants/alpha/did.json", "/tenants/alpha/.well-known/did.json", "/tenants/alpha/.well-known/jwks.json",
		"/.well-known/jwt-vc-issuer/tenants/alpha",
	} {
		code, body, _ := te.get(t, path)
		if code != http.StatusOK {
			t.Errorf("%s: %d", path, code)
			continue
		}
		var doc any
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		keysSeen := strings.Count(string(body), `"kty"`)
		if keysSeen < 2 && path != "/.well-known/openid-credential-issuer" {
			t.Errorf("%s publishes %d keys, want the retired and the current one", path, keysSeen)
		}
		if p := walk("$", doc); p != "" {
			t.Errorf("%s holds a private key member at %s", path, p)
		}
	}
}

// TestTypeVariantsNeitherScopedNorRecognised: a credential type spelt like a recognised one
// (case, invisible or confusable characters, spaces, the full vocabulary IRI) is neither
// covered by a key scoped to the recognised type nor authorised by the registry check, which
// both compare names exactly; nothing is stored for it.
func TestTypeVariantsNeitherScopedNorRecognised(t *testing.T) {
	ctx := context.Background()
	is, st := newAuthorisedIssuerStore(t, issuer.CheckEnforce, activeRegistry(t))
	scoped, err := is.CreateAPIKey(ctx, "br", []string{"BusinessRegistration"})
	if err != nil {
		t.Fatal(err)
	}
	scopedClient, err := is.Authenticate(scoped)
	if err != nil {
		t.Fatal(err)
	}
	all, err := is.CreateAPIKey(ctx, "all", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	allClient, err := is.Authenticate(all)
	if err != nil {
		t.Fatal(err)
	}
	for _, variant := range []string{
		"businessregistration", "BUSINESSREGISTRATION", "BusinessRegistration\u200b", "\u0412usinessRegistration",
		"BusinessRegistration ", "Business\u00adRegistration", "BusinessRegistrat\u0131on", issuer.Vocab + "BusinessRegistration",
	} {
		cred, _ := json.Marshal(map[string]any{"@context": []string{vc.ContextV2, issuer.ContextUndefinedTermsV2},
			"type": []string{"VerifiableCredential", variant}, "issuer": is.DID(),
			"credentialSubject": map[string]any{"id": "did:example:123", "uen": "1"}})
		if _, err := is.Issue(ctx, issuer.Request{Credential: cred, Client: scopedClient}); !errors.Is(err, issuer.ErrScope) {
			t.Errorf("%q with a key scoped to BusinessRegistration: %v", variant, err)
		}
		if _, err := is.Issue(ctx, issuer.Request{Credential: cred, Client: allClient}); !errors.Is(err, issuer.ErrIssuerNotAuthorised) && !errors.Is(err, issuer.ErrInvalidCredential) {
			t.Errorf("%q with a key of every scope: %v", variant, err)
		}
		if _, err := is.Issue(ctx, issuer.Request{Type: variant, Subject: benchSubject, Client: allClient}); !errors.Is(err, issuer.ErrUnknownType) {
			t.Errorf("template of %q: %v", variant, err)
		}
	}
	if n := st.n.Load(); n != 0 {
		t.Fatalf("%d credentials recorded for type variants", n)
	}
}

// fakeForeign verifies every foreign credential, naming a fixed subject.
type fakeForeign struct{}

func (fakeForeign) VerifyForeign(context.Context, json.RawMessage) (issuer.ForeignResult, error) {
	return issuer.ForeignResult{Verified: true, Issuer: "did:example:foreign", Types: []string{"ForeignRegistration"},
		Claims: business, Grounds: issuer.RecognitionGrounds{Authority: "foreign-registrar", RegistryVersion: 3}}, nil
}

func (fakeForeign) RecognitionNow(context.Context, string, []string) (issuer.RecognitionState, error) {
	return issuer.RecognitionState{Recognised: true, Code: "recognised", RegistryVersion: 3}, nil
}

// TestOnboardingRecordOnlyForItsClient: an onboarding record carries the local credential
// issued for it; like a status change, it is read only by the client that onboarded (its key
// or one rotated from it) or by an admin key. To any other key of the issuer it does not exist.
func TestOnboardingRecordOnlyForItsClient(t *testing.T) {
	e := start(t, func(c *config) {
		c.Onboarding = &issuer.OnboardingConfig{Verifier: fakeForeign{}, Type: "BusinessRegistration"}
	})
	ctx := context.Background()
	is := e.svc.Issuer()
	mk := func(scopes ...string) string {
		tok, err := is.CreateAPIKey(ctx, "k", scopes)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	owner, other, narrow, admin := mk("BusinessRegistration"), mk("*"), mk("PersonIdentity"), mk(issuer.ScopeAdmin)
	code, out, _ := e.post(t, "/onboarding", owner, map[string]any{"credential": "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"})
	if code != http.StatusCreated {
		t.Fatalf("onboard: %d %s", code, out)
	}
	var rec struct {
		ID         string          `json:"id"`
		Credential json.RawMessage `json:"credential"`
	}
	if err := json.Unmarshal(out, &rec); err != nil || rec.ID == "" || len(rec.Credential) == 0 {
		t.Fatalf("onboarding record %s: %v", out, err)
	}
	read := func(tok string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/onboarding/"+rec.ID, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for name, tok := range map[string]string{"another client": other, "a key for another type": narrow} {
		if code, b := read(tok); code != http.StatusNotFound || problemCode(t, b) != string(issuer.CodeOnboardingNotFound) || strings.Contains(string(b), "credential\"") {
			t.Errorf("%s reads the record: %d %.80s", name, code, b)
		}
	}
	rotated, _, err := is.RotateAPIKey(ctx, owner[:13])
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"the rotated key": rotated, "an admin key": admin} {
		if code, b := read(tok); code != http.StatusOK {
			t.Errorf("%s reads the record: %d %s", name, code, b)
		}
	}
}

// TestTenantKeyMakesNoOffer: OpenID4VCI is the default issuer's; a tenant's key, whatever its
// scopes, is unknown to its offer API, so no wallet receives a credential under the default
// issuer's name on a tenant's say.
func TestTenantKeyMakesNoOffer(t *testing.T) {
	te := startTenants(t)
	body := map[string]any{"type": "BusinessRegistration", "credentialSubject": business}
	if code, out, _ := te.post(t, "/oid4vci/offers", te.keys["alpha"], body); code != http.StatusUnauthorized {
		t.Fatalf("a tenant's key makes an offer: %d %s", code, out)
	}
	if code, out, _ := te.post(t, "/tenants/alpha/oid4vci/offers", te.keys["alpha"], body); code != http.StatusNotFound {
		t.Fatalf("a tenant's offer route: %d %s", code, out)
	}
	if code, out, _ := te.post(t, "/oid4vci/offers", te.keys[""], body); code != http.StatusCreated {
		t.Fatalf("the default issuer's key: %d %s", code, out)
	}
}
