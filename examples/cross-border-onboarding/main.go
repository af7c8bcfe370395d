// Command cross-border-onboarding tells the onboarding story of idport: a Singapore company
// onboards in Lingang with its Singapore registration credential. Lingang's issuer verifies it
// through the verifier engine (recognition by Lingang's scheme, cross-border allow-list), then
// signs a LingangBusinessRegistration whose claims are the Singapore ones under Lingang's names
// and whose evidence cites the Singapore credential's digest, its issuer, the recognition
// grounds and the registry version. A Lingang bank verifies the new credential, and a later
// suspension of the Singapore authority shows in the onboarding record.
//
//	go run ./examples/cross-border-onboarding
//
// Lingang's issuer asks the registry before it signs anything: it is itself a domestic
// authority of Lingang's scheme, registered for LingangBusinessRegistration only.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/verifier"
)

func main() { stack.Main(run) }

var lingangPolicy = verifier.Policy{LocalScheme: demoseed.LocalScheme, AssuranceLevels: []string{"L1", "L2", "L3"}, MinAssurance: "L3"}

// problem is the part of a problem+json answer the story prints.
type problem struct {
	Code          string   `json:"code"`
	Detail        string   `json:"detail"`
	VerifierCodes []string `json:"verifierCodes"`
}

func run(ctx context.Context, w io.Writer) error {
	t := &stack.Teller{W: w}
	s, reg, sg, version, err := stack.NewDemoWorld(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		return err
	}
	defer s.Close()
	t.Step("A trust registry recognises Singapore's corporate scheme in Lingang (registry version %d)", version)
	t.Say("Singapore issuer %s signs as %s for authority %s", sg.URL, stack.Short(sg.DID), demoseed.AuthorityID)

	t.Step("Lingang's issuer starts, follows the registry and is registered as a domestic authority")
	lg, err := s.StartIssuer(ctx, stack.IssuerOptions{Name: "lingang-issuer", Registry: reg,
		Types:      append(issuer.DefaultTypes(), demoseed.LocalCredentialType()),
		Onboarding: &stack.OnboardingOptions{Type: demoseed.LocalType, Policy: lingangPolicy}})
	if err != nil {
		return err
	}
	if version, err = demoseed.SeedLocalAuthority(ctx, reg.Alice, reg.Bob, lg.DID, time.Now().Add(-time.Hour)); err != nil {
		return err
	}
	if err := lg.WaitVersion(ctx, version); err != nil {
		return err
	}
	t.Say("authority %s (scheme %s) may issue %s; the issuer's replica holds version %d", demoseed.LocalAuthorityID,
		demoseed.LocalScheme, demoseed.LocalType, lg.Trust.Status().Version)

	t.Step("Lingang's issuer refuses a type the registry does not authorise it for")
	var prob problem
	status, _, err := stack.Call(ctx, http.MethodPost, lg.URL+"/credentials/issue", lg.APIKey, map[string]any{"type": demoseed.Type,
		"credentialSubject": sgSubject("201912345K")}, &prob, http.StatusForbidden)
	if err != nil {
		return err
	}
	t.Outcome("refused: HTTP %d %s", status, prob.Code)

	t.Step("The Singapore company holds its BusinessRegistration credential (vc+jwt)")
	sgCred, _, err := sg.Issue(ctx, demoseed.Type, "vc+jwt", sgSubject("201912345K"), nil)
	if err != nil {
		return err
	}
	t.Say("%s", stack.Short(string(sgCred)))

	t.Step("It onboards in Lingang: POST /onboarding with the Singapore credential")
	var rec issuer.Onboarding
	status, err = lg.Onboard(ctx, sgCred, &rec)
	if err != nil {
		return err
	}
	t.Say("record %s, foreign digest %s, registry version %d", rec.ID, stack.Short(rec.ForeignDigest), rec.Grounds.RegistryVersion)
	t.Say("grounds: authority %s, scheme %s (%s), agreement %s, assurance %s -> %s", rec.Grounds.Authority, rec.Grounds.Scheme,
		rec.Grounds.Jurisdiction, rec.Grounds.Agreement, rec.Grounds.ForeignAssurance, rec.Grounds.LocalAssurance)
	ev, err := evidenceOf(rec.Credential)
	if err != nil {
		return err
	}
	if len(ev) != 1 || ev[0]["foreignCredentialDigest"] != rec.ForeignDigest {
		return stack.Unexpectedf("evidence %v does not cite the foreign digest %s", ev, rec.ForeignDigest)
	}
	t.Say("evidence: %v cites %s issued by %s", ev[0]["type"], stack.Short(rec.ForeignDigest), stack.Short(rec.ForeignIssuer))
	t.Outcome("onboarded: HTTP %d %s %s, evidence cites the Singapore credential's digest", status, rec.Type, rec.CredentialID)

	t.Step("Asking again with the same credential returns the same record")
	var again issuer.Onboarding
	if status, err = lg.Onboard(ctx, sgCred, &again); err != nil {
		return err
	}
	if again.CredentialID != rec.CredentialID {
		return stack.Unexpectedf("a repeat issued %s, want %s", again.CredentialID, rec.CredentialID)
	}
	t.Outcome("idempotent: HTTP %d, same credential %v", status, again.CredentialID == rec.CredentialID)

	t.Step("A Lingang bank verifies the new Lingang credential")
	bank, err := s.StartVerifier(ctx, "lingang-bank", reg, lingangPolicy, 0)
	if err != nil {
		return err
	}
	res, status, err := bank.VerifyCredential(ctx, rec.Credential)
	if err != nil {
		return err
	}
	if !res.Verified {
		return stack.Unexpectedf("the bank refused the Lingang credential: %s", stack.Summary(res))
	}
	t.Outcome("bank: HTTP %d verified, issuer recognised as %s, registrationNumber=%v enterpriseName=%v", status,
		res.Recognition.Authority, res.Claims["registrationNumber"], res.Claims["enterpriseName"])

	t.Step("A credential carrying a claim outside the cross-border allow-list is refused")
	withExtra := sgSubject("201900001A")
	withExtra["industryCode"] = "46900"
	extra, _, err := sg.Issue(ctx, demoseed.Type, "vc+jwt", withExtra, nil)
	if err != nil {
		return err
	}
	prob = problem{}
	if status, err = lg.Onboard(ctx, extra, &prob, http.StatusForbidden); err != nil {
		return err
	}
	t.Outcome("refused: HTTP %d %s %v", status, prob.Code, prob.VerifierCodes)

	t.Step("Regulators suspend the Singapore authority; the onboarding record shows it")
	if _, err := adminclient.ProposeAndApprove(ctx, reg.Alice, reg.Bob,
		trustregistry.SuspendAuthority(demoseed.AuthorityID, "registry audit", time.Now().Add(-time.Second)), "suspend pending audit"); err != nil {
		return err
	}
	var now issuer.Onboarding
	if err := stack.Eventually(ctx, func() (bool, error) {
		_, _, err := stack.Call(ctx, http.MethodGet, lg.URL+"/onboarding/"+rec.ID, lg.APIKey, nil, &now, http.StatusOK)
		return err == nil && now.Current != nil && !now.Current.Recognised, err
	}); err != nil {
		return err
	}
	t.Outcome("record %s: current recognition %s (registry version %d)", now.ID, now.Current.Code, now.Current.RegistryVersion)

	t.Step("A new onboarding with a Singapore credential is refused now")
	other, _, err := sg.Issue(ctx, demoseed.Type, "vc+jwt", sgSubject("201900002B"), nil)
	if err != nil {
		return err
	}
	prob = problem{}
	if status, err = lg.Onboard(ctx, other, &prob, http.StatusForbidden); err != nil {
		return err
	}
	t.Outcome("refused: HTTP %d %s %v", status, prob.Code, prob.VerifierCodes)
	return nil
}

func sgSubject(uen string) map[string]any {
	return map[string]any{"id": "did:example:acme-sg", "uen": uen, "legalName": "Acme Trading Pte. Ltd.",
		"registeredAddress": "1 Marina Boulevard, Singapore 018989", "incorporationDate": "2019-04-02",
		"entityType": "Private Company Limited by Shares"}
}

// evidenceOf returns the evidence member of a vc+jwt credential (a JSON string holding the JWT).
func evidenceOf(cred json.RawMessage) ([]map[string]any, error) {
	var tok string
	if err := json.Unmarshal(cred, &tok); err != nil {
		return nil, fmt.Errorf("local credential: %w", err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, stack.Unexpectedf("local credential is not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("local credential payload: %w", err)
	}
	var c struct {
		Evidence []map[string]any `json:"evidence"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("local credential payload: %w", err)
	}
	return c.Evidence, nil
}
