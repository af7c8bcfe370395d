package trustregistry

import (
	"fmt"

	"github.com/idport/idport/pkg/errs"
)

// Stable error codes of the registry (pkg/errs). They are part of the API: the HTTP layer maps
// each to a status (trustregistry/httpapi) and sends it as the problem+json "code" member.
const (
	// CodeValidationFailed: an object, change set or request breaks a rule; the "path" field
	// locates the failing member when known.
	CodeValidationFailed errs.Code = "validation_failed"
	// CodeUnknownReference: an object refers to one that does not exist.
	CodeUnknownReference errs.Code = "unknown_reference"
	// CodeOverlap: two recognitions of the same scheme pair cover a type over overlapping windows.
	CodeOverlap errs.Code = "overlapping_recognition"
	// CodeDuplicateID: an identifier (DID, key) is claimed by two authorities.
	CodeDuplicateID errs.Code = "duplicate_identifier"
	// CodeStatusTransition: a status change the lifecycle does not allow.
	CodeStatusTransition errs.Code = "status_transition"
	// CodeNotFound: no such object, proposal, account or record.
	CodeNotFound errs.Code = "not_found"
	// CodeAlreadyExists: the object to create exists already.
	CodeAlreadyExists errs.Code = "already_exists"
	// CodeConflict: the store moved past the version a change was computed against.
	CodeConflict errs.Code = "conflict"
	// CodeAuditBroken: the audit chain does not verify.
	CodeAuditBroken errs.Code = "audit_broken"
	// CodeSnapshotRejected: a snapshot is malformed, badly signed or out of sequence.
	CodeSnapshotRejected errs.Code = "snapshot_rejected"
	// CodeUnauthorized: no valid credentials.
	CodeUnauthorized errs.Code = "unauthorized"
	// CodeForbidden: the account lacks the role for the action.
	CodeForbidden errs.Code = "forbidden"
	// CodeSelfApproval: the proposer tried to approve their own proposal.
	CodeSelfApproval errs.Code = "self_approval"
	// CodeSeparationOfDuties: the account may not approve a proposal that changes its own account.
	CodeSeparationOfDuties errs.Code = "separation_of_duties"
	// CodeCoolingOff: the account enrolled the proposer (created it or reset its token) within
	// the cooling-off period and may not approve its proposals yet.
	CodeCoolingOff errs.Code = "cooling_off"
	// CodeDuplicateApproval: the account approved this proposal already.
	CodeDuplicateApproval errs.Code = "duplicate_approval"
	// CodeProposalClosed: the proposal is no longer pending.
	CodeProposalClosed errs.Code = "proposal_closed"
	// CodeProposalExpired: the proposal expired before reaching its quorum.
	CodeProposalExpired errs.Code = "proposal_expired"
	// CodeChangeConflict: an approved change set no longer applies to the current registry.
	CodeChangeConflict errs.Code = "change_set_conflict"
	// CodeProposalStale: an object the proposal touches changed after it was proposed; the
	// proposal is closed as stale and must be proposed again.
	CodeProposalStale errs.Code = "proposal_stale"
	// CodeStateIntegrity: the stored state does not prove itself against the audit chain and
	// the signed checkpoint; the registry refuses to serve.
	CodeStateIntegrity errs.Code = "state_integrity"
	// CodeBackupUnsupported: the store cannot take online backups (it is no Backupper).
	CodeBackupUnsupported errs.Code = "backup_unsupported"

	// Codes of request errors found by the HTTP layer before the core is asked.

	// CodeBadParameter: a malformed query or path parameter.
	CodeBadParameter errs.Code = "bad_parameter"
	// CodeUnsupportedAction: a TRQP action the registry does not answer.
	CodeUnsupportedAction errs.Code = "unsupported_action"
	// CodeIdempotencyReused: an Idempotency-Key sent again with a different request.
	CodeIdempotencyReused errs.Code = "idempotency_key_reused"
	// CodeIdempotencyInProgress: the first request with this Idempotency-Key is still running.
	CodeIdempotencyInProgress errs.Code = "idempotency_key_in_progress"
	// CodeNoSnapshot: no signed snapshot has been published yet.
	CodeNoSnapshot errs.Code = "no_snapshot"
	// CodeDeltaUnavailable: the registry holds no unbroken run of deltas from the version asked
	// (too old, from before the registry's start, or ahead of it): fetch the full snapshot.
	CodeDeltaUnavailable errs.Code = "delta_unavailable"
	// CodeRateLimited: too many failed authentications from one client address or against one
	// token id; only failed attempts are refused with it.
	CodeRateLimited errs.Code = "rate_limited"
)

