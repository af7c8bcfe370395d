package vcld

import "github.com/idport/idport/pkg/errs"

// Stable codes of the failure classes (pkg/errs codes). They are part of
// the API; an HTTP layer maps them to statuses in its own table.
const (
	CodeMalformed         errs.Code = "malformed"
	CodeUnsafeDocument    errs.Code = "unsafe_document"
	CodeContextNotAllowed errs.Code = "context_not_allowed"
	CodeTooComplex        errs.Code = "too_complex"
	CodeSignatureInvalid  errs.Code = "signature_invalid"
	CodeUnsupportedSuite  errs.Code = "unsupported_suite"
	CodeNoProof           errs.Code = "proof_missing"
	CodeKeyNotFound       errs.Code = "key_not_found"
	CodeProofMismatch     errs.Code = "proof_mismatch"
	CodeChallenge         errs.Code = "challenge_invalid"
	CodeProofChain        errs.Code = "proof_chain_invalid"
)

// Sentinel errors, one per failure class. Every error returned by this
// package wraps exactly one of them, so callers can branch with errors.Is
// and read the stable code with errs.CodeOf. Each is a pkg/errs coded error
// whose message is safe to show a client; the precise reason is in the
// wrapping error's text, for the log.
var (
	// ErrMalformed: the input is not a JSON object of the expected shape
	// (credential, presentation, proof) or a value has the wrong type.
	ErrMalformed = errs.New(CodeMalformed, "vcld: malformed document")
	// ErrUnsafeDocument: JSON-LD safe mode failed: a term does not expand,
	// a key looks like a keyword but is not one, an IRI is relative, ...
	ErrUnsafeDocument = errs.New(CodeUnsafeDocument, "vcld: document is not safe JSON-LD")
	// ErrContextNotAllowed: the document references a JSON-LD context that is
	// neither pinned by this package nor registered by the caller.
	ErrContextNotAllowed = errs.New(CodeContextNotAllowed, "vcld: JSON-LD context not allowed")
	// ErrTooComplex: the document exceeds a processing bound (size, depth,
	// blank nodes, quads, canonicalisation work, deadline).
	ErrTooComplex = errs.New(CodeTooComplex, "vcld: document too complex")
	// ErrSignatureInvalid: the proof does not verify with the resolved key.
	ErrSignatureInvalid = errs.New(CodeSignatureInvalid, "vcld: signature invalid")
	// ErrUnsupportedSuite: the proof uses a type or cryptosuite this package
	// does not verify, or the key is of an unsupported kind.
	ErrUnsupportedSuite = errs.New(CodeUnsupportedSuite, "vcld: unsupported proof suite")
	// ErrNoProof: the document carries no proof.
	ErrNoProof = errs.New(CodeNoProof, "vcld: no proof")
	// ErrKeyNotFound: the key resolver could not give a public key for the
	// proof's verification method.
	ErrKeyNotFound = errs.New(CodeKeyNotFound, "vcld: verification method not resolved")
	// ErrProofMismatch: the proof is well formed but does not fit the
	// document: wrong proof purpose, verification method not controlled by the
	// issuer or holder (a credential with no assertionMethod proof by its
	// issuer, only others'), challenge or domain not the expected ones.
	ErrProofMismatch = errs.New(CodeProofMismatch, "vcld: proof does not match the document")
	// ErrChallenge: the presentation proof's challenge or domain is not the
	// expected one.
	ErrChallenge = errs.New(CodeChallenge, "vcld: challenge or domain mismatch")
	// ErrProofChain: the proofs of a proof set or chain do not hang
	// together: a previousProof names no proof of the document, references
	// form a cycle, or two proofs share an id.
	ErrProofChain = errs.New(CodeProofChain, "vcld: proof chain invalid")
)
