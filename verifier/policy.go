package verifier

import (
	"slices"
	"strings"
	"time"
)

// ClaimMode says what to do with a disclosed claim outside the cross-border
// allow-list of the recognition.
type ClaimMode int

// Claim modes. The zero value refuses.
const (
	// ClaimsRefuse fails the verification with claim_not_allowed_across_border.
	ClaimsRefuse ClaimMode = iota
	// ClaimsStrip removes the claim from the result and warns.
	ClaimsStrip
	// ClaimsAllow accepts every disclosed claim.
	ClaimsAllow
)

// StatusMode says what to do when a status list cannot be had.
type StatusMode int

// Status modes. The zero value fails closed.
const (
	// StatusFailClosed fails the verification with status_unavailable.
	StatusFailClosed StatusMode = iota
	// StatusWarn accepts the credential with a status_unavailable warning.
	// A list issued by someone other than the credential issuer still
	// fails (status_list_issuer_mismatch).
	StatusWarn
)

// HolderBinding says what ties the credentials of a presentation to its
// presenter (the holder).
type HolderBinding string

// Holder binding modes, strongest first. The zero value is
// HolderBindingSubject.
const (
	// HolderBindingSubject: the subject id of every credential must be the
	// holder (and, with RequireHolderBinding, every credential must name
	// one). SD-JWT VC: the key binding JWT by the cnf key.
	HolderBindingSubject HolderBinding = "subject"
	// HolderBindingHolderSigned: the presentation's proof (or key binding
	// JWT) must be by the holder; credential subjects may be others (a
	// director presenting the company's credential).
	HolderBindingHolderSigned HolderBinding = "holder-signed"
	// HolderBindingNone: no binding is checked beyond the presentation's
	// own proof and challenge.
	HolderBindingNone HolderBinding = "none"
)

// rank orders the modes: higher is stronger; -1 for an unknown mode.
func (m HolderBinding) rank() int {
	switch m {
	case "", HolderBindingSubject:
		return 2
	case HolderBindingHolderSigned:
		return 1
	case HolderBindingNone:
		return 0
	}
	return -1
}

// ParseHolderBinding reads a holder binding mode ("" is subject).
func ParseHolderBinding(s string) (HolderBinding, error) {
	m := HolderBinding(s)
	if m == "" {
		return HolderBindingSubject, nil
	}
	if m.rank() < 0 {
		return "", ErrHolderBindingUnknown
	}
	return m, nil
}

// DefaultClockSkew is the clock skew tolerated when Policy.ClockSkew is 0.
const DefaultClockSkew = time.Minute

// DefaultAssuranceLevels orders the local assurance levels from low to
// high when Policy.AssuranceLevels is empty.
var DefaultAssuranceLevels = []string{"low", "substantial", "high"}

