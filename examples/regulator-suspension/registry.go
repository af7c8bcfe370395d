package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/httpapi"
)

// authorization asks the registry's public TRQP endpoint whether entity may issue the demo
// credential type, recognised by Lingang, at valid time at, as the registry knew it at
// registry version asOf.
func authorization(ctx context.Context, registryURL, entity string, at time.Time, asOf uint64) (*httpapi.TRQPResponse, error) {
	req := map[string]any{"entity_id": entity, "authority_id": demoseed.LocalScheme, "action": "issue", "resource": demoseed.Type,
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
func authorityAt(hist []trustregistry.Revision, i int) (*trustregistry.Authority, error) {
	if i < 0 || i >= len(hist) {
		return nil, stack.Unexpectedf("no revision %d", i)
	}
	var a trustregistry.Authority
	if err := json.Unmarshal(hist[i].Object, &a); err != nil {
		return nil, fmt.Errorf("authority revision: %w", err)
	}
	return &a, nil
}
