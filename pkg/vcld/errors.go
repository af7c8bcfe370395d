package vcld

import "net/http"

// Error is the class of a vcld failure. Every error returned by this package
// wraps exactly one of the sentinel values below, so callers can branch with
// errors.Is and render a stable code.
type Error struct {
	code   string
	status int
	msg    string
}

// Error implements error.
func (e *Error) Error() string { return e.msg }

// Code returns the stable machine-readable code of the failure class.
func (e *Error) Code() string { return e.code }

// ProblemCode reports the HTTP status and stable problem code for this
// failure class (the convention pkg/httpx renders as problem+json).
func (e *Error) ProblemCode() (int, string) { return e.status, e.code }

// Sentinel errors, one per failure class.
var (
	// ErrMalformed: the input is not a JSON object of the expected shape
	// (credential, presentation, proof) or a value has the wrong type.
	ErrMalformed = &Error{"malformed", http.StatusBadRequest, "vcld: malformed document"}
	// ErrUnsafeDocument: JSON-LD safe mode failed: a term does not expand,
	// a key looks like a keyword but is not one, an IRI is relative, ...
	ErrUnsafeDocument = &Error{"unsafe_document", http.StatusBadRequest, "vcld: document is not safe JSON-LD"}
	// ErrContextNotAllowed: the document references a JSON-LD context that is
	// neither pinned by this package nor registered by the caller.
	ErrContextNotAllowed = &Error{"context_not_allowed", http.StatusBadRequest, "vcld: JSON-LD context not allowed"}
	// ErrTooComplex: the document exceeds a processing bound (size, depth,
	// blank nodes, quads, canonicalisation work, deadline).
	ErrTooComplex = &Error{"too_complex", http.StatusBadRequest, "vcld: document too complex"}
	// ErrSignatureInvalid: the proof does not verify with the resolved key.
	ErrSignatureInvalid = &Error{"signature_invalid", http.StatusBadRequest, "vcld: signature invalid"}
	// ErrUnsupportedSuite: the proof uses a type or cryptosuite this package
	// does not verify, or the key is of an unsupported kind.
	ErrUnsupportedSuite = &Error{"unsupported_suite", http.StatusBadRequest, "vcld: unsupported proof suite"}
	// ErrNoProof: the document carries no proof.
	ErrNoProof = &Error{"proof_missing", http.StatusBadRequest, "vcld: no proof"}
	// ErrKeyNotFound: the key resolver could not give a public key for the
	// proof's verification method.
	ErrKeyNotFound = &Error{"key_not_found", http.StatusBadRequest, "vcld: verification method not resolved"}
	// ErrProofMismatch: the proof is well formed but does not fit the
	// document: wrong proof purpose, verification method not controlled by the
	// issuer or holder, challenge or domain not the expected ones.
	ErrProofMismatch = &Error{"proof_mismatch", http.StatusBadRequest, "vcld: proof does not match the document"}
	// ErrChallenge: the presentation proof's challenge or domain is not the
	// expected one.
	ErrChallenge = &Error{"challenge_invalid", http.StatusBadRequest, "vcld: challenge or domain mismatch"}
)
