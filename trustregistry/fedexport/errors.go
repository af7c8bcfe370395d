package fedexport

import "github.com/idport/idport/pkg/errs"

// Stable error codes of the federation export. The registry's HTTP layer maps each to a status.
const (
	// CodeSubjectUnknown: no active authority of the registry has the requested entity id.
	CodeSubjectUnknown errs.Code = "federation_subject_unknown"
	// CodeUnavailable: the export is not configured (no public entity identifier).
	CodeUnavailable errs.Code = "federation_export_unavailable"
)

// Sentinels: errors.Is(err, ErrX) holds for every error with X's code.
var (
	ErrSubjectUnknown = errs.New(CodeSubjectUnknown, "no active authority has this entity identifier")
	ErrUnavailable    = errs.New(CodeUnavailable, "the federation export is not configured")
)
