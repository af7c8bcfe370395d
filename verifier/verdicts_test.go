package verifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// subjectDoc returns a VC 2.0 credential of the given types and subject
// claims, with an inline JSON-LD context defining every term (so that the
// same document serves Data Integrity).
func subjectDoc(issuer string, types []string, claims map[string]any, status ...map[string]any) []byte {
	ctx := map[string]any{}
	for _, t := range types[1:] {
		ctx[t] = "https://idport.dev/ns#" + t
	}
	sub := map[string]any{"id": "did:example:acme"}
	for k, v := range claims {
		ctx[k] = "https://idport.dev/ns#" + k
		sub[k] = v
	}
	m := map[string]any{
		"@context":          []any{"https://www.w3.org/ns/credentials/v2", ctx},
		"id":                "urn:uuid:5e8f5a44-7b0c-4f4e-9a1c-000000000099",
		"type":              types,
		"issuer":            issuer,
		"validFrom":         testNow.Add(-time.Hour).UTC().Format(time.RFC3339),
		"credentialSubject": sub,
	}
	switch len(status) {
	case 0:
	case 1:
		m["credentialStatus"] = status[0]
	default:
		m["credentialStatus"] = status
	}
	b, _ := json.Marshal(m)
	return b
}

// vcJWT11 signs claims as a VC-JWT 1.1 credential (typ JWT, vc claim).
func vcJWT11(t *testing.T, p *testutil.Party, types []string, claims map[string]any) string {
	sub := map[string]any{}
	for k, v := range claims {
		sub[k] = v
	}
	payload, _ := json.Marshal(map[string]any{
		"iss": p.DID, "sub": "did:example:acme", "nbf": testNow.Add(-time.Hour).Unix(), "jti": "urn:uuid:1",
		"vc": map[string]any{"@context": []any{"https://www.w3.org/2018/credentials/v1"}, "type": types, "credentialSubject": sub},
	})
	return testutil.SignJWS(t, p.Key, map[string]any{"alg": string(p.Key.Alg), "kid": p.Kid, "typ": "JWT"}, payload)
}

// TestEveryAssertedTypeMustBeRecognised: a credential asserting a type its
// issuer is not recognised for is refused, unless the policy relies on one
// recognised type, and then only that type's claims are returned.
func TestEveryAssertedTypeMustBeRecognised(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	a := is.Authority()
	a.Types = []string{"BusinessRegistration"}
	trust := verifier.NewStaticTrust(1, a)
	raw := []byte(is.JOSE(t, subjectDoc(is.DID, []string{"VerifiableCredential", "BusinessRegistration", "PersonIdentity"},
		map[string]any{"uen": "201912345K", "legalName": "ACME Pte Ltd", "passportNo": "E1234567"})))

	res, _ := newVerifier(t, trust, nil, verifier.Policy{}).VerifyCredential(ctx, raw)
	if res.Verified || res.FirstError() != verifier.CodeTypeNotRecognised {
		t.Fatalf("no type relied on: verified=%v %+v", res.Verified, res.Errors)
	}
	asks := func(typ string) *verifier.Policy {
		p := verifier.Policy{}.Narrow(verifier.RequestPolicy{CredentialTypes: []string{typ}})
		return &p
	}
	v := newVerifier(t, trust, nil, verifier.Policy{})
	res, _ = v.VerifyCredentialWith(ctx, raw, verifier.CredentialOptions{Policy: asks("PersonIdentity")})
	if res.Verified || res.FirstError() != verifier.CodeTypeNotRecognised {
		t.Fatalf("PersonIdentity asked: verified=%v %+v", res.Verified, res.Errors)
	}
	res, _ = v.VerifyCredentialWith(ctx, raw, verifier.CredentialOptions{Policy: asks("BusinessRegistration")})
	if !res.Verified || res.Claims["registrationNumber"] != "201912345K" || res.Claims["legalName"] != "ACME Pte Ltd" {
		t.Fatalf("BusinessRegistration asked: %+v claims %v", res.Errors, res.Claims)
	}
	if _, leaked := res.Claims["passportNo"]; leaked || !slices.Equal(res.Stripped, []string{"passportNo"}) || !res.HasWarning(verifier.CodeClaimStripped) {
		t.Fatalf("claims of the type not relied on: claims %v stripped %v", res.Claims, res.Stripped)
	}
	// Recognised for both: verified without a policy.
	a.Types = []string{"BusinessRegistration", "PersonIdentity"}
	a.AllowedClaims = append(a.AllowedClaims, "passportNo")
	res, _ = newVerifier(t, verifier.NewStaticTrust(2, a), nil, verifier.Policy{}).VerifyCredential(ctx, raw)
	if !res.Verified || res.Claims["passportNo"] != "E1234567" {
		t.Fatalf("both recognised: %+v %v", res.Errors, res.Claims)
	}
}

