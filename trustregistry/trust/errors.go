package trust

import (
	"errors"
	"fmt"
)

// Sentinel errors, one per failure class. Wrapped errors carry the precise reason.
var (
	// ErrInvalid: an object or change set breaks a rule of the model.
	ErrInvalid = errors.New("invalid")
	// ErrUnknownReference: an object refers to one that does not exist.
	ErrUnknownReference = errors.New("unknown reference")
	// ErrOverlap: two recognitions of the same scheme pair cover a type over overlapping windows.
	ErrOverlap = errors.New("overlapping recognition")
	// ErrDuplicate: an identifier (DID, key) is claimed by two authorities.
	ErrDuplicate = errors.New("duplicate identifier")
	// ErrTransition: a status change that the lifecycle does not allow (revoked is final).
	ErrTransition = errors.New("status transition not allowed")
	// ErrNotFound: no such object, proposal, account or record.
	ErrNotFound = errors.New("not found")
	// ErrExists: the object to create exists already.
	ErrExists = errors.New("already exists")
	// ErrVersionConflict: the store moved past the version a change was computed against.
	ErrVersionConflict = errors.New("version conflict")
	// ErrAuditBroken: the audit chain does not verify.
	ErrAuditBroken = errors.New("audit chain broken")
	// ErrSnapshot: a snapshot is malformed, badly signed or out of sequence.
	ErrSnapshot = errors.New("snapshot rejected")
)

// ValidationError is a precise validation failure: Path locates the field ("ops[2].authority.dids[0]"),
// Reason says what is wrong, Err is the sentinel class.
type ValidationError struct {
	Path   string
	Reason string
	Err    error
}

// Error implements error.
func (e *ValidationError) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return e.Path + ": " + e.Reason
}

// Unwrap returns the sentinel class.
func (e *ValidationError) Unwrap() error { return e.Err }

func verr(class error, path, format string, args ...any) error {
	return &ValidationError{Path: path, Reason: fmt.Sprintf(format, args...), Err: class}
}

func invalidf(op int, path, format string, args ...any) error {
	if op >= 0 {
		path = fmt.Sprintf("ops[%d].%s", op, path)
	}
	return verr(ErrInvalid, path, format, args...)
}

func fmtErr(format string, args ...any) error { return fmt.Errorf(format, args...) }

// Admin failure classes (maker-checker).
var (
	// ErrUnauthenticated: no valid credentials.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden: the account lacks the role for the action.
	ErrForbidden = errors.New("forbidden")
	// ErrSelfApproval: the proposer tried to approve their own proposal.
	ErrSelfApproval = errors.New("proposer cannot approve own proposal")
	// ErrDuplicateApproval: the account approved this proposal already.
	ErrDuplicateApproval = errors.New("already approved by this account")
	// ErrProposalClosed: the proposal is no longer pending.
	ErrProposalClosed = errors.New("proposal is not pending")
	// ErrProposalExpired: the proposal expired before reaching its quorum.
	ErrProposalExpired = errors.New("proposal expired")
	// ErrChangeConflict: the change set no longer applies to the current registry.
	ErrChangeConflict = errors.New("change set conflicts with the current registry")
)
