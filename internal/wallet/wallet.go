// Package wallet is a small holder wallet for the examples and `idport demo`: it receives
// credentials through OpenID4VCI 1.0 (pre-authorized code with a tx_code, a jwt key proof) and
// presents them through OpenID4VP 1.0 (request_uri, a signed or unsigned request object, a
// DCQL query, SD-JWT + KB-JWT or a VP JWT, direct_post or direct_post.jwt).
//
// It speaks to idport over HTTP only and builds on the public packages pkg/keys, pkg/vcjwt and
// pkg/did, as any Go wallet could: it shows the protocols from the wallet's side and is no
// part of the services. It supports what idport serves, not every option of the protocols.
package wallet

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
)

// ErrRefused marks a request or answer the wallet refuses (a request object whose signature
// does not verify, an unexpected client id, an unsupported query).
var ErrRefused = errors.New("wallet: refused")

// Wallet holds one key and the credentials issued to it.
type Wallet struct {
	// Key is the holder key every credential is bound to.
	Key *keys.Key
	// DID is the key's did:jwk (the holder of W3C credentials and VP JWTs).
	DID string
	// Credentials are the credentials received so far.
	Credentials []Credential
	// HTTP is the client of every call (a 10-second timeout by default).
	HTTP *http.Client

	jwk json.RawMessage
}

// Credential is a credential the wallet holds.
type Credential struct {
	// ConfigurationID is the issuer's credential configuration id.
	ConfigurationID string
	// Format is dc+sd-jwt or jwt_vc_json (compact); ldp_vc credentials are kept as JSON.
	Format string
	// Raw is the credential as the issuer sent it: a compact string or a JSON document.
	Raw json.RawMessage
}

// Compact returns the credential's compact form ("" for a JSON document).
func (c Credential) Compact() string {
	var s string
	if json.Unmarshal(c.Raw, &s) != nil {
		return ""
	}
	return s
}

// New makes a wallet with a fresh key of alg (EdDSA or ES256).
func New(alg keys.Alg) (*Wallet, error) {
	k, err := keys.Generate(alg)
	if err != nil {
		return nil, fmt.Errorf("wallet: key: %w", err)
	}
	d, kid, err := did.JWKDID(k.Public)
	if err != nil {
		return nil, fmt.Errorf("wallet: did:jwk: %w", err)
	}
	k.ID = kid // a DID URL: vcjwt uses it as the kid of presentations as it is
	jwk, err := keys.MinimalJWK(k.Public)
	if err != nil {
		return nil, fmt.Errorf("wallet: key: %w", err)
	}
	return &Wallet{Key: k, DID: d, HTTP: &http.Client{Timeout: 10 * time.Second}, jwk: jwk}, nil
}

// Find returns the first credential held in format whose configuration id starts with
// prefix (a credential type name, say).
func (w *Wallet) Find(prefix, format string) (Credential, bool) {
	for _, c := range w.Credentials {
		if c.Format == format && strings.HasPrefix(c.ConfigurationID, prefix) {
			return c, true
		}
	}
	return Credential{}, false
}

var enc = base64.RawURLEncoding

// signJWT signs a compact JWS over header and claims with the wallet's key.
func (w *Wallet) signJWT(header, claims map[string]any) (string, error) {
	header["alg"] = string(w.Key.Alg)
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("wallet: jwt header: %w", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("wallet: jwt claims: %w", err)
	}
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	sig, err := w.Key.Sign([]byte(input))
	if err != nil {
		return "", fmt.Errorf("wallet: sign: %w", err)
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// HTTPError is an answer with an unexpected status.
type HTTPError struct {
	// Status is the HTTP status.
	Status int
	// Body is the answer (an OAuth error or problem+json, usually).
	Body []byte
}

func (e *HTTPError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// Code returns the answer's error code: OAuth's "error" or idport's problem "code".
func (e *HTTPError) Code() string {
	var b struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	_ = json.Unmarshal(e.Body, &b)
	if b.Error != "" {
		return b.Error
	}
	return b.Code
}

// call sends one request (body of contentType, or none) and decodes a 2xx JSON answer into out
// (when not nil); any other status is an *HTTPError.
func (w *Wallet) call(ctx context.Context, method, uri, contentType, bearer string, body []byte, out any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, uri, r)
	if err != nil {
		return fmt.Errorf("wallet: %s %s: %w", method, uri, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := w.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("wallet: %s %s: %w", method, uri, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("wallet: %s %s: %w", method, uri, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("wallet: %s %s: %w", method, uri, &HTTPError{Status: resp.StatusCode, Body: b})
	}
	if out == nil {
		return nil
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = b
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("wallet: %s %s: decode answer: %w", method, uri, err)
	}
	return nil
}

func (w *Wallet) postJSON(ctx context.Context, uri, bearer string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("wallet: encode: %w", err)
	}
	return w.call(ctx, http.MethodPost, uri, "application/json", bearer, b, out)
}

func (w *Wallet) postForm(ctx context.Context, uri string, form url.Values, out any) error {
	return w.call(ctx, http.MethodPost, uri, "application/x-www-form-urlencoded", "", []byte(form.Encode()), out)
}