// TestAllowListAppliesToEveryFormat: a claim outside the cross-border
// allow-list is refused (refuse mode) or stripped and listed by name
// (strip mode) in VC-JOSE, VC-JWT 1.1, SD-JWT VC (a plain claim) and Data
// Integrity credentials.
func TestAllowListAppliesToEveryFormat(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	a := is.Authority()
	a.Types = append(a.Types, "CompanyProfile")
	trust := verifier.NewStaticTrust(1, a)
	claims := map[string]any{"uen": "201912345K", "legalName": "ACME Pte Ltd", "directorPassportNo": "K9876543"}
	types := []string{"VerifiableCredential", "BusinessRegistration"}

	di, err := vcld.SignCredential(ctx, subjectDoc(is.DID, types, claims),
		vcld.SignOptions{Signer: is.Key.Signer, VerificationMethod: is.Kid, Created: testNow.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := vcjwt.SignSDJWT(is.Key, vcjwt.SDJWTParams{
		Issuer: is.DID, VCT: "CompanyProfile", IssuedAt: testNow.Add(-time.Hour), Expiry: testNow.Add(time.Hour),
		Claims: claims, Disclose: []string{"legalName"}, // directorPassportNo is a plain claim
	})
	if err != nil {
		t.Fatal(err)
	}
	creds := map[string][]byte{
		"vc-jose":        []byte(is.JOSE(t, subjectDoc(is.DID, types, claims))),
		"vc-jwt 1.1":     []byte(vcJWT11(t, is, types, claims)),
		"sd-jwt vc":      []byte(sd),
		"data integrity": di,
	}
	for name, raw := range creds {
		t.Run(name, func(t *testing.T) {
			res, _ := newVerifier(t, trust, nil, verifier.Policy{CrossBorder: verifier.ClaimsRefuse}).VerifyCredential(ctx, raw)
			if res.Verified || !res.HasError(verifier.CodeClaimNotAllowedAcrossBorder) {
				t.Fatalf("refuse: verified=%v %+v", res.Verified, res.Errors)
			}
			if _, leaked := res.Claims["directorPassportNo"]; leaked {
				t.Fatalf("refuse: the refused claim's value is in the result: %v", res.Claims)
			}
			res, _ = newVerifier(t, trust, nil, verifier.Policy{CrossBorder: verifier.ClaimsStrip}).VerifyCredential(ctx, raw)
			if !res.Verified || !slices.Equal(res.Stripped, []string{"directorPassportNo"}) || !res.HasWarning(verifier.CodeClaimStripped) {
				t.Fatalf("strip: verified=%v %+v stripped %v", res.Verified, res.Errors, res.Stripped)
			}
			if _, leaked := res.Claims["directorPassportNo"]; leaked || res.Claims["legalName"] != "ACME Pte Ltd" {
				t.Fatalf("strip: claims %v", res.Claims)
			}
			b, _ := json.Marshal(res)
			if strings.Contains(string(b), "K9876543") {
				t.Fatalf("the withheld value appears in the verdict: %s", b)
			}
		})
	}
}

// countingServer counts the requests it gets and answers 404.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestUnrecognisedIssuersCauseNoOutboundFetch: 3,000 self-signed
// credentials of issuers the registry does not know, each pointing at a
// status list, and a credential of an unknown did:web issuer cause no
// request at all: recognition (in memory) comes before any fetch.
func TestUnrecognisedIssuersCauseNoOutboundFetch(t *testing.T) {
	ctx := context.Background()
	srv, hits := countingServer(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	fo := testutil.FetcherOptions()
	f, err := statuslist.NewFetcher(fo)
	if err != nil {
		t.Fatal(err)
	}
	known := testutil.NewParty(t, keys.EdDSA)
	resolver := did.NewResolver(did.ResolverOptions{AllowHosts: []string{"127.0.0.1"}, AllowHTTP: true})
	v, err := verifier.New(verifier.Config{TrustSource: verifier.NewStaticTrust(1, known.Authority()), Resolver: resolver,
		StatusFetcher: verifier.StatusLists(f), Clock: testutil.Clock})
	if err != nil {
		t.Fatal(err)
	}
	entry := map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "7",
		"statusListCredential": srv.URL + "/list/1"}
	for i := range 3000 {
		anon := testutil.NewParty(t, keys.EdDSA)
		raw := []byte(anon.JOSE(t, testutil.Cred{Issuer: anon.DID, From: testNow.Add(-time.Hour), Status: entry}.JSON()))
		res, _ := v.VerifyCredential(ctx, raw)
		if res.Verified || res.FirstError() != verifier.CodeIssuerNotRecognised {
			t.Fatalf("credential %d: verified=%v %+v", i, res.Verified, res.Errors)
		}
	}
	// A did:web issuer the registry does not know: its document is not fetched.
	webIssuer := did.WebDID(host, "issuers", "anon")
	k, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	raw := testutil.SignJWS(t, k, map[string]any{"alg": "EdDSA", "kid": webIssuer + "#key-1", "typ": "vc+jwt", "cty": "vc"},
		testutil.Cred{Issuer: webIssuer, From: testNow.Add(-time.Hour), Status: entry}.JSON())
	res, _ := v.VerifyCredential(ctx, []byte(raw))
	if res.Verified || res.FirstError() != verifier.CodeIssuerNotRecognised {
		t.Fatalf("did:web: verified=%v %+v", res.Verified, res.Errors)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d outbound requests for unrecognised issuers, want 0", n)
	}
	// A recognised issuer's list is fetched (the server is reached).
	good := []byte(known.JOSE(t, testutil.Cred{Issuer: known.DID, From: testNow.Add(-time.Hour), Status: entry}.JSON()))
	if res, _ := v.VerifyCredential(ctx, good); res.FirstError() != verifier.CodeStatusUnavailable || hits.Load() == 0 {
		t.Fatalf("recognised issuer: %+v, %d requests", res.Errors, hits.Load())
	}
}

// TestEveryStatusEntryIsCheckedAndReported: a credential with a
// revocation and a suspension entry reports both, and fails on either.
func TestEveryStatusEntryIsCheckedAndReported(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(1, is.Authority())
	rev := testutil.StatusEntry("revocation", "3")
	sus := map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": "suspension", "statusListIndex": "5",
		"statusListCredential": "https://status.example/list/2"}
	raw := []byte(is.JOSE(t, subjectDoc(is.DID, []string{"VerifiableCredential", "BusinessRegistration"},
		map[string]any{"uen": "201912345K"}, rev, sus)))
	cases := []struct {
		name   string
		values map[string]uint8
		want   verifier.Code
	}{
		{"both clear", map[string]uint8{}, ""},
		{"first set", map[string]uint8{"https://status.example/list/1#3": 1}, verifier.CodeRevoked},
		{"second set", map[string]uint8{"https://status.example/list/2#5": 1}, verifier.CodeSuspended},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := newVerifier(t, trust, &testutil.Status{Values: tt.values}, verifier.Policy{}).VerifyCredential(ctx, raw)
			if res.Verified != (tt.want == "") || res.FirstError() != tt.want {
				t.Fatalf("verified=%v %+v, want %q", res.Verified, res.Errors, tt.want)
			}
			if len(res.Statuses) != 2 || res.Statuses[0].Purpose != "revocation" || res.Statuses[1].Purpose != "suspension" ||
				!res.Statuses[0].Checked || !res.Statuses[1].Checked {
				t.Fatalf("statuses %+v", res.Statuses)
			}
		})
	}
}

