// Command revocation tells story 4 of idport: an issuer revokes or suspends one credential
// through its status list (POST /credentials/status), and the verifier rejects it on its next
// check, once its bounded cache of the list expires. Both kinds of list are shown: a W3C
// Bitstring Status List for a vc+jwt credential, and an IETF Token Status List for an SD-JWT VC
// (suspended, then reinstated).
//
//	go run ./examples/revocation
package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/verifier"
)

func main() { stack.Main(run) }

// statusCache is how long the verifier may use a status list before fetching it again: the
// bound on how late a revocation is seen. Production verifiers use minutes; the example, one
// second.
const statusCache = time.Second

func run(ctx context.Context, w io.Writer) error {
	t := &stack.Teller{W: w}
	s, reg, is, err := stack.NewWorld(ctx, "hk-issuer")
	if err != nil {
		return err
	}
	defer s.Close()

	t.Step("An issuer, the registry recognising it, and a verifier caching status lists for %s", statusCache)
	vct := is.URL + "/types/PersonIdentity"
	rec := stack.Recognition{Local: stack.Lingang,
		Foreign:     stack.Side{Jurisdiction: "HK", JurisdictionName: "Hong Kong", Scheme: "hk.digital", SchemeName: "Hong Kong digital identity"},
		AuthorityID: "hk-registrar", AuthorityName: "Hong Kong registrar (example)", DID: is.DID,
		Types: []string{"BusinessRegistration", vct}, Agreement: "hk-cn-sh-lg", Effective: time.Now().Add(-time.Hour)}
	if _, err := rec.Apply(ctx, reg, "recognise the Hong Kong registrar"); err != nil {
		return err
	}
	v, err := s.StartVerifier(ctx, "lingang-verifier", reg, verifier.Policy{LocalScheme: stack.Lingang.Scheme}, statusCache)
	if err != nil {
		return err
	}

	t.Step("Two credentials: a vc+jwt (Bitstring Status List) and an SD-JWT VC (Token Status List)")
	w3c, w3cID, err := is.Issue(ctx, "BusinessRegistration", "vc+jwt", map[string]any{"uen": "HK-0042", "legalName": "Harbour Ltd",
		"registeredAddress": "1 Queen's Road", "incorporationDate": "2015-01-05", "entityType": "Limited company"}, nil)
	if err != nil {
		return err
	}
	sd, sdID, err := is.Issue(ctx, "PersonIdentity", "dc+sd-jwt", map[string]any{"givenName": "Wing", "familyName": "Lee",
		"birthDate": "1985-03-03", "nationality": "HK"}, nil)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		cred json.RawMessage
	}{{"vc+jwt", w3c}, {"dc+sd-jwt", sd}} {
		res, status, err := v.VerifyCredential(ctx, c.cred)
		if err != nil {
			return err
		}
		if status != http.StatusOK || res.Results.Status == nil || !res.Results.Status.Checked {
			return stack.Unexpectedf("%s: want 200 with a checked status, got HTTP %d %s", c.name, status, stack.Summary(res))
		}
		t.Say("%-9s -> HTTP 200; status %q entry checked in %s", c.name, res.Results.Status.Purpose, res.Results.Status.List)
	}

	t.Step("The issuer revokes the vc+jwt credential")
	if err := change(ctx, t, is, w3cID, "revoke"); err != nil {
		return err
	}
	if err := waitFor(ctx, t, v, w3c, verifier.CodeRevoked); err != nil {
		return err
	}

	t.Step("The issuer suspends the SD-JWT VC, then reinstates it")
	if err := change(ctx, t, is, sdID, "suspend"); err != nil {
		return err
	}
	if err := waitFor(ctx, t, v, sd, verifier.CodeSuspended); err != nil {
		return err
	}
	if err := change(ctx, t, is, sdID, "reinstate"); err != nil {
		return err
	}
	return waitFor(ctx, t, v, sd, "")
}

// change posts a status change to the issuer.
func change(ctx context.Context, t *stack.Teller, is *stack.Issuer, id, action string) error {
	r, err := is.SetStatus(ctx, id, action)
	if err != nil {
		return err
	}
	t.Say("POST /credentials/status {credentialId: %s, action: %s} -> %s", stack.Short(id), action, r.State)
	return nil
}

// waitFor verifies cred until the verifier answers with code ("" = verified), and says how long
// the verifier's cached list hid the change.
func waitFor(ctx context.Context, t *stack.Teller, v *stack.Verifier, cred json.RawMessage, code verifier.Code) error {
	start := time.Now()
	var last string
	err := stack.Eventually(ctx, func() (bool, error) {
		res, _, err := v.VerifyCredential(ctx, cred)
		if err != nil {
			return false, err
		}
		last = stack.Summary(res)
		if code == "" {
			return res.Verified, nil
		}
		return stack.HasError(res, string(code)), nil
	})
	if err != nil {
		return stack.Unexpectedf("the verifier never answered %q (last: %s): %v", code, last, err)
	}
	if code == "" {
		t.Outcome("verified again after %.1fs (HTTP 200)", time.Since(start).Seconds())
		return nil
	}
	t.Outcome("rejected after %.1fs: HTTP 400 %s", time.Since(start).Seconds(), code)
	return nil
}
