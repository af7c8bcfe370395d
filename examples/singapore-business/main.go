// Command singapore-business tells story 1 of idport: a Singapore company's
// BusinessRegistration credential (VC-JOSE-COSE, typ vc+jwt) is verified by a Lingang verifier
// because the trust registry recognises the Singapore authority that issued it, and the
// company's claims come back under Lingang's own names (uen -> registrationNumber).
//
//	go run ./examples/singapore-business
//
// It starts a trust registry, a Singapore issuer and a Lingang verifier on loopback, each with
// its own bbolt file in a temporary directory, and exits non-zero on any unexpected outcome.
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
	"github.com/idport/idport/verifier"
)

func main() { stack.Main(run) }

func run(ctx context.Context, w io.Writer) error {
	t := &stack.Teller{W: w}
	s, reg, sg, err := stack.NewWorld(ctx, "sg-issuer")
	if err != nil {
		return err
	}
	defer s.Close()

	t.Step("Lingang's trust registry and a Singapore authority's issuer start on loopback")
	t.Say("registry %s, issuer %s signing as %s", reg.URL, sg.URL, stack.Short(sg.DID))

	t.Step("Regulators recognise Singapore's corporate scheme (alice proposes, bob approves)")
	version, err := demoseed.Seed(ctx, reg.Alice, reg.Bob, sg.DID, time.Now().Add(-time.Hour))
	if err != nil {
		return err
	}
	t.Say("registry version %d: authority %s (scheme %s) may issue %s; %s recognises it under agreement %s",
		version, demoseed.AuthorityID, demoseed.ForeignScheme, demoseed.Type, demoseed.LocalScheme, demoseed.AgreementID)

	t.Step("Lingang's verifier starts and pins the registry key")
	v, err := s.StartVerifier(ctx, "lingang-verifier", reg, verifier.Policy{LocalScheme: demoseed.LocalScheme,
		AssuranceLevels: []string{"L1", "L2", "L3"}, MinAssurance: "L3"}, 0)
	if err != nil {
		return err
	}
	t.Say("verifier %s holds the signed snapshot of registry version %d", v.URL, v.Trust.Status().Version)

	t.Step("The Singapore company gets its BusinessRegistration credential (vc+jwt, EdDSA)")
	cred, _, err := sg.Issue(ctx, demoseed.Type, "vc+jwt", map[string]any{"id": "did:example:acme-sg",
		"uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.", "registeredAddress": "1 Marina Boulevard, Singapore 018989",
		"incorporationDate": "2019-04-02", "entityType": "Private Company Limited by Shares"}, nil)
	if err != nil {
		return err
	}
	var env struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if err := json.Unmarshal(cred, &env); err != nil {
		return fmt.Errorf("issued credential: %w", err)
	}
	t.Say("POST %s/credentials/issue -> 201 %s (%s...)", sg.URL, env.Type, env.ID[:40])

	t.Step("The company presents it to Lingang: POST /credentials/verify")
	res, status, err := v.VerifyCredential(ctx, cred)
	if err != nil {
		return err
	}
	if status != http.StatusOK || !res.Verified || res.Recognition == nil {
		return stack.Unexpectedf("want 200 verified, got HTTP %d %s", status, stack.Summary(res))
	}
	for _, c := range res.Results.Checks {
		t.Say("check %-12s %s", c.Name, c.Outcome)
	}
	r := res.Recognition
	t.Say("grounds: authority %s, scheme %s (%s), agreement %s, local assurance %s, registry version %d",
		r.Authority, r.Scheme, r.Jurisdiction, r.Agreement, r.LocalAssurance, r.RegistryVersion)
	claims, _ := json.Marshal(res.Claims)
	t.Say("claims under Lingang's names: %s", claims)
	if res.Claims["registrationNumber"] != "201912345K" {
		return stack.Unexpectedf("uen not mapped to registrationNumber: %s", claims)
	}
	t.Outcome("accepted: HTTP 200, issuer recognised as %s in %s, uen mapped to registrationNumber=%v",
		r.Authority, r.Jurisdiction, res.Claims["registrationNumber"])

	t.Step("Someone alters the credential on the way: another company's uen in the signed payload")
	tampered, err := alterUEN(cred, "201912345K", "199900001Z")
	if err != nil {
		return err
	}
	res, status, err = v.VerifyCredential(ctx, tampered)
	if err != nil {
		return err
	}
	if status != http.StatusBadRequest || res.Verified {
		return stack.Unexpectedf("want 400 for an altered credential, got HTTP %d %s", status, stack.Summary(res))
	}
	t.Outcome("rejected: HTTP 400 %s", stack.FirstError(res))
	return nil
}

// alterUEN swaps a claim value inside the payload of an enveloped vc+jwt credential, keeping
// the original signature: what an attacker without the issuer's key can do.
func alterUEN(cred json.RawMessage, from, to string) (json.RawMessage, error) {
	var env map[string]any
	if err := json.Unmarshal(cred, &env); err != nil {
		return nil, fmt.Errorf("alter: %w", err)
	}
	id, _ := env["id"].(string)
	jwt, ok := strings.CutPrefix(id, "data:application/vc+jwt,")
	parts := strings.Split(jwt, ".")
	if !ok || len(parts) != 3 {
		return nil, stack.Unexpectedf("not an enveloped vc+jwt credential: %.60s", id)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("alter: %w", err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), from, to, 1)))
	env["id"] = "data:application/vc+jwt," + strings.Join(parts, ".")
	return json.Marshal(env)
}