// TestEnvelopedStatusListMediaTypeMustMatch: a status list served as an
// enveloped credential whose data: URL names another media type than its
// content, or a charset other than UTF-8, is not read.
func TestEnvelopedStatusListMediaTypeMustMatch(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	list, err := statuslist.NewBitstring(statuslist.MinEntries)
	if err != nil {
		t.Fatal(err)
	}
	var mediaType atomic.Value
	var listURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jws, err := statuslist.SignBitstringCredential(is.Key, is.DID, listURL, "revocation", list, time.Hour)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/vc")
		_, _ = w.Write([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"data:` + mediaType.Load().(string) + `,` + jws + `","type":"EnvelopedVerifiableCredential"}`))
	}))
	defer srv.Close()
	listURL = srv.URL + "/list/1"
	raw := []byte(is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), Status: map[string]any{
		"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "3", "statusListCredential": listURL}}.JSON()))
	for _, tt := range []struct {
		mediaType string
		ok        bool
	}{
		{"application/vc+jwt", true},
		{"application/dc+sd-jwt", false},
		{"application/vc+jwt;charset=utf-16", false},
	} {
		t.Run(tt.mediaType, func(t *testing.T) {
			mediaType.Store(tt.mediaType)
			f, err := statuslist.NewFetcher(testutil.FetcherOptions())
			if err != nil {
				t.Fatal(err)
			}
			res, _ := newVerifier(t, verifier.NewStaticTrust(1, is.Authority()), verifier.StatusLists(f), verifier.Policy{}).VerifyCredential(ctx, raw)
			if res.Verified != tt.ok || (!tt.ok && res.FirstError() != verifier.CodeStatusUnavailable) {
				t.Fatalf("verified=%v %+v", res.Verified, res.Errors)
			}
		})
	}
}

// TestPresentationWithoutCredentials: verifiableCredential is optional; a
// presentation without it verifies by its proof and challenge, with no
// credential results (Data Integrity and JWT).
func TestPresentationWithoutCredentials(t *testing.T) {
	ctx := context.Background()
	holder := testutil.NewParty(t, keys.EdDSA)
	v := newVerifier(t, verifier.NewStaticTrust(1), nil, verifier.Policy{AllowCallerChallenge: true})
	vp := []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],"holder":"` + holder.DID + `"}`)
	signed, err := vcld.SignPresentation(ctx, vp, vcld.SignOptions{Signer: holder.Key.Signer, VerificationMethod: holder.Kid, Challenge: "n-1", Domain: "verifier.example", Created: testNow})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.VerifyPresentation(ctx, signed, verifier.PresentationOptions{Challenge: "n-1", Domain: "verifier.example"})
	if err != nil || !res.Verified || len(res.Credentials) != 0 || res.Holder != holder.DID {
		t.Fatalf("Data Integrity: %v %+v", err, res)
	}
	payload, _ := json.Marshal(map[string]any{"iss": holder.DID, "nonce": "n-2", "aud": "verifier.example", "iat": testNow.Unix(), "exp": testNow.Add(time.Minute).Unix(),
		"vp": map[string]any{"@context": []any{"https://www.w3.org/2018/credentials/v1"}, "type": []any{"VerifiablePresentation"}}})
	jwt := testutil.SignJWS(t, holder.Key, map[string]any{"alg": "EdDSA", "kid": holder.Kid, "typ": "JWT"}, payload)
	res, err = v.VerifyPresentation(ctx, []byte(jwt), verifier.PresentationOptions{Challenge: "n-2", Domain: "verifier.example"})
	if err != nil || !res.Verified || len(res.Credentials) != 0 {
		t.Fatalf("JWT: %v %+v", err, res)
	}
}

