package crossborder_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/verifier"
)

type problem struct {
	Code          string   `json:"code"`
	VerifierCodes []string `json:"verifierCodes"`
}

var subject = map[string]any{"id": "did:example:acme-sg", "uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
	"registeredAddress": "1 Marina Boulevard", "incorporationDate": "2019-04-02", "entityType": "Private Company"}

// TestOnboardingRefusals: each refusal of a foreign credential (revoked, expired, an
// unrecognised authority, a type the registry does not recognise, not a credential) carries the
// verifier's code, and a warn-mode issuer says so in a header.
func TestOnboardingRefusals(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, reg, sg, _, err := stack.NewDemoWorld(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lg, err := s.StartIssuer(ctx, stack.IssuerOptions{Name: "lingang", Registry: reg, RegistryCheck: issuer.CheckWarn,
		Types:      append(issuer.DefaultTypes(), demoseed.LocalCredentialType()),
		Onboarding: &stack.OnboardingOptions{Type: demoseed.LocalType, Policy: verifier.Policy{LocalScheme: demoseed.LocalScheme}}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.StartIssuer(ctx, stack.IssuerOptions{Name: "unregistered"})
	if err != nil {
		t.Fatal(err)
	}

	revoked, id, err := sg.Issue(ctx, demoseed.Type, "vc+jwt", subject, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sg.SetStatus(ctx, id, "revoke"); err != nil {
		t.Fatal(err)
	}
	unknown, _, err := other.Issue(ctx, demoseed.Type, "vc+jwt", subject, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Expired: a complete credential whose validity ended ten minutes ago (after the
	// recognition took effect, so that only its validity is at fault).
	now := time.Now().UTC()
	expired, _, err := sg.Issue(ctx, "", "vc+jwt", nil, map[string]any{"type": nil, "credentialSubject": nil, "credential": map[string]any{
		"@context": []string{vc.ContextV2, issuer.ContextUndefinedTermsV2}, "type": []string{vc.TypeCredential, demoseed.Type},
		"issuer": sg.DID, "validFrom": now.Add(-30 * time.Minute).Format(time.RFC3339), "validUntil": now.Add(-10 * time.Minute).Format(time.RFC3339),
		"credentialSubject": subject}})
	if err != nil {
		t.Fatal(err)
	}
	// A type the registry does not recognise from this authority: the Singapore issuer signs
	// PersonIdentity too, but its registry entry lists BusinessRegistration only, so the
	// registry answers type_not_authorised.
	person, _, err := sg.Issue(ctx, "PersonIdentity", "vc+jwt",
		map[string]any{"givenName": "Mei", "familyName": "Tan", "birthDate": "1990-01-02", "nationality": "SG"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		cred     []byte
		status   int
		code     string
		verifier string
	}{
		{"revoked", revoked, http.StatusBadRequest, string(issuer.CodeForeignNotVerified), "revoked"},
		{"unrecognised authority", unknown, http.StatusForbidden, string(issuer.CodeForeignNotRecognised), "issuer_not_recognised"},
		{"expired", expired, http.StatusBadRequest, string(issuer.CodeForeignNotVerified), string(verifier.CodeExpired)},
		{"type not recognised", person, http.StatusForbidden, string(issuer.CodeForeignNotRecognised), "type_not_authorised"},
		{"not a credential", []byte(`"not.a.jwt"`), http.StatusBadRequest, string(issuer.CodeForeignNotVerified), ""},
	} {
		var p problem
		status, err := lg.Onboard(ctx, c.cred, &p, c.status)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if p.Code != c.code || (c.verifier != "" && !slices.Contains(p.VerifierCodes, c.verifier)) {
			t.Errorf("%s: HTTP %d %s %v, want %s with %s", c.name, status, p.Code, p.VerifierCodes, c.code, c.verifier)
		}
	}

	// Warn mode: the Lingang issuer is not registered for BusinessRegistration, and issues it
	// with a warning header.
	_, h, err := stack.Call(ctx, http.MethodPost, lg.URL+"/credentials/issue", lg.APIKey,
		map[string]any{"type": demoseed.Type, "credentialSubject": subject}, nil, http.StatusCreated)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get("Idport-Registry-Warning"); got != string(issuer.CodeIssuerNotAuthorised) {
		t.Fatalf("warning header %q, want issuer_not_authorised", got)
	}
	// An unknown onboarding record is 404.
	var p problem
	if _, _, err := stack.Call(ctx, http.MethodGet, lg.URL+"/onboarding/onb-none", lg.APIKey, nil, &p, http.StatusNotFound); err != nil || p.Code != string(issuer.CodeOnboardingNotFound) {
		t.Fatalf("unknown record: %v %s", err, p.Code)
	}
}
