package openid4vp

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwe"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/jsontext"
)

// MaxResponseBytes bounds a response (form or decrypted payload).
const MaxResponseBytes = 1 << 20

// maxPresentations bounds the presentations of one response.
const maxPresentations = 16

// maxJSONDepth bounds the nesting of a vp_token and of a decrypted
// response (the verifier service's default request depth).
const maxJSONDepth = 64

// Response is a wallet's authorization response.
type Response struct {
	// VPToken maps each DCQL credential query id to its presentations
	// (compact SD-JWT+KB or VP JWT strings, or JSON objects).
	VPToken map[string][]json.RawMessage
	// State is the request's state, echoed.
	State string
}

func invalidResponse(format string, args ...any) error {
	return errs.New(ErrInvalidResponse.Code, "openid4vp: "+fmt.Sprintf(format, args...))
}

// responseParams are the parameters of a response; none may repeat.
var responseParams = []string{"vp_token", "state", "response"}

// ParseResponse reads the form a wallet posted to the response URI for
// req: vp_token and state (direct_post) or response, a JWE encrypted to
// the request's key (direct_post.jwt). The state must be the request's.
// A form that repeats one of these parameters is refused (RFC 6749,
// section 3.1), so that nothing reading another copy than this one could
// disagree about the answer.
func ParseResponse(form url.Values, req *Request) (*Response, error) {
	var (
		resp Response
		err  error
	)
	for _, name := range responseParams {
		if len(form[name]) > 1 {
			return nil, invalidResponse("the response repeats the parameter %s", name)
		}
	}
	switch req.ResponseMode {
	case DirectPostJWT:
		if form.Has("vp_token") {
			return nil, invalidResponse("the request asked for an encrypted response (direct_post.jwt)")
		}
		resp, err = decryptResponse(form.Get("response"), req)
	case DirectPost:
		if form.Has("response") {
			return nil, invalidResponse("the request asked for a direct_post response, not an encrypted one")
		}
		resp.State = form.Get("state")
		resp.VPToken, err = parseVPToken([]byte(form.Get("vp_token")))
	default:
		return nil, invalidResponse("unknown response mode %q", req.ResponseMode)
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(resp.State), []byte(req.State)) != 1 {
		return nil, invalidResponse("the response's state is not the request's")
	}
	return &resp, nil
}

func decryptResponse(compact string, req *Request) (Response, error) {
	if compact == "" {
		return Response{}, invalidResponse("no response parameter (direct_post.jwt)")
	}
	if len(compact) > MaxResponseBytes {
		return Response{}, invalidResponse("response of %d bytes", len(compact))
	}
	msg, err := jwe.Parse([]byte(compact))
	if err != nil {
		return Response{}, errs.Wrap(ErrInvalidResponse.Code, "openid4vp: the response is not a compact JWE", err)
	}
	h := msg.ProtectedHeaders()
	if h.Algorithm() != jwa.ECDH_ES {
		return Response{}, invalidResponse("response encrypted with alg %q, want %s", h.Algorithm(), AlgECDHES)
	}
	if enc := h.ContentEncryption(); enc != jwa.A128GCM && enc != jwa.A256GCM {
		return Response{}, invalidResponse("response encrypted with enc %q, want %s or %s", enc, EncA128, EncA256)
	}
	if kid := h.KeyID(); kid != "" && kid != req.EncryptionKID {
		return Response{}, invalidResponse("response encrypted to key %q, not this request's", kid)
	}
	key, err := req.encryptionKey()
	if err != nil {
		return Response{}, err
	}
	plain, err := jwe.Decrypt([]byte(compact), jwe.WithKey(jwa.ECDH_ES, key), jwe.WithMaxDecompressBufferSize(MaxResponseBytes))
	if err != nil {
		return Response{}, errs.Wrap(ErrInvalidResponse.Code, "openid4vp: the response does not decrypt with this request's key", err)
	}
	members, err := objectMembers(plain)
	if err != nil {
		return Response{}, errs.Wrap(ErrInvalidResponse.Code, "openid4vp: the decrypted response is not a JSON object with each member once", err)
	}
	var (
		vpToken []byte
		state   string
	)
	for _, m := range members {
		switch m.Name {
		case "vp_token":
			vpToken = m.Value
		case "state":
			if err := json.Unmarshal(m.Value, &state); err != nil {
				return Response{}, errs.Wrap(ErrInvalidResponse.Code, "openid4vp: the decrypted response's state is not a string", err)
			}
		}
	}
	vp, err := parseVPToken(vpToken)
	if err != nil {
		return Response{}, err
	}
	return Response{VPToken: vp, State: state}, nil
}

// parseVPToken reads a vp_token: a JSON object mapping credential query
// ids to non-empty arrays of presentations.
func parseVPToken(b []byte) (map[string][]json.RawMessage, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, invalidResponse("no vp_token")
	}
	if len(b) > MaxResponseBytes {
		return nil, invalidResponse("vp_token of %d bytes", len(b))
	}
	// Each query id once: encoding/json would keep the last of two, and
	// another reader of the same vp_token the first.
	raw, err := objectMembers(b)
	if err != nil {
		return nil, errs.Wrap(ErrInvalidResponse.Code, "openid4vp: vp_token is not a JSON object naming each credential query id once", err)
	}
	out := make(map[string][]json.RawMessage, len(raw))
	n := 0
	for _, m := range raw {
		id := m.Name
		var list []json.RawMessage
		if err := json.Unmarshal(m.Value, &list); err != nil || len(list) == 0 {
			return nil, invalidResponse("vp_token[%q] is not a non-empty array of presentations", id)
		}
		n += len(list)
		if n > maxPresentations {
			return nil, invalidResponse("more than %d presentations", maxPresentations)
		}
		out[id] = list
	}
	return out, nil
}

// objectMembers reads b, one JSON object naming each member once (see
// jsontext.Members); unlike Members it refuses the literal null.
func objectMembers(b []byte) ([]jsontext.Member, error) {
	members, err := jsontext.Members(b, maxJSONDepth)
	if err == nil && bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		err = jsontext.ErrNotObject
	}
	return members, err
}