// Policy is what a verifier accepts. The zero Policy is strict: recognition
// required, status fail-closed, disclosures outside the allow-list refused;
// only bearer credentials in presentations are accepted unless
// RequireHolderBinding is set.
type Policy struct {
	// LocalScheme is the verifier's own scheme, the one that recognises
	// foreign schemes.
	LocalScheme string `json:"localScheme,omitempty"`
	// RecognitionOptional skips recognition (pure cryptographic
	// verification) with a recognition_not_checked warning.
	RecognitionOptional bool `json:"recognitionOptional,omitempty"`
	// AcceptValidWhenIssued accepts a credential of a suspended authority
	// when it was issued while the authority was recognised and the
	// suspension is not back-dated before its issuance.
	AcceptValidWhenIssued bool `json:"acceptValidWhenIssued,omitempty"`
	// Jurisdictions, when set, lists the accepted issuer jurisdictions.
	Jurisdictions []string `json:"jurisdictions,omitempty"`
	// Schemes, when set, lists the accepted foreign schemes.
	Schemes []string `json:"schemes,omitempty"`
	// CredentialTypes, when set, lists the accepted credential types (one
	// of them must be present).
	CredentialTypes []string `json:"credentialTypes,omitempty"`
	// MinAssurance is the lowest local assurance level accepted ("" = any).
	MinAssurance string `json:"minAssurance,omitempty"`
	// AssuranceLevels orders the local scheme's levels from low to high
	// (the registry scheme's assurance_levels, e.g. L1, L2, L3). When
	// empty, DefaultAssuranceLevels are used. A level outside this list
	// (in MinAssurance: New fails; in a trust decision: assurance_too_low)
	// is never guessed from the digits in its name.
	AssuranceLevels []string `json:"assuranceLevels,omitempty"`
	// RequiredClaims lists local claim names that must be present.
	RequiredClaims []string `json:"requiredClaims,omitempty"`
	// RequiredProofsBy lists DIDs (witnesses, endorsers) each of which
	// must have a verified Data Integrity proof on the credential besides
	// the issuer's (a proof set or chain); a credential without one fails
	// with proof_missing. Whatever it says, every proof present must
	// verify and one must be the issuer's, for assertionMethod. Other
	// formats carry one signature: a policy naming a DID here refuses them.
	RequiredProofsBy []string `json:"requiredProofsBy,omitempty"`
	// CrossBorder is the treatment of claims (of every format, disclosed
	// or not) outside the recognition's allow-list.
	CrossBorder ClaimMode `json:"crossBorder,omitempty"`
	// ClockSkew is the tolerance on validity times (0: DefaultClockSkew,
	// negative: none).
	ClockSkew time.Duration `json:"clockSkew,omitempty"`
	// StatusFailMode is the treatment of an unavailable status list.
	StatusFailMode StatusMode `json:"statusFailMode,omitempty"`
	// RequireHolderBinding refuses, in a presentation, a credential whose
	// holder binding cannot be established: one without a subject id (a
	// bearer credential) fails with holder_binding_failed, as one whose
	// subject is not the presenter always does. SD-JWT VC presentations
	// are always bound (key binding JWT over the cnf key). False accepts
	// bearer credentials; the idport verifier service sets it unless
	// --allow-bearer-credentials is given.
	RequireHolderBinding bool `json:"requireHolderBinding,omitempty"`
	// HolderBinding is how the credentials of a presentation are tied to
	// the presenter ("" is HolderBindingSubject).
	HolderBinding HolderBinding `json:"holderBinding,omitempty"`
	// AllowWeakerHolderBinding lets a request ask for a weaker
	// HolderBinding than this policy's (RequestPolicy.HolderBinding);
	// without it such a request fails with ErrHolderBindingNotAllowed.
	AllowWeakerHolderBinding bool `json:"allowWeakerHolderBinding,omitempty"`
	// AllowCallerChallenge lets callers of VerifyPresentation supply a
	// challenge this verifier did not issue (it is then only compared,
	// not consumed).
	AllowCallerChallenge bool `json:"allowCallerChallenge,omitempty"`
}

func (p *Policy) skew() time.Duration {
	switch {
	case p.ClockSkew == 0:
		return DefaultClockSkew
	case p.ClockSkew < 0:
		return 0
	}
	return p.ClockSkew
}

// assuranceLevels returns the ordered levels (low to high) that local
// assurance is compared in: Policy.AssuranceLevels, or
// DefaultAssuranceLevels when it is empty.
func (p *Policy) assuranceLevels() []string {
	if len(p.AssuranceLevels) > 0 {
		return p.AssuranceLevels
	}
	return DefaultAssuranceLevels
}

// assuranceRank returns the rank of level among the policy's ordered
// levels, or -1 when the list does not hold it. Levels are compared only
// within that one list, the local scheme's: a level of another scheme
// ("L2" against low/substantial/high) is unknown, never ranked by the
// digits in its name. The default eIDAS names match case-insensitively;
// configured levels match exactly.
func (p *Policy) assuranceRank(level string) int {
	if len(p.AssuranceLevels) > 0 {
		return slices.Index(p.AssuranceLevels, level)
	}
	return slices.Index(DefaultAssuranceLevels, strings.ToLower(level))
}

