// Command hongkong-minimal-disclosure tells story 2 of idport: a Hong Kong resident holds a
// PersonIdentity credential as an SD-JWT VC and presents it to a Lingang verifier disclosing
// only the claims that the recognition agreement allows across the border. A presentation
// that discloses more (the HKID number, the birth date) is refused with
// claim_not_allowed_across_border, and the verifier says which claims were outside the list.
//
//	go run ./examples/hongkong-minimal-disclosure
//
// It starts a trust registry, a Hong Kong issuer and a Lingang verifier on loopback and exits
// non-zero on any unexpected outcome.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
)

func main() { stack.Main(run) }

// The Lingang side of this story: its resident identity scheme.
var lingangResidents = stack.Side{Jurisdiction: "CN-SH-LG", JurisdictionName: "Lingang Special Area, Shanghai",
	Scheme: "cn-sh-lg.resident", SchemeName: "Lingang resident identity"}

// verifierAudience is the audience the holder binds the presentation to.
const verifierAudience = "https://verifier.lingang.example"

func run(ctx context.Context, w io.Writer) error {
	t := &stack.Teller{W: w}
	s, reg, hk, err := stack.NewWorld(ctx, "hk-issuer")
	if err != nil {
		return err
	}
	defer s.Close()

	t.Step("The registry and the Hong Kong issuer start; the resident has a key of her own")
	holder, err := keys.Generate(keys.EdDSA)
	if err != nil {
		return err
	}
	holderJWK, err := keys.PublicJWK(holder.Public, "")
	if err != nil {
		return err
	}
	// An SD-JWT VC names its type in vct; this issuer's is its base URL + /types/<name>.
	vct := hk.URL + "/types/PersonIdentity"
	t.Say("issuer %s signs as %s; its PersonIdentity credentials have vct %s", hk.URL, stack.Short(hk.DID), vct)

	t.Step("Regulators record the agreement: only names, nationality and an age check may cross")
	rec := stack.Recognition{Local: lingangResidents,
		Foreign:     stack.Side{Jurisdiction: "HK", JurisdictionName: "Hong Kong", Scheme: "hk.iamsmart", SchemeName: "iAM Smart"},
		AuthorityID: "hk-immd", AuthorityName: "Hong Kong Immigration Department (example)", DID: hk.DID,
		Types:         []string{vct},
		ClaimMapping:  map[string]string{"familyName": "surname"},
		AllowedClaims: []string{"givenName", "familyName", "nationality", "ageOver18"},
		Agreement:     "hk-cn-sh-lg-residents", Effective: time.Now().Add(-time.Hour)}
	version, err := rec.Apply(ctx, reg, "HK - Lingang resident identity arrangement")
	if err != nil {
		return err
	}
	t.Say("registry version %d: %s recognises %s; allowed across the border: %s", version,
		lingangResidents.Scheme, rec.Foreign.Scheme, strings.Join(rec.AllowedClaims, ", "))

	t.Step("Lingang's verifier starts (policy: refuse disclosures outside the allow-list)")
	v, err := s.StartVerifier(ctx, "lingang-verifier", reg, verifier.Policy{LocalScheme: lingangResidents.Scheme, CrossBorder: verifier.ClaimsRefuse}, 0)
	if err != nil {
		return err
	}
	t.Say("verifier %s at registry version %d", v.URL, v.Trust.Status().Version)

	t.Step("The resident gets her PersonIdentity credential as an SD-JWT VC bound to her key")
	cred, _, err := hk.Issue(ctx, "PersonIdentity", "dc+sd-jwt", map[string]any{
		"givenName": "Mei Ling", "familyName": "Chan", "birthDate": "1990-07-01", "nationality": "HK",
		"residency": "Hong Kong", "idNumber": "A123456(7)", "ageOver18": true,
	}, map[string]any{"holderJwk": json.RawMessage(holderJWK)})
	if err != nil {
		return err
	}
	var sdjwt string
	if err := json.Unmarshal(cred, &sdjwt); err != nil {
		return fmt.Errorf("issued SD-JWT: %w", err)
	}
	t.Say("%d disclosures, each one a claim she may reveal or withhold", strings.Count(sdjwt, "~")-1)

	t.Step("She presents only what the agreement allows: given name, family name, over 18")
	res, status, err := present(ctx, v, holder, sdjwt, "givenName", "familyName", "ageOver18")
	if err != nil {
		return err
	}
	if status != http.StatusOK || !res.Verified {
		return stack.Unexpectedf("want 200 verified for a minimal disclosure, got HTTP %d %s", status, stack.Summary(res))
	}
	claims, _ := json.Marshal(res.Claims)
	t.Say("claims received (familyName under Lingang's name surname): %s", claims)
	t.Outcome("minimal disclosure accepted: HTTP 200, recognised as %s (%s), disclosed %s",
		res.Recognition.Authority, res.Recognition.Jurisdiction, strings.Join(res.Results.Disclosed, ","))

	t.Step("A second presentation over-discloses: HKID number and birth date as well")
	res, status, err = present(ctx, v, holder, sdjwt, "givenName", "familyName", "idNumber", "birthDate")
	if err != nil {
		return err
	}
	if status != http.StatusBadRequest || !stack.HasError(res, string(verifier.CodeClaimNotAllowedAcrossBorder)) {
		return stack.Unexpectedf("want 400 claim_not_allowed_across_border, got HTTP %d %s", status, stack.Summary(res))
	}
	t.Say("the verifier explains: %s", res.Errors[0].Detail)
	t.Outcome("over-disclosure refused: HTTP 400 %s", res.Errors[0].Code)
	return nil
}

// present is the holder's wallet: it keeps the chosen disclosures, asks the verifier for a
// challenge, signs a key-binding JWT over it and posts the presentation.
func present(ctx context.Context, v *stack.Verifier, holder *keys.Key, sdjwt string, keep ...string) (*httpapi.Response, int, error) {
	kept, err := vcjwt.Present(sdjwt, keep)
	if err != nil {
		return nil, 0, fmt.Errorf("select disclosures: %w", err)
	}
	challenge, err := v.Challenge(ctx)
	if err != nil {
		return nil, 0, err
	}
	vp, err := vcjwt.SignKeyBinding(holder, kept, challenge, verifierAudience, time.Now())
	if err != nil {
		return nil, 0, fmt.Errorf("key binding: %w", err)
	}
	return v.VerifyPresentation(ctx, vp, verifierAudience)
}
