package verifier

import (
	"time"

	"github.com/idport/idport/pkg/vc"
)

// Outcome is the outcome of one check.
type Outcome string

// Check outcomes.
const (
	Passed  Outcome = "passed"
	Failed  Outcome = "failed"
	Warned  Outcome = "warning"
	Skipped Outcome = "skipped"
)

// Names of the checks, in the order they run.
const (
	CheckFormat       = "format"
	CheckSignature    = "signature"
	CheckValidity     = "validity"
	CheckStatus       = "status"
	CheckRecognition  = "recognition"
	CheckAssurance    = "assurance"
	CheckPolicy       = "policy"
	CheckDisclosures  = "disclosures"
	CheckChallenge    = "challenge"
	CheckHolder       = "holder_binding"
	CheckPresentation = "presentation_signature"
)

// Check is one check performed, in order.
type Check struct {
	Name    string  `json:"name"`
	Outcome Outcome `json:"outcome"`
	Code    Code    `json:"code,omitempty"`
}

// Problem is an error or a warning with a stable code.
type Problem struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Recognition holds the registry facts that ground the acceptance of a
// foreign issuer.
type Recognition struct {
	Authority        string `json:"authority"`
	Scheme           string `json:"scheme"`
	Jurisdiction     string `json:"jurisdiction"`
	Agreement        string `json:"agreement,omitempty"`
	Recognition      string `json:"recognition,omitempty"`
	LocalAssurance   string `json:"localAssurance,omitempty"`
	ForeignAssurance string `json:"foreignAssurance,omitempty"`
	RegistryVersion  uint64 `json:"registryVersion"`
	// ValidWhenIssued is true when the authority is suspended now but the
	// policy accepted the credential because it was issued before a
	// suspension that is not back-dated.
	ValidWhenIssued bool `json:"validWhenIssued,omitempty"`
	// Provenance says where the registry obtained the issuer's key (a
	// trusted list, a federation chain, a DID document, DNS-DID, or the
	// regulators by hand); nil when the trust source does not say.
	Provenance *Provenance `json:"provenance,omitempty"`
	// Chain names the OpenID Federation trust chain ("leaf -> anchor")
	// when the issuer is recognised by federation framework.
	Chain string `json:"chain,omitempty"`
}

// StatusInfo reports the status check of a credential.
type StatusInfo struct {
	// Checked is true when a status list was consulted.
	Checked bool `json:"checked"`
	// Purpose is the status purpose (revocation, suspension) or "token".
	Purpose string `json:"purpose,omitempty"`
	// List is the URL of the status list.
	List string `json:"list,omitempty"`
	// Value is the status value found (0 = valid).
	Value uint8 `json:"value"`
	// CacheAge is how old the consulted copy of the list was.
	CacheAge time.Duration `json:"cacheAgeNanos"`
	// Stale is true when the copy was past its expiry, used because a
	// refresh failed (a status_stale warning says so).
	Stale bool `json:"stale,omitempty"`
}