// Sentinel errors, one per failure class; errors.Is matches every error of the same code.
// Errors returned by the registry carry a precise public message with the class's code.
var (
	// ErrInvalid: an object or change set breaks a rule of the model.
	ErrInvalid = errs.New(CodeValidationFailed, "invalid")
	// ErrUnknownReference: an object refers to one that does not exist.
	ErrUnknownReference = errs.New(CodeUnknownReference, "unknown reference")
	// ErrOverlap: two recognitions of the same scheme pair cover a type over overlapping windows.
	ErrOverlap = errs.New(CodeOverlap, "overlapping recognition")
	// ErrDuplicate: an identifier (DID, key) is claimed by two authorities.
	ErrDuplicate = errs.New(CodeDuplicateID, "duplicate identifier")
	// ErrTransition: a status change that the lifecycle does not allow (revoked is final).
	ErrTransition = errs.New(CodeStatusTransition, "status transition not allowed")
	// ErrNotFound: no such object, proposal, account or record.
	ErrNotFound = errs.New(CodeNotFound, "not found")
	// ErrExists: the object to create exists already.
	ErrExists = errs.New(CodeAlreadyExists, "already exists")
	// ErrVersionConflict: the store moved past the version a change was computed against.
	ErrVersionConflict = errs.New(CodeConflict, "version conflict")
	// ErrAuditBroken: the audit chain does not verify.
	ErrAuditBroken = errs.New(CodeAuditBroken, "audit chain broken")
	// ErrSnapshot: a snapshot is malformed, badly signed or out of sequence.
	ErrSnapshot = errs.New(CodeSnapshotRejected, "snapshot rejected")
	// ErrDelta: a delta is malformed, badly signed, or does not apply to the state it names.
	ErrDelta = errs.New(CodeSnapshotRejected, "delta rejected")
	// ErrDeltaUnavailable: no run of deltas from the version asked; fetch the full snapshot.
	ErrDeltaUnavailable = errs.New(CodeDeltaUnavailable, "no deltas from this version: fetch the full snapshot")
)

// Admin failure classes (maker-checker).
var (
	// ErrUnauthenticated: no valid credentials.
	ErrUnauthenticated = errs.New(CodeUnauthorized, "unauthenticated")
	// ErrForbidden: the account lacks the role for the action.
	ErrForbidden = errs.New(CodeForbidden, "forbidden")
	// ErrSelfApproval: the proposer tried to approve their own proposal.
	ErrSelfApproval = errs.New(CodeSelfApproval, "proposer cannot approve own proposal")
	// ErrSeparationOfDuties: an account may not approve a change to its own account.
	ErrSeparationOfDuties = errs.New(CodeSeparationOfDuties, "an account may not approve a change to itself")
	// ErrCoolingOff: the enrollers of an account may not approve its proposals yet.
	ErrCoolingOff = errs.New(CodeCoolingOff, "cooling-off period of an enrolled account")
	// ErrDuplicateApproval: the account approved this proposal already.
	ErrDuplicateApproval = errs.New(CodeDuplicateApproval, "already approved by this account")
	// ErrProposalClosed: the proposal is no longer pending.
	ErrProposalClosed = errs.New(CodeProposalClosed, "proposal is not pending")
	// ErrProposalExpired: the proposal expired before reaching its quorum.
	ErrProposalExpired = errs.New(CodeProposalExpired, "proposal expired")
	// ErrChangeConflict: the change set no longer applies to the current registry.
	ErrChangeConflict = errs.New(CodeChangeConflict, "change set conflicts with the current registry")
	// ErrProposalStale: an object the proposal touches changed after it was proposed.
	ErrProposalStale = errs.New(CodeProposalStale, "proposal is stale: propose again against the current registry")
	// ErrIntegrity: the stored state does not prove itself; the registry refuses to serve.
	ErrIntegrity = errs.New(CodeStateIntegrity, "registry state integrity check failed")
	// ErrBackupUnsupported: the store cannot take online backups.
	ErrBackupUnsupported = errs.New(CodeBackupUnsupported, "this registry store cannot take online backups")
)

// FieldPath is the errs field naming the JSON path of the member a validation error is about
// ("ops[2].authority.dids[0]").
const FieldPath = "path"

// PathOf returns the JSON path a validation error is about, or "".
func PathOf(err error) string {
	if e := errs.As(err); e != nil {
		if p, ok := e.Fields[FieldPath].(string); ok {
			return p
		}
	}
	return ""
}

// verr returns a precise validation failure of class's code: path locates the field, the
// formatted reason says what is wrong. Its message is "path: reason".
func verr(class *errs.Error, path, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	if path == "" {
		return errs.New(class.Code, reason)
	}
	return errs.New(class.Code, path+": "+reason).WithField(FieldPath, path)
}

func invalidf(op int, path, format string, args ...any) error {
	if op >= 0 {
		path = fmt.Sprintf("ops[%d].%s", op, path)
	}
	return verr(ErrInvalid, path, format, args...)
}

func fmtErr(format string, args ...any) error { return fmt.Errorf(format, args...) }
