package issuer

import (
	"context"
	"encoding/json"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// ForeignPresentationVerifier is a ForeignVerifier that also verifies holder-bound
// presentations of a foreign credential, against single-use challenges it issues. The binary
// wires the verifier engine behind it (internal/crossborder); an OnboardingConfig.Verifier
// without it onboards bare credentials only.
type ForeignPresentationVerifier interface {
	ForeignVerifier
	// ForeignChallenge returns a fresh single-use challenge and when it expires.
	ForeignChallenge(ctx context.Context) (string, time.Time, error)
	// VerifyForeignPresentation verifies a presentation (a JWT or SD-JWT+KB presentation as a
	// JSON string, or a Data Integrity presentation object): the presenter's proof, a challenge
	// from ForeignChallenge (consumed), audience as its audience or domain, the holder binding
	// of every credential it carries, and each credential as VerifyForeign does. On success
	// ForeignResult.Credential is the one foreign credential it carries (empty when it carries
	// none or several) and Holder the presenter. A refusal is a result with Verified false.
	VerifyForeignPresentation(ctx context.Context, presentation json.RawMessage, audience string) (ForeignResult, error)
}

// OnboardingChallenge is a challenge for an onboarding presentation: the applicant's wallet
// signs a presentation with Challenge as its nonce and Domain as its audience.
type OnboardingChallenge struct {
	Challenge string    `json:"challenge"`
	Domain    string    `json:"domain"`
	Expires   time.Time `json:"expiresAt"`
}

// presentations returns the onboarding's presentation verifier, or why there is none.
func (is *Issuer) presentations(client *Client) (ForeignPresentationVerifier, error) {
	o := is.onboard
	if o == nil {
		return nil, errs.Errorf(CodeOnboardingDisabled, "onboarding disabled: this issuer onboards no foreign credentials")
	}
	if !client.Allows(o.typ.Name) {
		return nil, errs.Errorf(CodeForbidden, "forbidden: API key %s may not issue %s", client.ID, o.typ.Name)
	}
	pv, ok := o.cfg.Verifier.(ForeignPresentationVerifier)
	if !ok {
		return nil, errs.Errorf(CodeOnboardingDisabled, "onboarding disabled: this issuer onboards foreign credentials, not presentations")
	}
	return pv, nil
}

// OnboardingChallenge issues a challenge for an onboarding presentation, its domain being this
// issuer's base URL.
func (is *Issuer) OnboardingChallenge(ctx context.Context, client *Client) (*OnboardingChallenge, error) {
	pv, err := is.presentations(client)
	if err != nil {
		return nil, err
	}
	ch, exp, err := pv.ForeignChallenge(ctx)
	if err != nil {
		return nil, errs.Wrap(CodeStore, "store failed: issuing an onboarding challenge", err)
	}
	return &OnboardingChallenge{Challenge: ch, Domain: is.BaseURL(), Expires: exp.UTC()}, nil
}

// OnboardPresentation onboards the foreign credential of a holder-bound presentation made for a
// challenge from OnboardingChallenge (single use) with this issuer's base URL as audience. Once
// the presentation verifies, it goes as Onboard does: the same local credential and evidence,
// idempotent on the digest of the foreign credential the presentation carries (for an SD-JWT,
// its issuer-signed JWT, so that every disclosure choice is the same credential). The record
// names the presenter (Holder).
func (is *Issuer) OnboardPresentation(ctx context.Context, presentation json.RawMessage, client *Client) (*Onboarding, error) {
	pv, err := is.presentations(client)
	if err != nil {
		return nil, err
	}
	if len(presentation) == 0 || string(presentation) == "null" {
		return nil, errs.Errorf(CodeInvalidRequest, "invalid request: give the presentation")
	}
	res, err := pv.VerifyForeignPresentation(ctx, presentation, is.BaseURL())
	if err != nil {
		return nil, errs.Wrap(CodeForeignNotVerified, "foreign credential not verified: the verification could not run", err)
	}
	if !res.Verified {
		return nil, refusal(res)
	}
	if len(res.Credential) == 0 {
		return nil, errs.Errorf(CodeInvalidRequest, "invalid request: an onboarding presentation carries exactly one foreign credential")
	}
	digest, err := ForeignDigest(res.Credential)
	if err != nil {
		return nil, err
	}
	id := OnboardingID(digest)
	defer is.onboard.lock(digest)()
	if prev, err := is.onboard.existing(ctx, id, digest); prev != nil || err != nil {
		return prev, err
	}
	return is.issueOnboarding(ctx, id, digest, res, client)
}
