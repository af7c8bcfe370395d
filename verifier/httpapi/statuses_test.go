package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/verifier"
)

// TestStatusesTable: the SDK's not-a-credential error and this API's codes
// render through the one table; the cause is never sent; an unmapped
// error is a 500 without detail.
func TestStatusesTable(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{fmt.Errorf("parse: %w", verifier.ErrNotCredential), http.StatusUnprocessableEntity, CodeNotACredential},
		{errs.Errorf(CodeNotACredential, "the request has no verifiableCredential"), http.StatusUnprocessableEntity, CodeNotACredential},
		{errs.Wrap(CodeChallengeUnavailable, "a challenge could not be issued", errors.New("secret cause")), http.StatusServiceUnavailable, CodeChallengeUnavailable},
		{errors.New("secret cause"), http.StatusInternalServerError, "internal"},
	} {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		statuses.Write(c, tc.err)
		var body map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if w.Code != tc.status || body["code"] != tc.code {
			t.Errorf("%v: %d %v, want %d %s", tc.err, w.Code, body["code"], tc.status, tc.code)
		}
		if d, _ := body["detail"].(string); strings.Contains(d, "secret cause") {
			t.Errorf("%v: detail %q carries the cause", tc.err, d)
		}
	}
	if string(verifier.ErrNotCredential.Code) != CodeNotACredential {
		t.Fatalf("verifier.ErrNotCredential has code %q, this API %q", verifier.ErrNotCredential.Code, CodeNotACredential)
	}
}
