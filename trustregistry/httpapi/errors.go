package httpapi

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
)

// Problem codes of the registry API, beyond httpx's own.
const (
	CodeUnknownReference      = "unknown_reference"
	CodeOverlap               = "overlapping_recognition"
	CodeDuplicateID           = "duplicate_identifier"
	CodeStatusTransition      = "status_transition"
	CodeConflict              = "conflict"
	CodeAlreadyExists         = "already_exists"
	CodeChangeConflict        = "change_set_conflict"
	CodeSelfApproval          = "self_approval"
	CodeDuplicateApproval     = "duplicate_approval"
	CodeProposalClosed        = "proposal_closed"
	CodeProposalExpired       = "proposal_expired"
	CodeBadParameter          = "bad_parameter"
	CodeUnsupportedAction     = "unsupported_action"
	CodeIdempotencyReused     = "idempotency_key_reused"
	CodeIdempotencyInProgress = "idempotency_key_in_progress"
	CodeNoSnapshot            = "no_snapshot"
)

// errorTable maps sentinel errors to status and code, most specific first.
var errorTable = []struct {
	err    error
	status int
	code   string
}{
	{trustregistry.ErrChangeConflict, http.StatusConflict, CodeChangeConflict},
	{trustregistry.ErrUnknownReference, http.StatusBadRequest, CodeUnknownReference},
	{trustregistry.ErrOverlap, http.StatusBadRequest, CodeOverlap},
	{trustregistry.ErrDuplicate, http.StatusBadRequest, CodeDuplicateID},
	{trustregistry.ErrTransition, http.StatusConflict, CodeStatusTransition},
	{trustregistry.ErrInvalid, http.StatusBadRequest, httpx.CodeValidationFailed},
	{trustregistry.ErrNotFound, http.StatusNotFound, httpx.CodeNotFound},
	{trustregistry.ErrExists, http.StatusConflict, CodeAlreadyExists},
	{trustregistry.ErrVersionConflict, http.StatusConflict, CodeConflict},
	{trustregistry.ErrUnauthenticated, http.StatusUnauthorized, httpx.CodeUnauthorized},
	{trustregistry.ErrSelfApproval, http.StatusForbidden, CodeSelfApproval},
	{trustregistry.ErrForbidden, http.StatusForbidden, httpx.CodeForbidden},
	{trustregistry.ErrDuplicateApproval, http.StatusConflict, CodeDuplicateApproval},
	{trustregistry.ErrProposalClosed, http.StatusConflict, CodeProposalClosed},
	{trustregistry.ErrProposalExpired, http.StatusConflict, CodeProposalExpired},
}

// writeErr renders err as problem+json through the one error table; validation errors carry
// the failing field as "path".
func writeErr(c *gin.Context, err error) {
	var coded httpx.Coded
	if errors.As(err, &coded) {
		httpx.WriteError(c, err)
		return
	}
	for _, e := range errorTable {
		if errors.Is(err, e.err) {
			p := httpx.Problem{Status: e.status, Code: e.code, Detail: err.Error()}
			var ve *trustregistry.ValidationError
			if errors.As(err, &ve) && ve.Path != "" {
				p.Extra = map[string]any{"path": ve.Path}
			}
			if e.status == http.StatusUnauthorized {
				c.Header("WWW-Authenticate", `Bearer realm="idport-registry"`)
			}
			httpx.WriteProblem(c, p)
			return
		}
	}
	httpx.WriteError(c, err)
}

func badParam(format string, args ...any) error {
	return httpx.Errorf(http.StatusBadRequest, CodeBadParameter, format, args...)
}
