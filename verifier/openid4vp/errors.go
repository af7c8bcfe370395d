// Package openid4vp is the verifier side of OpenID for Verifiable
// Presentations 1.0 with DCQL, for verifiers that host their own
// endpoints: build a presentation request and its request object (JAR),
// read a wallet's direct_post or direct_post.jwt response, and verify it
// with the same engine as the VC-API (package verifier): signature,
// holder binding to this request's nonce and client id, status,
// recognition, policy and the cross-border allow-list; then check that
// the presented credentials answer the DCQL query (package dcql) and
// disclose nothing the query did not ask for.
//
// Client identifier prefixes: "decentralized_identifier:" (the request
// object is signed with a key of the verifier's DID) and "redirect_uri:"
// (the request object is unsigned, alg none). Response modes: direct_post
// and direct_post.jwt (the response is encrypted, ECDH-ES on P-256, to an
// ephemeral key of the request published in client_metadata.jwks).
//
// Single use: a Request is answered once. Callers keep requests in a
// store whose completion is atomic (verifier/boltstore's transactions in
// the idport service) and refuse a second answer.
package openid4vp

import "github.com/idport/idport/pkg/errs"

// Sentinel errors. Each is a pkg/errs coded error; verifier/httpapi maps
// the codes to HTTP statuses.
var (
	// ErrInvalidRequest: a presentation request cannot be built as asked
	// (no query, a bad response URI, a client id prefix without its key).
	ErrInvalidRequest = errs.New("openid4vp_invalid_request", "openid4vp: invalid presentation request")
	// ErrInvalidResponse: a wallet's response is malformed: not a form, no
	// vp_token, a state that is not the request's, an encrypted response
	// that does not decrypt with the request's key.
	ErrInvalidResponse = errs.New("openid4vp_invalid_response", "openid4vp: invalid authorization response")
	// ErrResponseNotBound: a presentation of the response is not bound to
	// this request: its holder proof fails, or names another nonce or
	// audience (client id) than the request's.
	ErrResponseNotBound = errs.New("openid4vp_response_not_bound", "openid4vp: presentation not bound to this request")
	// ErrOverDisclosure: a presentation discloses claims the query did not
	// ask for, and the policy refuses them.
	ErrOverDisclosure = errs.New("openid4vp_over_disclosure", "openid4vp: presentation discloses claims the request did not ask for")
)
