// Package httpx is the HTTP plumbing every idport service shares: a gin engine with request ids,
// JSON access logs, Prometheus metrics, health endpoints and panic recovery; RFC 9457
// problem+json errors with stable codes; JSON decoding with body-size and depth limits; and a
// server whose Run(ctx) shuts down gracefully.
package httpx

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/errs"
)

// ProblemContentType is the media type of RFC 9457 problem details.
const ProblemContentType = "application/problem+json"

// Stable problem codes produced by httpx itself. Services add their own.
const (
	CodeMalformedJSON        = "malformed_json"
	CodeUnknownField         = "unknown_field"
	CodeJSONTooDeep          = "json_too_deep"
	CodeBodyTooLarge         = "body_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeInternal             = "internal"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeRateLimited          = "rate_limited"
	CodeValidationFailed     = "validation_failed"
	CodeNotReady             = "not_ready"
)

// Problem is an RFC 9457 problem details object with idport's stable Code extension.
type Problem struct {
	Type     string `json:"type,omitempty"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Code     string `json:"code"`
	Instance string `json:"instance,omitempty"`
	// RequestID lets an operator find the matching log line.
	RequestID string `json:"request_id,omitempty"`
	// Extra members are rendered at the top level of the object.
	Extra map[string]any `json:"-"`
}

// Coded is implemented by errors that know their HTTP status and stable problem code.
// WriteError finds it anywhere in an error's %w chain.
type Coded interface {
	error
	ProblemCode() (status int, code string)
}

// Extended is implemented by Coded errors that add members to their problem (such as the
// "field" of an unknown_field).
type Extended interface {
	ProblemExtra() map[string]any
}

// Error is an error carrying an HTTP status and a stable problem code.
type Error struct {
	Status int
	Code   string
	Err    error
}

// NewError wraps err with an HTTP status and a stable problem code; errors.Is still sees err.
func NewError(status int, code string, err error) error {
	return &Error{Status: status, Code: code, Err: err}
}

// Errorf formats a new coded error.
func Errorf(status int, code, format string, args ...any) error {
	return &Error{Status: status, Code: code, Err: fmt.Errorf(format, args...)}
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Code
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// ProblemCode implements Coded.
func (e *Error) ProblemCode() (int, string) { return e.Status, e.Code }

// problemFor maps an error to a Problem: the first Coded error in the chain decides status and
// code; any other error is an internal error whose detail is hidden from the client.
func problemFor(err error) Problem {
	var coded Coded
	if errors.As(err, &coded) {
		status, code := coded.ProblemCode()
		p := Problem{Title: http.StatusText(status), Status: status, Code: code, Detail: err.Error()}
		var ext Extended
		if errors.As(err, &ext) {
			p.Extra = ext.ProblemExtra()
		}
		return p
	}
	return Problem{Title: http.StatusText(http.StatusInternalServerError), Status: http.StatusInternalServerError,
		Code: CodeInternal, Detail: "internal error; see the server log for this request id"}
}

// Statuses maps a service's domain error codes (pkg/errs) to HTTP statuses. Each service's
// httpapi package owns exactly one table and renders every error through its Write method.
type Statuses map[errs.Code]int

// Write renders err as problem+json and aborts the request. An HTTP-layer error (Coded, such as
// a decoding error from this package) keeps its own status. A domain error (errs.Error) gets the
// status its code maps to in s; its public Message becomes the detail and its Fields extra
// members, while its cause chain is logged with the request id and never sent. A code missing
// from s, or an error with no code, is an internal error: logged, answered 500 without detail.
func (s Statuses) Write(c *gin.Context, err error) {
	var coded Coded
	if errors.As(err, &coded) {
		WriteError(c, err)
		return
	}
	e := errs.As(err)
	status, known := 0, false
	if e != nil {
		status, known = s[e.Code]
	}
	if !known {
		WriteError(c, err)
		return
	}
	LoggerFrom(c).Info("request refused", "code", string(e.Code), "status", status, "err", err)
	WriteProblem(c, Problem{Status: status, Code: string(e.Code), Detail: e.Message, Extra: e.Fields})
}

// WriteError renders err as problem+json and aborts the request. Errors without a code are
// logged with the request id and answered 500 without detail.
func WriteError(c *gin.Context, err error) {
	p := problemFor(err)
	if p.Status >= 500 {
		LoggerFrom(c).Error("request failed", "err", err, "status", p.Status)
	}
	WriteProblem(c, p)
}

// WriteProblem renders p as problem+json and aborts the request.
func WriteProblem(c *gin.Context, p Problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.RequestID == "" {
		p.RequestID = c.GetString(requestIDKey)
	}
	body := map[string]any{"title": p.Title, "status": p.Status, "code": p.Code}
	for k, v := range p.Extra {
		body[k] = v
	}
	if p.Type != "" {
		body["type"] = p.Type
	}
	if p.Detail != "" {
		body["detail"] = p.Detail
	}
	if p.Instance != "" {
		body["instance"] = p.Instance
	}
	if p.RequestID != "" {
		body["request_id"] = p.RequestID
	}
	c.Header("Content-Type", ProblemContentType)
	c.AbortWithStatusJSON(p.Status, body)
}

// LoggerFrom returns the request-scoped logger set by the engine's middleware, or slog.Default.
func LoggerFrom(c *gin.Context) *slog.Logger {
	if v, ok := c.Get(loggerKey); ok {
		if l, ok := v.(*requestLogger); ok {
			return l.get()
		}
	}
	return slog.Default()
}