// Result is the explained outcome of a verification.
type Result struct {
	// Verified is true when every check passed (warnings allowed).
	Verified bool `json:"verified"`
	// Format is the detected securing format.
	Format vc.Format `json:"format,omitempty"`
	// Checks lists the checks performed in order.
	Checks []Check `json:"checks"`
	// Errors lists the failures; empty when Verified. Each carries a
	// stable Code: malformed, unsupported_format, alg_not_allowed,
	// key_not_found, signature_invalid, expired, not_yet_valid, revoked,
	// suspended, status_unavailable, status_list_issuer_mismatch,
	// issuer_not_recognised, authority_suspended, type_not_recognised,
	// assurance_too_low, claim_not_allowed_across_border,
	// challenge_invalid, challenge_reused, challenge_wrong_audience,
	// holder_binding_failed,
	// registry_stale, jurisdiction_not_accepted, scheme_not_accepted,
	// credential_type_not_accepted, required_claim_missing,
	// proof_chain_invalid, proof_missing, ambiguous_subject.
	Errors []Problem `json:"errors"`
	// Warnings lists what passed with a reservation: recognition_not_checked,
	// claim_stripped, status_not_checked, status_stale, and
	// status_unavailable or authority_suspended when the policy downgrades
	// them to warnings.
	Warnings []Problem `json:"warnings"`
	// Recognition holds the registry grounds, when recognition passed.
	Recognition *Recognition `json:"recognition,omitempty"`
	// Claims are the subject claims under local names (mapped through the
	// recognition's claim mapping; unmapped claims keep their names).
	Claims map[string]any `json:"claims,omitempty"`
	// Issuer is the issuer identifier (a DID).
	Issuer string `json:"issuer,omitempty"`
	// Subject is the subject identifier, if any.
	Subject string `json:"subject,omitempty"`
	// Types lists the credential types.
	Types []string `json:"types,omitempty"`
	// IssuedAt, ValidFrom and ValidUntil are the validity facts used.
	IssuedAt   time.Time `json:"issuedAt,omitzero"`
	ValidFrom  time.Time `json:"validFrom,omitzero"`
	ValidUntil time.Time `json:"validUntil,omitzero"`
	// Status reports the status entry that decided the status check (the
	// first that failed, else the first), if the credential has a status.
	Status *StatusInfo `json:"status,omitempty"`
	// Statuses reports every status entry of the credential, in order:
	// each is checked.
	Statuses []StatusInfo `json:"statuses,omitempty"`
	// Disclosed lists the paths of the SD-JWT claims disclosed by the
	// holder, rendered as vcjwt.ClaimPath does: "address.street", an array
	// element by its index ("nationalities[1]"), a name holding a dot
	// quoted (`["a.b"]`).
	Disclosed []string `json:"disclosed,omitempty"`
	// Stripped lists, by name (under local names), the claims withheld
	// from Claims with a claim_stripped warning: outside the cross-border
	// allow-list (Policy.CrossBorder ClaimsStrip), or of a credential type
	// the policy does not rely on. Values are never reported.
	Stripped []string `json:"stripped,omitempty"`
	// Holder is the presenter (presentations only).
	Holder string `json:"holder,omitempty"`
	// Credentials holds the results of the credentials of a presentation.
	Credentials []*Result `json:"credentials,omitempty"`
	// Document reports the facts of an OpenAttestation document
	// (VerifyDocument only): hashes, signing key, DNS identity, hidden fields.
	Document *DocumentInfo `json:"document,omitempty"`

	// checkBuf, statusBuf and recognition back Checks, Statuses and
	// Recognition for the usual counts: one allocation holds them all.
	checkBuf    [8]Check
	statusBuf   [1]StatusInfo
	recognition Recognition
}

// HasError reports whether r carries an error with code c.
func (r *Result) HasError(c Code) bool {
	for _, p := range r.Errors {
		if p.Code == c {
			return true
		}
	}
	return false
}

// HasWarning reports whether r carries a warning with code c.
func (r *Result) HasWarning(c Code) bool {
	for _, p := range r.Warnings {
		if p.Code == c {
			return true
		}
	}
	return false
}

// FirstError returns the code of the first error, or "".
func (r *Result) FirstError() Code {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code
}

// passed reports whether check name ran and passed.
func (r *Result) passed(name string) bool {
	for _, c := range r.Checks {
		if c.Name == name && c.Outcome == Passed {
			return true
		}
	}
	return false
}

func (r *Result) pass(name string) {
	r.Checks = append(r.Checks, Check{Name: name, Outcome: Passed})
}

func (r *Result) fail(name string, code Code, msg string) {
	r.Checks = append(r.Checks, Check{Name: name, Outcome: Failed, Code: code})
	r.Errors = append(r.Errors, Problem{Code: code, Message: msg})
	r.Verified = false
}

func (r *Result) warn(name string, code Code, msg string) {
	r.Checks = append(r.Checks, Check{Name: name, Outcome: Warned, Code: code})
	r.Warnings = append(r.Warnings, Problem{Code: code, Message: msg})
}

func (r *Result) skip(name string, code Code) {
	r.Checks = append(r.Checks, Check{Name: name, Outcome: Skipped, Code: code})
}
