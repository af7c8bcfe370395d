package httpapi

import (
	"strings"
	"testing"

	"github.com/idport/idport/docs"
)

// TestStatusCodesDocumented: every code the issuer answers with a status of its own is listed
// in docs/openapi.yaml.
func TestStatusCodesDocumented(t *testing.T) {
	doc := string(docs.OpenAPI)
	for code := range statuses {
		if !strings.Contains(doc, string(code)) {
			t.Errorf("docs/openapi.yaml does not list the issuer error code %q", code)
		}
	}
}
