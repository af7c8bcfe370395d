package httpx

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/pkg/errs"
)

// OAuthError is the error body of OAuth 2.0 endpoints (RFC 6749 section 5.2, RFC 6750 section
// 3.1), which OpenID4VCI uses for its token, credential and notification endpoints.
type OAuthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// WriteOAuth renders err as an OAuth error body (application/json) and aborts the request, for
// endpoints whose clients expect OAuth errors rather than problem+json. A domain error gets the
// status its code maps to in s, its code as "error" and its public message as
// "error_description"; the cause chain is logged, never sent. An HTTP-layer error (a decoding
// error of this package) is answered 400 invalid_request (or its own status for 413 and 415).
// Anything else is logged and answered 500 server_error. A 401 carries a WWW-Authenticate
// challenge naming the error (RFC 6750).
func (s Statuses) WriteOAuth(c *gin.Context, err error) {
	status, body := http.StatusInternalServerError, OAuthError{Error: "server_error"}
	var coded Coded
	if e := errs.As(err); e != nil && s[e.Code] != 0 {
		status, body = s[e.Code], OAuthError{Error: string(e.Code), Description: e.Message}
		LoggerFrom(c).Info("request refused", "code", string(e.Code), "status", status, "err", err)
	} else if errors.As(err, &coded) {
		st, code := coded.ProblemCode()
		status, body = http.StatusBadRequest, OAuthError{Error: "invalid_request", Description: code + ": " + err.Error()}
		if st == http.StatusRequestEntityTooLarge || st == http.StatusUnsupportedMediaType {
			status = st
		}
	} else {
		LoggerFrom(c).Error("request failed", "err", err, "status", status)
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer error="`+body.Error+`"`)
	}
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, body)
}
