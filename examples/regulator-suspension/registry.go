package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/trust"
)

// authorization asks the registry's public TRQP endpoint whether entity may issue the demo
// credential type, recognised by Lingang, at valid time at, as the registry knew it at
// registry version asOf.
func authorization(ctx context.Context, registryURL, entity string, at time.Time, asOf uint64) (*httpapi.TRQPResponse, error) {
	req := map[string]any{"entity_id": entity, "authority_id": trust.DemoLocalScheme, "action": "issue", "resource": trust.DemoType,
		"context": map[string]any{"time": at, "as_of_version": asOf}}
	var ans httpapi.TRQPResponse
	if _, _, err := stack.Call(ctx, http.MethodPost, registryURL+"/authorization", "", req, &ans, http.StatusOK); err != nil {
		return nil, err
	}
	if ans.Authorized == nil {
		return nil, stack.Unexpectedf("TRQP answer without authorized")
	}
	return &ans, nil
}

// authorityAt decodes revision i of an authority's history.
func authorityAt(hist []trust.Revision, i int) (*trust.Authority, error) {
	if i < 0 || i >= len(hist) {
		return nil, stack.Unexpectedf("no revision %d", i)
	}
	var a trust.Authority
	if err := json.Unmarshal(hist[i].Object, &a); err != nil {
		return nil, fmt.Errorf("authority revision: %w", err)
	}
	return &a, nil
}
