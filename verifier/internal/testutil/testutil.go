// Package testutil builds credentials, presentations and trust sources for
// the verifier's tests, examples and benchmarks. It signs with plain
// pkg/keys so that tests do not depend on the code under test.
package testutil

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/verifier"
)

// Now is the fixed clock of the tests.
var Now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// Clock returns Now.
func Clock() time.Time { return Now }

// Party is a did:key issuer or holder.
type Party struct {
	Key *keys.Key
	DID string
	Kid string
}

// NewParty generates a did:key party.
func NewParty(t testing.TB, alg keys.Alg) *Party {
	t.Helper()
	k, err := keys.Generate(alg)
	if err != nil {
		t.Fatal(err)
	}
	d, kid, err := did.KeyDID(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	k.ID = kid
	return &Party{Key: k, DID: d, Kid: kid}
}

// SignJWS signs header and payload as a compact JWS.
func SignJWS(t testing.TB, k *keys.Key, header map[string]any, payload []byte) string {
	t.Helper()
	hb, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	in := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(payload)
	sig, err := k.Sign([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// Cred describes a VC 2.0 BusinessRegistration credential.
type Cred struct {
	Issuer      string
	Subject     string // default did:example:acme
	From, Until time.Time
	Status      map[string]any
	// LD adds an inline context defining the terms (for Data Integrity).
	LD bool
}

// LDContext defines the terms of the test credentials for JSON-LD.
var LDContext = map[string]any{
	"BusinessRegistration": "https://idport.dev/ns#BusinessRegistration",
	"uen":                  "https://idport.dev/ns#uen",
	"legalName":            "https://idport.dev/ns#legalName",
}

// JSON returns the credential JSON.
func (c Cred) JSON() []byte {
	sub := c.Subject
	if sub == "" {
		sub = "did:example:acme"
	}
	m := map[string]any{
		"@context":  []any{"https://www.w3.org/ns/credentials/v2"},
		"id":        "urn:uuid:5e8f5a44-7b0c-4f4e-9a1c-000000000001",
		"type":      []any{"VerifiableCredential", "BusinessRegistration"},
		"issuer":    c.Issuer,
		"validFrom": c.From.UTC().Format(time.RFC3339),
		"credentialSubject": map[string]any{
			"id": sub, "uen": "201912345K", "legalName": "ACME Pte Ltd",
		},
	}
	if c.LD {
		m["@context"] = []any{"https://www.w3.org/ns/credentials/v2", LDContext}
	}
	if !c.Until.IsZero() {
		m["validUntil"] = c.Until.UTC().Format(time.RFC3339)
	}
	if c.Status != nil {
		m["credentialStatus"] = c.Status
	}
	b, _ := json.Marshal(m)
	return b
}

// JOSE signs payload as a vc+jwt by p.
func (p *Party) JOSE(t testing.TB, payload []byte) string {
	return SignJWS(t, p.Key, map[string]any{"alg": string(p.Key.Alg), "kid": p.Kid, "typ": "vc+jwt", "cty": "vc"}, payload)
}

// JWTVP signs a VC-JWT 1.1 presentation of creds by p with nonce and aud.
func (p *Party) JWTVP(t testing.TB, nonce, aud string, creds ...any) string {
	claims := map[string]any{
		"iss": p.DID, "nonce": nonce, "aud": aud, "iat": Now.Unix(), "exp": Now.Add(5 * time.Minute).Unix(),
		"vp": map[string]any{
			"@context": []any{"https://www.w3.org/2018/credentials/v1"}, "type": []any{"VerifiablePresentation"},
			"verifiableCredential": creds,
		},
	}
	b, _ := json.Marshal(claims)
	return SignJWS(t, p.Key, map[string]any{"alg": string(p.Key.Alg), "kid": p.Kid, "typ": "JWT"}, b)
}

// Authority returns the StaticAuthority of p (a Singapore corporate registry).
func (p *Party) Authority() verifier.StaticAuthority {
	return verifier.StaticAuthority{
		Issuer: p.DID, Authority: "sg-acra", Scheme: "sg.corporate", Jurisdiction: "SG",
		Agreement: "sg-cn-dea-2025", Recognition: "cn-sh-lg/sg.corporate",
		Types: []string{"BusinessRegistration", "HKResidentIdentity"}, LocalAssurance: "substantial", ForeignAssurance: "high",
		ClaimMapping:  map[string]string{"uen": "registrationNumber"},
		AllowedClaims: []string{"uen", "legalName", "given_name", "family_name", "resident"},
	}
}

// StatusEntry returns a BitstringStatusListEntry on https://status.example/list/1.
func StatusEntry(purpose, idx string) map[string]any {
	return map[string]any{
		"id": "https://status.example/list/1#" + idx, "type": "BitstringStatusListEntry",
		"statusPurpose": purpose, "statusListIndex": idx, "statusListCredential": "https://status.example/list/1",
	}
}

// Status is an in-memory StatusFetcher: url#index -> value.
type Status struct {
	Values map[string]uint8
	Err    error
}

// Lookup implements verifier.StatusFetcher.
func (f *Status) Lookup(_ context.Context, ref verifier.StatusRef) (verifier.StatusValue, error) {
	if f.Err != nil {
		return verifier.StatusValue{}, f.Err
	}
	return verifier.StatusValue{Value: f.Values[fmt.Sprintf("%s#%d", ref.URL, ref.Index)], Age: 3 * time.Second}, nil
}

// SDJWT issues an SD-JWT VC of type vct by p with the given disclosable
// claims (all disclosed), bound to holder when holder is not nil.
func (p *Party) SDJWT(t testing.TB, vct string, claims map[string]any, holder *Party, status *vcjwt.TokenStatusRef) string {
	t.Helper()
	var names []string
	for k := range claims {
		names = append(names, k)
	}
	params := vcjwt.SDJWTParams{
		Issuer: p.DID, VCT: vct, IssuedAt: Now.Add(-time.Hour), Expiry: Now.Add(24 * time.Hour),
		Claims: claims, Disclose: names, Status: status,
	}
	if holder != nil {
		params.HolderKey = holder.Key.Public
	}
	s, err := vcjwt.SignSDJWT(p.Key, params)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Present keeps the disclosures in keep and adds a key binding JWT by p.
func (p *Party) Present(t testing.TB, sdjwt string, keep []string, nonce, aud string) string {
	t.Helper()
	s, err := vcjwt.Present(sdjwt, keep)
	if err != nil {
		t.Fatal(err)
	}
	out, err := vcjwt.SignKeyBinding(p.Key, s, nonce, aud, Now)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// NewPartyAuthority returns the test authority grounds for an issuer DID
// made elsewhere (interop peers).
func NewPartyAuthority(issuer string) verifier.StaticAuthority {
	a := (&Party{DID: issuer}).Authority()
	return a
}

// StatusServer serves a signed Bitstring status list (purpose revocation,
// issued by p) at <URL>/list/1 on a loopback httptest server; index 4242
// is set. Fetcher reads it through the real pkg/statuslist Fetcher.
type StatusServer struct {
	URL     string
	ListURL string
	Fetcher *statuslist.Fetcher
	fail    atomic.Bool
}

// Fail makes the server answer 500 from now on.
func (s *StatusServer) Fail() { s.fail.Store(true) }

// FetcherOptions are the options of the servers' Fetchers: loopback and
// plain HTTP allowed, lists kept an hour, failures not remembered.
func FetcherOptions() statuslist.FetcherOptions {
	return statuslist.FetcherOptions{
		Net:      did.NetOptions{AllowHosts: []string{"127.0.0.1"}, AllowHTTP: true},
		Resolver: did.NewResolver(did.ResolverOptions{}), MaxTTL: time.Hour, ErrorTTL: -1,
	}
}

// revokedList returns a list with index 4242 set.
func revokedList(t testing.TB) *statuslist.Bitstring {
	t.Helper()
	list, err := statuslist.NewBitstring(statuslist.MinEntries)
	if err != nil {
		t.Fatal(err)
	}
	if err := list.Set(4242, true); err != nil {
		t.Fatal(err)
	}
	return list
}

// serve starts the loopback server of s; body makes the response.
func (s *StatusServer) serve(t testing.TB, contentType string, body func() ([]byte, error)) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		b, err := body()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	s.URL, s.ListURL = srv.URL, srv.URL+"/list/1"
}

// NewStatusServer starts the server, serving the list as a vc+jwt, and a
// Fetcher allowed to reach it.
func NewStatusServer(t testing.TB, p *Party) *StatusServer {
	t.Helper()
	list := revokedList(t)
	s := &StatusServer{}
	s.serve(t, "application/vc+jwt", func() ([]byte, error) {
		jws, err := statuslist.SignBitstringCredential(p.Key, p.DID, s.ListURL, "revocation", list, time.Hour)
		return []byte(jws), err
	})
	var err error
	if s.Fetcher, err = statuslist.NewFetcher(FetcherOptions()); err != nil {
		t.Fatal(err)
	}
	return s
}

// NewDIStatusServer starts a server serving the list as a JSON-LD
// credential with an eddsa-rdfc-2022 proof by p (an Ed25519 party), and a
// Fetcher that checks such proofs with verifier.DataIntegrityListVerifier.
func NewDIStatusServer(t testing.TB, p *Party) *StatusServer {
	t.Helper()
	s := &StatusServer{}
	var body atomic.Pointer[[]byte] // signed once the URL is known
	s.serve(t, "application/vc+ld+json", func() ([]byte, error) { return *body.Load(), nil })
	cred, err := statuslist.BitstringCredential(statuslist.BitstringParams{
		Issuer: p.DID, ID: s.ListURL, Purpose: "revocation", List: revokedList(t),
		ValidFrom: time.Now().Add(-time.Minute), ValidUntil: time.Now().Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := json.Marshal(cred)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := vcld.SignCredential(context.Background(), unsigned, vcld.SignOptions{Signer: p.Key.Signer, VerificationMethod: p.Kid})
	if err != nil {
		t.Fatal(err)
	}
	body.Store(&signed)
	o := FetcherOptions()
	o.VerifyDataIntegrity = verifier.DataIntegrityListVerifier(o.Resolver)
	if s.Fetcher, err = statuslist.NewFetcher(o); err != nil {
		t.Fatal(err)
	}
	return s
}

// Entry returns a revocation entry of the served list.
func (s *StatusServer) Entry(idx string) map[string]any {
	return map[string]any{
		"id": s.ListURL + "#" + idx, "type": "BitstringStatusListEntry",
		"statusPurpose": "revocation", "statusListIndex": idx, "statusListCredential": s.ListURL,
	}
}

// SignLD signs the credential JSON unsigned with an eddsa-rdfc-2022 Data
// Integrity proof by p, created at created.
func (p *Party) SignLD(t testing.TB, unsigned []byte, created time.Time) []byte {
	t.Helper()
	signed, err := vcld.SignCredential(context.Background(), unsigned, vcld.SignOptions{Signer: p.Key.Signer, VerificationMethod: p.Kid, Created: created})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// PresentLD signs, as holder p, a Data Integrity presentation of creds
// (credential JSON) for challenge and domain, created at Now.
func (p *Party) PresentLD(t testing.TB, challenge, domain string, creds ...[]byte) []byte {
	t.Helper()
	vp := []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],"holder":"` + p.DID +
		`","verifiableCredential":[` + string(bytes.Join(creds, []byte(","))) + `]}`)
	signed, err := vcld.SignPresentation(context.Background(), vp, vcld.SignOptions{Signer: p.Key.Signer, VerificationMethod: p.Kid,
		Challenge: challenge, Domain: domain, Created: Now})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}
