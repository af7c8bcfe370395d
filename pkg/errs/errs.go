// Package errs is idport's one error convention. A domain error carries a stable machine-readable
// Code, a Message that is safe to show to a client, and the wrapped cause that only the log sees.
// Domain packages declare their codes and sentinel errors with New; they wrap causes with Wrap or
// Errorf. Each HTTP layer maps codes to statuses in one table and renders them through pkg/httpx;
// no domain package knows an HTTP status.
//
// errs imports only the standard library, so the SDK can use it without linking any HTTP stack.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a stable machine-readable error code, rendered as the problem+json "code" member.
// Codes are part of the API: they do not change between releases.
type Code string

// Error is a coded error: Code for machines, Message for people (safe to send to a client),
// Err for the log (never sent to a client).
type Error struct {
	Code    Code
	Message string
	Err     error
	// Fields are extra members safe to send to a client (for example the JSON path of an
	// invalid field). They are rendered at the top level of the problem object.
	Fields map[string]any
}

// New returns a coded error with a public message and no cause: the form of a sentinel.
func New(code Code, message string) *Error { return &Error{Code: code, Message: message} }

// Wrap returns a coded error with a public message wrapping cause, which is logged but never
// shown to a client.
func Wrap(code Code, message string, cause error) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// Errorf returns a coded error whose public message is formatted from format and args. A %w verb
// in format wraps its operand as the cause; the public message then still contains the cause's
// text, so use %w only for causes that are safe to show.
func Errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// Error implements error: the public message followed by the cause chain. A message that
// already ends with the cause's text (as Errorf makes with a final %w) is not repeated.
func (e *Error) Error() string {
	switch {
	case e.Err == nil:
		if e.Message == "" {
			return string(e.Code)
		}
		return e.Message
	case e.Message == "":
		return e.Err.Error()
	case strings.HasSuffix(e.Message, e.Err.Error()):
		return e.Message
	default:
		return e.Message + ": " + e.Err.Error()
	}
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a sentinel (an *Error without a cause) of the same code, so
// errors.Is(err, ErrSomething) holds for every error carrying ErrSomething's code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Err == nil && t.Code == e.Code
}

// WithField returns a copy of e with one more client-safe member.
func (e *Error) WithField(name string, value any) *Error {
	c := *e
	c.Fields = make(map[string]any, len(e.Fields)+1)
	for k, v := range e.Fields {
		c.Fields[k] = v
	}
	c.Fields[name] = value
	return &c
}

// As returns the outermost coded error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// CodeOf returns the code of the outermost coded error in err's chain, or "".
func CodeOf(err error) Code {
	if e := As(err); e != nil {
		return e.Code
	}
	return ""
}
