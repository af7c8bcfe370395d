package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/etsitl"
	"github.com/idport/idport/trustregistry/fedexport"
	"github.com/idport/idport/trustregistry/importer"
	"github.com/idport/idport/trustregistry/oidfed"
)

// statuses maps every registry error code to its HTTP status: the one table of this API.
// Codes not listed (audit_broken, snapshot_rejected, ...) are internal errors (500).
var statuses = registryStatuses{httpx.Statuses{
	trustregistry.CodeValidationFailed:      http.StatusBadRequest,
	trustregistry.CodeUnknownReference:      http.StatusBadRequest,
	trustregistry.CodeOverlap:               http.StatusBadRequest,
	trustregistry.CodeDuplicateID:           http.StatusBadRequest,
	trustregistry.CodeBadParameter:          http.StatusBadRequest,
	trustregistry.CodeUnsupportedAction:     http.StatusBadRequest,
	trustregistry.CodeUnauthorized:          http.StatusUnauthorized,
	trustregistry.CodeForbidden:             http.StatusForbidden,
	trustregistry.CodeSelfApproval:          http.StatusForbidden,
	trustregistry.CodeSeparationOfDuties:    http.StatusForbidden,
	trustregistry.CodeCoolingOff:            http.StatusForbidden,
	trustregistry.CodeNotFound:              http.StatusNotFound,
	trustregistry.CodeStatusTransition:      http.StatusConflict,
	trustregistry.CodeAlreadyExists:         http.StatusConflict,
	trustregistry.CodeConflict:              http.StatusConflict,
	trustregistry.CodeChangeConflict:        http.StatusConflict,
	trustregistry.CodeDuplicateApproval:     http.StatusConflict,
	trustregistry.CodeProposalClosed:        http.StatusConflict,
	trustregistry.CodeProposalExpired:       http.StatusConflict,
	trustregistry.CodeProposalStale:         http.StatusConflict,
	trustregistry.CodeIdempotencyInProgress: http.StatusConflict,
	trustregistry.CodeIdempotencyReused:     http.StatusUnprocessableEntity,
	trustregistry.CodeRateLimited:           http.StatusTooManyRequests,
	trustregistry.CodeBackupUnsupported:     http.StatusNotImplemented,
	trustregistry.CodeNoSnapshot:            http.StatusServiceUnavailable,
	trustregistry.CodeDeltaUnavailable:      http.StatusGone,
	trustregistry.CodeStateIntegrity:        http.StatusServiceUnavailable,
	// Imports (imports.go): a source that cannot be reached is a bad gateway; a chain or
	// document that does not verify is unprocessable.
	oidfed.CodeFetchFailed:         http.StatusBadGateway,
	oidfed.CodeStatementInvalid:    http.StatusUnprocessableEntity,
	oidfed.CodeChainBroken:         http.StatusUnprocessableEntity,
	oidfed.CodeStatementExpired:    http.StatusUnprocessableEntity,
	oidfed.CodeChainLoop:           http.StatusUnprocessableEntity,
	oidfed.CodeChainTooLong:        http.StatusUnprocessableEntity,
	oidfed.CodePolicyViolation:     http.StatusUnprocessableEntity,
	oidfed.CodeTrustMarkInvalid:    http.StatusUnprocessableEntity,
	importer.CodeSourceUnusable:    http.StatusUnprocessableEntity,
	importer.CodeImportUnavailable: http.StatusNotImplemented,
	etsitl.CodeTooLarge:            http.StatusRequestEntityTooLarge,
	etsitl.CodeUnsafeXML:           http.StatusBadRequest,
	etsitl.CodeMalformed:           http.StatusBadRequest,
	etsitl.CodeBadPin:              http.StatusBadRequest,
	etsitl.CodeSignatureInvalid:    http.StatusUnprocessableEntity,
	etsitl.CodeSignerNotPinned:     http.StatusUnprocessableEntity,
	etsitl.CodeExpired:             http.StatusUnprocessableEntity,
	etsitl.CodeNothingSelected:     http.StatusUnprocessableEntity,
	fedexport.CodeSubjectUnknown:   http.StatusNotFound,
	fedexport.CodeUnavailable:      http.StatusServiceUnavailable,
}}

// registryStatuses is the table with the registry's one addition: a 401 answer names the
// Bearer scheme in WWW-Authenticate.
type registryStatuses struct{ httpx.Statuses }

// Write renders err through the table (see httpx.Statuses.Write).
func (s registryStatuses) Write(c *gin.Context, err error) {
	if code := errs.CodeOf(err); code != "" && s.Statuses[code] == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="idport-registry"`)
	}
	s.Statuses.Write(c, err)
}

func badParam(format string, args ...any) error {
	return errs.Errorf(trustregistry.CodeBadParameter, format, args...)
}
