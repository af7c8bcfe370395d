package stack

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	issuerapi "github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/verifier/httpapi"
)

// Offer makes an OpenID4VCI credential offer as a business back end does (POST /oid4vci/offers
// with the issuer's API key): credType with subject, in formats (empty: every format), with a
// numeric tx_code of txCodeLength digits (0: none).
func (is *Issuer) Offer(ctx context.Context, credType string, subject map[string]any, formats []string, txCodeLength int) (*issuerapi.OfferResponse, error) {
	req := map[string]any{"type": credType, "credentialSubject": subject}
	if len(formats) > 0 {
		req["formats"] = formats
	}
	if txCodeLength > 0 {
		req["txCode"] = map[string]any{"length": txCodeLength, "description": "the code sent to you by SMS"}
	}
	var out issuerapi.OfferResponse
	if _, _, err := Call(ctx, http.MethodPost, is.URL+"/oid4vci/offers", is.APIKey, req, &out, http.StatusCreated); err != nil {
		return nil, fmt.Errorf("offer %s: %w", credType, err)
	}
	return &out, nil
}

// RequestPresentation creates an OpenID4VP presentation request as a relying party's back end
// does (POST /openid4vp/requests with the verifier's OpenID4VP API key): the DCQL query,
// responseMode (direct_post or direct_post.jwt; "" is the verifier's default) and the client
// id prefix ("" is the verifier's default).
func (v *Verifier) RequestPresentation(ctx context.Context, query any, responseMode, clientIDPrefix string) (*httpapi.CreatedRequest, error) {
	body := map[string]any{"dcql_query": query}
	if responseMode != "" {
		body["response_mode"] = responseMode
	}
	if clientIDPrefix != "" {
		body["client_id_prefix"] = clientIDPrefix
	}
	var out httpapi.CreatedRequest
	if _, _, err := Call(ctx, http.MethodPost, v.URL+"/openid4vp/requests", v.OpenID4VPAPIKey, body, &out, http.StatusCreated); err != nil {
		return nil, fmt.Errorf("presentation request: %w", err)
	}
	return &out, nil
}

// Outcome reads the outcome of a presentation request (GET /openid4vp/requests/{id}), waiting
// up to wait seconds for the wallet: the HTTP status (200 verified, 400 not verified, 202 still
// pending) and, unless pending, the answer in the shape of /presentations/verify.
func (v *Verifier) Outcome(ctx context.Context, transactionID string, wait int) (*httpapi.Response, int, error) {
	var res httpapi.Response
	status, _, err := Call(ctx, http.MethodGet, v.URL+"/openid4vp/requests/"+transactionID+"?wait="+strconv.Itoa(wait),
		v.OpenID4VPAPIKey, nil, &res, http.StatusOK, http.StatusBadRequest, http.StatusAccepted)
	if err != nil {
		return nil, status, fmt.Errorf("presentation outcome: %w", err)
	}
	if status == http.StatusAccepted {
		return nil, status, nil
	}
	return &res, status, nil
}
