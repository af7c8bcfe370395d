package verifier

import "github.com/idport/idport/pkg/errs"

// Sentinel errors returned by the SDK (not verification failures, which are
// reported in a Result with Verified false and a nil error). Each is a
// pkg/errs coded error: errors.Is matches any error carrying its code, and
// an HTTP layer maps the code to a status in its own table
// (verifier/httpapi answers ErrNotCredential with 422).
var (
	// ErrConfig: the Config given to New is not usable.
	ErrConfig = errs.New("invalid_config", "verifier: invalid configuration")
	// ErrChallengeUnknown: the challenge was never issued or has expired.
	ErrChallengeUnknown = errs.New("challenge_unknown", "verifier: challenge unknown or expired")
	// ErrChallengeUsed: the challenge was already consumed once.
	ErrChallengeUsed = errs.New("challenge_used", "verifier: challenge already used")
	// ErrChallengeWrongAudience: the challenge is this verifier's, unexpired,
	// but issued for another audience (AudienceChallengeStore): a challenge
	// of one relying-party profile presented to another, or to none.
	ErrChallengeWrongAudience = errs.New(errs.Code(CodeChallengeWrongAudience), "verifier: challenge issued for another audience")
	// ErrNotCredential: the input is not a credential or presentation at
	// all (empty, not JSON, not a JWT).
	ErrNotCredential = errs.New("not_a_credential", "verifier: input is not a credential")
	// ErrHolderBindingNotAllowed: a request asked for a weaker holder
	// binding than the verifier's policy and the policy does not allow
	// requests to weaken it (Policy.AllowWeakerHolderBinding).
	ErrHolderBindingNotAllowed = errs.New(CodeHolderBindingNotAllowed, "the requested holder binding is weaker than the verifier's and the verifier does not let requests weaken it")
	// ErrHolderBindingUnknown: a holder binding mode other than subject,
	// holder-signed or none.
	ErrHolderBindingUnknown = errs.New(CodeHolderBindingUnknown, "holder binding must be one of subject, holder-signed, none")
)