// RequestPolicy narrows a verifier's Policy for one request. A request can
// only make a policy stricter, never looser.
type RequestPolicy struct {
	Jurisdictions   []string `json:"jurisdictions,omitempty"`
	Schemes         []string `json:"schemes,omitempty"`
	CredentialTypes []string `json:"credentialTypes,omitempty"`
	MinAssurance    string   `json:"minAssurance,omitempty"`
	RequiredClaims  []string `json:"requiredClaims,omitempty"`
	// RequiredProofsBy adds DIDs whose proof a credential must carry
	// (Policy.RequiredProofsBy).
	RequiredProofsBy []string `json:"requiredProofsBy,omitempty"`
	// HolderBinding asks for another holder binding mode for this
	// request: a stronger one always applies; a weaker one only when the
	// policy sets AllowWeakerHolderBinding (see NarrowChecked).
	HolderBinding HolderBinding `json:"holderBinding,omitempty"`
	// StripClaims asks for disclosures outside the allow-list to be
	// stripped when the verifier policy would allow them (a request never
	// turns a refusal into an acceptance).
	StripClaims bool `json:"stripClaims,omitempty"`
}

// Narrow returns p made stricter by r.
func (p Policy) Narrow(r RequestPolicy) Policy {
	out := p
	out.Jurisdictions = narrowList(p.Jurisdictions, r.Jurisdictions)
	out.Schemes = narrowList(p.Schemes, r.Schemes)
	out.CredentialTypes = narrowList(p.CredentialTypes, r.CredentialTypes)
	// A requested level outside the policy's levels is kept: it then
	// fails every credential (assurance_too_low) rather than being ignored.
	if want := p.assuranceRank(r.MinAssurance); r.MinAssurance != "" &&
		(p.MinAssurance == "" || want < 0 || want > p.assuranceRank(p.MinAssurance)) {
		out.MinAssurance = r.MinAssurance
	}
	if len(r.RequiredClaims) > 0 {
		out.RequiredClaims = append(slices.Clip(p.RequiredClaims), r.RequiredClaims...)
	}
	if len(r.RequiredProofsBy) > 0 {
		out.RequiredProofsBy = append(slices.Clip(p.RequiredProofsBy), r.RequiredProofsBy...)
	}
	if r.StripClaims && p.CrossBorder == ClaimsAllow {
		out.CrossBorder = ClaimsStrip
	}
	return out
}

// NarrowChecked is Narrow that also applies RequestPolicy.HolderBinding:
// a stronger mode always, a weaker one only when p.AllowWeakerHolderBinding
// (else ErrHolderBindingNotAllowed); an unknown mode fails with
// ErrHolderBindingUnknown.
func (p Policy) NarrowChecked(r RequestPolicy) (Policy, error) {
	out := p.Narrow(r)
	if r.HolderBinding == "" {
		return out, nil
	}
	want, err := ParseHolderBinding(string(r.HolderBinding))
	if err != nil {
		return Policy{}, err
	}
	if want.rank() < p.HolderBinding.rank() && !p.AllowWeakerHolderBinding {
		return Policy{}, ErrHolderBindingNotAllowed
	}
	out.HolderBinding = want
	return out, nil
}

// narrowList intersects an accepted list with a requested one; an empty
// list accepts everything.
func narrowList(have, want []string) []string {
	if len(want) == 0 {
		return have
	}
	if len(have) == 0 {
		return want
	}
	out := make([]string, 0, len(want))
	for _, w := range want {
		if slices.Contains(have, w) {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		// Nothing acceptable remains: accept nothing.
		return []string{"\x00none"}
	}
	return out
}
