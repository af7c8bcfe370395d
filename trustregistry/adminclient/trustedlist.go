package adminclient

import (
	"context"
	"net/http"

	"github.com/idport/idport/trustregistry/etsitl"
)

// ImportTrustedList sends an ETSI TS 119 612 trusted list with its pinned signer certificates
// and selection; the registry verifies it and answers with the proposal it created and the
// import's diff. Nothing applies until the proposal is approved.
func (c *Client) ImportTrustedList(ctx context.Context, req etsitl.ImportRequest) (*etsitl.ImportResult, error) {
	var out etsitl.ImportResult
	err := c.call(ctx, request{method: http.MethodPost, path: "/admin/v1/trusted-lists/import", in: req}, &out)
	return &out, err
}
