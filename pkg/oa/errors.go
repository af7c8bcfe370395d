package oa

import "github.com/idport/idport/pkg/errs"

// Codes of the errors of this package. Each is also the code a verifier
// reports for the failure.
const (
	// CodeMalformed: not a wrapped OpenAttestation v2 document, or over a limit.
	CodeMalformed errs.Code = "malformed"
	// CodeTargetHashMismatch: the data (with the obfuscated hashes) does not
	// hash to the signed target hash: a field was changed, added or removed.
	CodeTargetHashMismatch errs.Code = "target_hash_mismatch"
	// CodeMerkleRootMismatch: the Merkle proof does not lead from the target
	// hash to the Merkle root.
	CodeMerkleRootMismatch errs.Code = "merkle_root_mismatch"
	// CodeSignatureInvalid: the DID proof's signature is malformed or was
	// made by another key than the one it names.
	CodeSignatureInvalid errs.Code = "signature_invalid"
)

// Sentinel errors; errors.Is matches any error carrying their code.
var (
	ErrMalformed          = errs.New(CodeMalformed, "not a wrapped OpenAttestation v2 document")
	ErrTargetHashMismatch = errs.New(CodeTargetHashMismatch, "document data does not match its target hash")
	ErrMerkleRootMismatch = errs.New(CodeMerkleRootMismatch, "Merkle proof does not lead to the Merkle root")
	ErrSignatureInvalid   = errs.New(CodeSignatureInvalid, "document signature is invalid")
)

func malformed(format string, args ...any) error {
	return errs.Errorf(CodeMalformed, "OpenAttestation document: "+format, args...)
}
