package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwe"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcjwt"
)

// Client identifier prefixes the wallet accepts.
const (
	PrefixDID         = "decentralized_identifier:"
	PrefixRedirectURI = "redirect_uri:"
)

// Request is a presentation request the wallet resolved and checked.
type Request struct {
	// ClientID is the verifier's client identifier, prefix included.
	ClientID string `json:"client_id"`
	// ResponseURI is where the response goes.
	ResponseURI string `json:"response_uri"`
	// ResponseMode is direct_post or direct_post.jwt.
	ResponseMode string `json:"response_mode"`
	// Nonce and State bind the response to the request.
	Nonce string `json:"nonce"`
	State string `json:"state"`
	// Query is the DCQL query.
	Query Query `json:"dcql_query"`
	// ClientMetadata holds the response encryption keys (jwks) and preferences.
	ClientMetadata struct {
		ClientName string `json:"client_name"`
		JWKS       struct {
			Keys []json.RawMessage `json:"keys"`
		} `json:"jwks"`
		EncValues []string `json:"encrypted_response_enc_values_supported"`
	} `json:"client_metadata"`
	Expires int64 `json:"exp"`
	// Signed reports whether the request object was signed (and verified): true for a
	// decentralized_identifier: client id, false for redirect_uri:.
	Signed bool `json:"-"`
}

// Query is the part of a DCQL query the wallet reads: its credential queries.
type Query struct {
	Credentials []struct {
		ID     string `json:"id"`
		Format string `json:"format"`
		Claims []struct {
			Path []any `json:"path"`
		} `json:"claims"`
	} `json:"credentials"`
}

// Asked returns the names of the claims the first credential query asks for (the last string
// of each claim path: "uen" for ["uen"] or ["credentialSubject","uen"]).
func (r *Request) Asked() []string {
	if len(r.Query.Credentials) == 0 {
		return nil
	}
	var names []string
	for _, c := range r.Query.Credentials[0].Claims {
		if len(c.Path) == 0 {
			continue
		}
		if s, ok := c.Path[len(c.Path)-1].(string); ok {
			names = append(names, s)
		}
	}
	return names
}

// Resolve opens an openid4vp:// link: it fetches the request object from request_uri and
// checks it: typ oauth-authz-req+jwt; for a decentralized_identifier: client id, a signature
// by a key of that DID (resolved with pkg/did); for redirect_uri:, an unsigned object whose
// response URI is the client id's. The link's client_id must be the object's.
func (w *Wallet) Resolve(ctx context.Context, link string) (*Request, error) {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "openid4vp" {
		return nil, fmt.Errorf("%w: %q is not an openid4vp link", ErrRefused, link)
	}
	q := u.Query()
	var obj []byte
	if err := w.call(ctx, "GET", q.Get("request_uri"), "", "", nil, &obj); err != nil {
		return nil, err
	}
	req, err := w.checkRequestObject(ctx, string(obj))
	if err != nil {
		return nil, err
	}
	if req.ClientID != q.Get("client_id") {
		return nil, fmt.Errorf("%w: the link's client id %q is not the request's %q", ErrRefused, q.Get("client_id"), req.ClientID)
	}
	return req, nil
}

func (w *Wallet) checkRequestObject(ctx context.Context, obj string) (*Request, error) {
	parts := strings.Split(strings.TrimSpace(obj), ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: the request object is not a compact JWT", ErrRefused)
	}
	var header struct {
		Alg, Typ, Kid string
	}
	var req Request
	for i, into := range []any{&header, &req} {
		b, err := enc.DecodeString(parts[i])
		if err == nil {
			err = json.Unmarshal(b, into)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: request object part %d: %v", ErrRefused, i, err)
		}
	}
	if header.Typ != "oauth-authz-req+jwt" {
		return nil, fmt.Errorf("%w: request object typ %q", ErrRefused, header.Typ)
	}
	if req.Expires != 0 && time.Now().Unix() >= req.Expires {
		return nil, fmt.Errorf("%w: the request expired", ErrRefused)
	}
	switch {
	case strings.HasPrefix(req.ClientID, PrefixDID):
		verifierDID := strings.TrimPrefix(req.ClientID, PrefixDID)
		if !strings.HasPrefix(header.Kid, verifierDID+"#") {
			return nil, fmt.Errorf("%w: request signed by %q, not by a key of %s", ErrRefused, header.Kid, verifierDID)
		}
		pub, alg, err := did.ResolveKey(ctx, did.NewResolver(did.ResolverOptions{}), header.Kid)
		if err != nil {
			return nil, fmt.Errorf("%w: the verifier's key: %v", ErrRefused, err)
		}
		sig, err := enc.DecodeString(parts[2])
		if err != nil || string(alg) != header.Alg || keys.Verify(alg, pub, []byte(parts[0]+"."+parts[1]), sig) != nil {
			return nil, fmt.Errorf("%w: the request object's signature does not verify", ErrRefused)
		}
		req.Signed = true
	case strings.HasPrefix(req.ClientID, PrefixRedirectURI):
		if header.Alg != "none" || parts[2] != "" {
			return nil, fmt.Errorf("%w: a redirect_uri: request is unsigned", ErrRefused)
		}
		if req.ClientID != PrefixRedirectURI+req.ResponseURI {
			return nil, fmt.Errorf("%w: response URI %q is not the client id's", ErrRefused, req.ResponseURI)
		}
	default:
		return nil, fmt.Errorf("%w: client id prefix of %q", ErrRefused, req.ClientID)
	}
	if len(req.Query.Credentials) == 0 || req.Nonce == "" {
		return nil, fmt.Errorf("%w: the request has no DCQL credential query or no nonce", ErrRefused)
	}
	return &req, nil
}