// TestHolderBindingModes: a presentation by a holder who is not the
// credential's subject (a director presenting the company's credential)
// is refused under subject binding and accepted under holder-signed and
// none; a request may weaken the mode only when the policy allows it.
func TestHolderBindingModes(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	director := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(1, is.Authority())
	cred := is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour)}.JSON()) // subject did:example:acme
	for i, tt := range []struct {
		mode verifier.HolderBinding
		want verifier.Code
	}{
		{"", verifier.CodeHolderBindingFailed},
		{verifier.HolderBindingSubject, verifier.CodeHolderBindingFailed},
		{verifier.HolderBindingHolderSigned, ""},
		{verifier.HolderBindingNone, ""},
	} {
		nonce := "nonce-" + string(rune('a'+i))
		vp := director.JWTVP(t, nonce, "verifier.example", cred)
		v := newVerifier(t, trust, nil, verifier.Policy{AllowCallerChallenge: true, HolderBinding: tt.mode})
		res, _ := v.VerifyPresentation(ctx, []byte(vp), verifier.PresentationOptions{Challenge: nonce, Domain: "verifier.example"})
		if res.Verified != (tt.want == "") || res.FirstError() != tt.want {
			t.Fatalf("mode %q: verified=%v %+v", tt.mode, res.Verified, res.Errors)
		}
	}
	strict := verifier.Policy{}
	if _, err := strict.NarrowChecked(verifier.RequestPolicy{HolderBinding: verifier.HolderBindingNone}); !errors.Is(err, verifier.ErrHolderBindingNotAllowed) {
		t.Fatalf("weakening without leave: %v", err)
	}
	if p, err := strict.NarrowChecked(verifier.RequestPolicy{HolderBinding: verifier.HolderBindingSubject}); err != nil || p.HolderBinding != verifier.HolderBindingSubject {
		t.Fatalf("same mode: %v", err)
	}
	lax := verifier.Policy{AllowWeakerHolderBinding: true}
	if p, err := lax.NarrowChecked(verifier.RequestPolicy{HolderBinding: verifier.HolderBindingHolderSigned}); err != nil || p.HolderBinding != verifier.HolderBindingHolderSigned {
		t.Fatalf("weakening with leave: %v", err)
	}
	if _, err := lax.NarrowChecked(verifier.RequestPolicy{HolderBinding: "trust-me"}); !errors.Is(err, verifier.ErrHolderBindingUnknown) {
		t.Fatalf("unknown mode: %v", err)
	}
}
