package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/fedexport"
	"github.com/idport/idport/trustregistry/oidfed"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// pinnedRegistryKey is the registry key a federation consumer pins, as a JWK set.
func pinnedRegistryKey(t *testing.T, svc *trustregistry.Service) jwk.Set {
	t.Helper()
	pub, err := svc.PublicKeyJWK()
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.ParseKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	set := jwk.NewSet()
	set.AddKey(k)
	return set
}

func TestFederationExportVerifiesWithThePinnedRegistryKey(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, f.admin("alice"), f.admin("bob"), demoDID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A Lingang authority with one key the registry holds as a JWK and one pinned by thumbprint.
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	jwkBytes, _ := keys.PublicJWK(pub, "")
	tp, _ := keys.Thumbprint(pub)
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	otherTP, _ := keys.Thumbprint(other)
	prov := trustregistry.Provenance{Method: "in-person", CheckedAt: time.Now().UTC().Truncate(time.Second), CheckedBy: "alice"}
	eff := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	cs := trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpUpsertAuthority, EffectiveAt: &eff, Authority: &trustregistry.Authority{
		ID: "lg-registrar", Scheme: demoseed.LocalScheme, LegalName: "Lingang Registrar", CredentialTypes: []string{"EnterpriseLicence"}, Assurance: "L3",
		Keys: []trustregistry.AuthorityKey{{Thumbprint: tp, JWK: jwkBytes, Provenance: prov}, {Thumbprint: otherTP, Provenance: prov}}}}}}
	if _, err := adminclient.ProposeAndApprove(ctx, f.admin("alice"), f.admin("bob"), cs, "Lingang registrar"); err != nil {
		t.Fatal(err)
	}
	pinned := pinnedRegistryKey(t, f.svc)
	now := time.Now()

	// The entity configuration: the registry's own, signed with the pinned key.
	resp, raw := f.do(t, "GET", "/.well-known/openid-federation", "", "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/entity-statement+jwt" {
		t.Fatalf("configuration: %d %s", resp.StatusCode, raw)
	}
	ec, err := oidfed.VerifyStatement(raw, pinned, now, time.Minute)
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	kid, _ := pinned.Key(0)
	if ec.Issuer != f.srv.URL || ec.Subject != f.srv.URL || ec.Keys() == nil || ec.Keys().Len() != 1 {
		t.Fatalf("configuration claims: %+v", ec)
	}
	if _, ok := ec.Keys().LookupKeyID(kid.KeyID()); !ok {
		t.Fatal("the configuration does not publish the registry key")
	}
	if ec.FetchEndpoint() != f.srv.URL+"/federation/fetch" || ec.Metadata["federation_entity"]["federation_list_endpoint"] != f.srv.URL+"/federation/list" {
		t.Fatalf("federation_entity: %v", ec.Metadata)
	}
	if next := f.svc.SnapshotNextUpdate(); !next.IsZero() && ec.Expires != next.Unix() {
		t.Fatalf("exp %d, snapshot next update %s", ec.Expires, next)
	}

	// The list: the Singapore authority by its did:web origin, the Lingang ones by URN.
	resp, body := f.do(t, "GET", "/federation/list", "", "", nil)
	var list []string
	if json.Unmarshal(body, &list); resp.StatusCode != 200 || !slices.Contains(list, "https://registrar.example.sg") ||
		!slices.Contains(list, fedexport.URNPrefix+"lg-registrar") {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}

	// A subordinate statement chains to the configuration: verified with its jwks, iss = its sub.
	sub := fedexport.URNPrefix + "lg-registrar"
	resp, raw = f.do(t, "GET", "/federation/fetch?sub="+url.QueryEscape(sub), "", "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/entity-statement+jwt" {
		t.Fatalf("fetch: %d %s", resp.StatusCode, raw)
	}
	ss, err := oidfed.VerifyStatement(raw, ec.Keys(), now, time.Minute)
	if err != nil {
		t.Fatalf("subordinate statement: %v", err)
	}
	if ss.Issuer != ec.Subject || ss.Subject != sub || ss.Keys() == nil || ss.Keys().Len() != 1 {
		t.Fatalf("subordinate claims: %s", raw)
	}
	if _, ok := ss.Keys().LookupKeyID(tp); !ok {
		t.Fatal("the authority's JWK is not exported under its thumbprint")
	}
	idp := ss.Metadata[fedexport.MetadataType]
	if idp["scheme"] != demoseed.LocalScheme || idp["jurisdiction"] != "CN-SH-LG" || idp["assurance"] != "L3" || idp["status"] != "active" ||
		idp["role"] != "local" || !strings.Contains(jsonString(idp["keys_not_exported"]), otherTP) {
		t.Fatalf("idport metadata: %v", idp)
	}
	if _, ok := ss.Metadata["openid_credential_issuer"]["credential_configurations_supported"].(map[string]any)["EnterpriseLicence"]; !ok {
		t.Fatalf("credential issuer metadata: %v", ss.Metadata["openid_credential_issuer"])
	}

	// A tampered statement fails verification.
	parts := strings.Split(string(raw), ".")
	claims := strings.Replace(string(mustB64(t, parts[1])), `"L3"`, `"L1"`, 1)
	tampered := parts[0] + "." + b64url([]byte(claims)) + "." + parts[2]
	if _, err := oidfed.VerifyStatement([]byte(tampered), ec.Keys(), now, time.Minute); !errors.Is(err, oidfed.ErrStatementInvalid) {
		t.Fatalf("tampered statement: %v", err)
	}
	// And a statement is not accepted against another key.
	if _, err := oidfed.VerifyStatement(raw, ss.Keys(), now, time.Minute); err == nil {
		t.Fatal("a subordinate statement verified with the subordinate's own keys")
	}

	// Suspending the Singapore authority withdraws its statement.
	sg := "https://registrar.example.sg"
	if resp, _ := f.do(t, "GET", "/federation/fetch?sub="+url.QueryEscape(sg), "", "", nil); resp.StatusCode != 200 {
		t.Fatalf("fetch before suspension: %d", resp.StatusCode)
	}
	suspend := trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpSetAuthorityStatus, ID: demoseed.AuthorityID, Status: trustregistry.StatusSuspended, Reason: "under review"}}}
	if _, err := adminclient.ProposeAndApprove(ctx, f.admin("alice"), f.admin("bob"), suspend, "suspend"); err != nil {
		t.Fatal(err)
	}
	if resp, body := f.do(t, "GET", "/federation/fetch?sub="+url.QueryEscape(sg), "", "", nil); resp.StatusCode != 404 || !strings.Contains(string(body), "federation_subject_unknown") {
		t.Fatalf("fetch after suspension: %d %s", resp.StatusCode, body)
	}
	if _, body := f.do(t, "GET", "/federation/list", "", "", nil); strings.Contains(string(body), sg) {
		t.Fatalf("list after suspension: %s", body)
	}
	for _, q := range []string{"?sub=urn:idport:authority:nobody", ""} {
		if resp, _ := f.do(t, "GET", "/federation/fetch"+q, "", "", nil); resp.StatusCode != 404 && resp.StatusCode != 400 {
			t.Fatalf("fetch %q: %d", q, resp.StatusCode)
		}
	}
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
