package verifier

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcld"
)

// diError maps pkg/vcld failures to stable codes.
func diError(err error) Code {
	switch {
	case errors.Is(err, vcld.ErrSignatureInvalid), errors.Is(err, vcld.ErrProofMismatch):
		return CodeSignatureInvalid
	case errors.Is(err, vcld.ErrKeyNotFound):
		return CodeKeyNotFound
	case errors.Is(err, vcld.ErrUnsupportedSuite):
		return CodeUnsupportedFormat
	case errors.Is(err, vcld.ErrChallenge):
		return CodeChallengeInvalid
	}
	return CodeMalformed
}

// diKeys returns a vcld.KeyResolver that resolves only keys of owner
// listed for purpose, through the key cache. The entry found is kept in
// *found for the trust query.
func (v *Verifier) diKeys(owner string, purpose did.Purpose, found **keyEntry) vcld.KeyResolver {
	return func(ctx context.Context, vm string) (crypto.PublicKey, error) {
		if owner != "" && !keyBelongsTo(vm, owner) {
			return nil, fmt.Errorf("%w: %q is not a key of %q", errKeyNotFound, truncate(vm), truncate(owner))
		}
		e, err := v.keys.get(ctx, vm, purpose, v.now())
		if err != nil {
			return nil, err
		}
		*found = e
		return e.pub, nil
	}
}

// checkDataIntegrity verifies the embedded proof of a JSON-LD credential
// (eddsa-rdfc-2022, Ed25519Signature2020) through pkg/vcld and fills c from
// the verified document.
func (v *Verifier) checkDataIntegrity(ctx context.Context, c *credential) (string, Code, error) {
	var e *keyEntry
	res, err := vcld.VerifyCredential(ctx, c.document, v.diKeys(c.issuer, did.AssertionMethod, &e))
	if err != nil {
		return "", diError(err), fmt.Errorf("data integrity proof: %w", err)
	}
	if e == nil {
		return "", CodeKeyNotFound, errors.New("data integrity proof: no key resolved")
	}
	c.issuer, c.types = res.Issuer, res.Types
	if res.ValidFrom != nil {
		c.validFrom = *res.ValidFrom
	}
	if res.ValidUntil != nil {
		c.validUntil = *res.ValidUntil
	}
	switch {
	case res.Version == 1 && res.ValidFrom != nil:
		c.issuedAt = *res.ValidFrom
	case len(res.Proofs) > 0:
		c.issuedAt = res.Proofs[0].Created
	}
	c.claims, c.subject = nil, ""
	if len(res.Subject) > 0 {
		c.claims = make(map[string]any, len(res.Subject[0]))
		for k, val := range res.Subject[0] {
			if k == "id" {
				c.subject, _ = val.(string)
				continue
			}
			c.claims[k] = val
		}
	}
	c.status = nil
	if len(res.Status) > 0 {
		if c.status, err = statusRefs(res.Status); err != nil {
			return "", CodeMalformed, err
		}
	}
	return e.thumb, "", nil
}

// parseDIPresentation reads a JSON-LD presentation with an embedded proof.
func parseDIPresentation(raw []byte) (*presentation, error) {
	p, err := vc.ParsePresentation(raw)
	if err != nil {
		return nil, perr(CodeMalformed, "presentation: %v", err)
	}
	if len(p.Proof) == 0 {
		return nil, perr(CodeMalformed, "presentation has no proof")
	}
	pr := &presentation{format: vc.FormatDI, holder: p.Holder, document: raw}
	if len(p.Credentials) > maxPresentedCredentials {
		return nil, perr(CodeMalformed, "%d credentials in one presentation, at most %d", len(p.Credentials), maxPresentedCredentials)
	}
	for _, c := range p.Credentials {
		pr.credentials = append(pr.credentials, []byte(c))
	}
	return pr, nil
}

// checkDIPresentation verifies the presentation proof and reads its
// challenge and domain.
func (v *Verifier) checkDIPresentation(ctx context.Context, pr *presentation, o PresentationOptions) (Code, error) {
	// vcld resolves the keys of the embedded credentials with the same
	// resolver and checks that each proof's key is controlled by its issuer
	// or holder, for the right proof purpose.
	var e *keyEntry
	res, err := vcld.VerifyPresentation(ctx, pr.document, v.diKeys("", did.AnyPurpose, &e),
		vcld.PresentationOptions{Challenge: o.Challenge, Domain: o.Domain})
	if err != nil {
		return diError(err), fmt.Errorf("presentation proof: %w", err)
	}
	if e == nil {
		return CodeKeyNotFound, errors.New("presentation proof: no key resolved")
	}
	if pr.holder == "" {
		// No holder member: the presenter is the DID of the proof key.
		pr.holder, _, _ = strings.Cut(res.Proof.VerificationMethod, "#")
	}
	pr.nonce = res.Proof.Challenge
	if res.Proof.Domain != "" {
		pr.audience = []string{res.Proof.Domain}
	}
	return "", nil
}