// Present answers req with cred for its first credential query, disclosing the claims named
// in disclose (SD-JWT VC; the request's Asked claims, usually), bound to the request's nonce
// and client id: a KB-JWT for dc+sd-jwt, a VP JWT for jwt_vc_json. It posts the response to
// the response URI (direct_post, or direct_post.jwt encrypted to the request's key). A refusal
// by the verifier is an *HTTPError (errors.As).
func (w *Wallet) Present(ctx context.Context, req *Request, cred Credential, disclose []string) error {
	cq := req.Query.Credentials[0]
	if cq.Format != cred.Format {
		return fmt.Errorf("%w: the query asks for %s, the credential is %s", ErrRefused, cq.Format, cred.Format)
	}
	var pres string
	var err error
	switch cred.Format {
	case "dc+sd-jwt":
		if pres, err = vcjwt.Present(cred.Compact(), disclose); err == nil {
			pres, err = vcjwt.SignKeyBinding(w.Key, pres, req.Nonce, req.ClientID, time.Now())
		}
	case "jwt_vc_json":
		pres, err = vcjwt.SignVPJWT(w.Key, vcjwt.VPParams{Version: 1, Holder: w.DID, Credentials: []string{cred.Compact()},
			Nonce: req.Nonce, Audience: req.ClientID})
	default:
		return fmt.Errorf("%w: format %s", ErrRefused, cred.Format)
	}
	if err != nil {
		return fmt.Errorf("wallet: presentation: %w", err)
	}
	vpToken, err := json.Marshal(map[string][]string{cq.ID: {pres}})
	if err != nil {
		return fmt.Errorf("wallet: vp_token: %w", err)
	}
	form := url.Values{}
	switch req.ResponseMode {
	case "direct_post":
		form.Set("vp_token", string(vpToken))
		form.Set("state", req.State)
	case "direct_post.jwt":
		jwe, err := req.encrypt(map[string]any{"vp_token": json.RawMessage(vpToken), "state": req.State})
		if err != nil {
			return err
		}
		form.Set("response", jwe)
	default:
		return fmt.Errorf("%w: response mode %q", ErrRefused, req.ResponseMode)
	}
	return w.postForm(ctx, req.ResponseURI, form, nil)
}

// encrypt makes the direct_post.jwt response: a compact JWE (ECDH-ES) to the request's
// encryption key.
func (r *Request) encrypt(payload any) (string, error) {
	if len(r.ClientMetadata.JWKS.Keys) == 0 {
		return "", fmt.Errorf("%w: direct_post.jwt without an encryption key", ErrRefused)
	}
	key, err := jwk.ParseKey(r.ClientMetadata.JWKS.Keys[0])
	if err != nil {
		return "", fmt.Errorf("%w: encryption key: %v", ErrRefused, err)
	}
	encAlg := jwa.A128GCM
	if slices.Contains(r.ClientMetadata.EncValues, "A256GCM") && !slices.Contains(r.ClientMetadata.EncValues, "A128GCM") {
		encAlg = jwa.A256GCM
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("wallet: response: %w", err)
	}
	hdr := jwe.NewHeaders()
	if err := hdr.Set(jwe.KeyIDKey, key.KeyID()); err != nil {
		return "", fmt.Errorf("wallet: response header: %w", err)
	}
	out, err := jwe.Encrypt(b, jwe.WithKey(jwa.ECDH_ES, key), jwe.WithContentEncryption(encAlg), jwe.WithProtectedHeaders(hdr))
	if err != nil {
		return "", fmt.Errorf("wallet: encrypt the response: %w", err)
	}
	return string(out), nil
}
