// Package crossborder wires the verifier engine into the issuer for cross-border onboarding: a
// verifier.Verifier (and its trust source) as an issuer.ForeignVerifier. The issuer and the
// verifier never import each other; the binary and the example harness meet them here.
package crossborder

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/verifier"
)

// notRecognised are the verifier codes that refuse a foreign credential for who issued it or
// what crosses the border, rather than for the credential itself.
var notRecognised = []verifier.Code{
	verifier.CodeIssuerNotRecognised, verifier.CodeAuthoritySuspended, verifier.CodeTypeNotRecognised,
	verifier.CodeAssuranceTooLow, verifier.CodeClaimNotAllowedAcrossBorder, verifier.CodeJurisdictionNotAccepted,
	verifier.CodeSchemeNotAccepted, verifier.CodeCredentialTypeNotAccepted,
	"authority_not_active", "authority_revoked", "type_not_authorised", "scheme_not_recognised",
	"local_scheme_unknown", "recognition_inactive", "agreement_inactive", "assurance_not_mapped", "key_not_pinned",
}

// Verifier is an issuer.ForeignVerifier over a verifier engine.
type Verifier struct {
	// Verifier verifies the foreign credentials; its policy's LocalScheme is the recognising
	// scheme, and its CrossBorder mode decides claims outside the allow-list (refuse, the
	// default, fails the onboarding with claim_not_allowed_across_border).
	Verifier *verifier.Verifier
	// Trust answers the current recognition of an onboarded issuer (the verifier's source).
	Trust verifier.TrustSource
	// LocalScheme is the recognising scheme (the verifier policy's).
	LocalScheme string
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

var _ issuer.ForeignPresentationVerifier = (*Verifier)(nil)

// VerifyForeign implements issuer.ForeignVerifier.
func (v *Verifier) VerifyForeign(ctx context.Context, credential json.RawMessage) (issuer.ForeignResult, error) {
	r, err := v.Verifier.VerifyCredential(ctx, credential)
	if err != nil {
		return issuer.ForeignResult{}, fmt.Errorf("verifying foreign credential: %w", err)
	}
	return foreignResult(r), nil
}

// foreignResult maps a verifier result to the issuer's.
func foreignResult(r *verifier.Result) issuer.ForeignResult {
	out := issuer.ForeignResult{Verified: r.Verified, Issuer: r.Issuer, Types: foreignTypes(r.Types), Claims: r.Claims}
	for _, p := range r.Errors {
		out.Codes = append(out.Codes, string(p.Code))
		if p.Code == verifier.CodeRegistryStale {
			out.Stale = true
		}
		if slices.Contains(notRecognised, p.Code) {
			out.NotRecognised = true
		}
	}
	if len(r.Errors) > 0 {
		out.Message = r.Errors[0].Message
	}
	if g := r.Recognition; g != nil {
		out.Grounds = issuer.RecognitionGrounds{Authority: g.Authority, Scheme: g.Scheme, Jurisdiction: g.Jurisdiction,
			Agreement: g.Agreement, Recognition: g.Recognition, ForeignAssurance: g.ForeignAssurance,
			LocalAssurance: g.LocalAssurance, RegistryVersion: g.RegistryVersion}
	}
	return out
}

// RecognitionNow implements issuer.ForeignVerifier: one trust decision per type, now.
func (v *Verifier) RecognitionNow(ctx context.Context, issuerDID string, types []string) (issuer.RecognitionState, error) {
	now := time.Now()
	if v.Clock != nil {
		now = v.Clock()
	}
	st := issuer.RecognitionState{Recognised: true, Code: "recognised", CheckedAt: now.UTC()}
	for _, t := range types {
		d, err := v.Trust.Decide(ctx, verifier.TrustQuery{Issuer: issuerDID, CredentialType: t, LocalScheme: v.LocalScheme, At: now})
		if err != nil {
			return issuer.RecognitionState{}, fmt.Errorf("recognition of %s for %s: %w", issuerDID, t, err)
		}
		st.RegistryVersion, st.Message = d.RegistryVersion, d.Message
		if !d.Recognised {
			st.Recognised, st.Code = false, d.Code
			return st, nil
		}
	}
	return st, nil
}

// foreignTypes drops VerifiableCredential from a credential's types.
func foreignTypes(types []string) []string {
	out := make([]string, 0, len(types))
	for _, t := range types {
		if t != "VerifiableCredential" {
			out = append(out, t)
		}
	}
	return out
}
