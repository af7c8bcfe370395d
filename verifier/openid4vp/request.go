package openid4vp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier/dcql"
)

// Client identifier prefixes.
const (
	PrefixDID         = "decentralized_identifier:"
	PrefixRedirectURI = "redirect_uri:"
)

// Response modes.
const (
	DirectPost    = "direct_post"
	DirectPostJWT = "direct_post.jwt"
)

// TypRequestObject is the typ header of a request object (RFC 9101).
const TypRequestObject = "oauth-authz-req+jwt"

// DefaultLifetime is how long a request may be answered.
const DefaultLifetime = 5 * time.Minute

// Encryption algorithms of direct_post.jwt.
const (
	AlgECDHES = "ECDH-ES"
	EncA128   = "A128GCM"
	EncA256   = "A256GCM"
)

// Signer signs request objects for the decentralized_identifier prefix.
type Signer struct {
	// DID is the verifier's DID (did:jwk, did:web, did:key).
	DID string
	// KeyID is the DID URL of the key (kid header).
	KeyID string
	// Key signs (ES256 or EdDSA).
	Key *keys.Key
}

// Params describe a presentation request.
type Params struct {
	// Query is the DCQL query (validated).
	Query *dcql.Query
	// ResponseURI is where the wallet posts its response.
	ResponseURI string
	// ResponseMode is DirectPost or DirectPostJWT (the default).
	ResponseMode string
	// Signer, when set, makes the client id decentralized_identifier:<DID>
	// and signs the request object; nil: redirect_uri:<ResponseURI>,
	// unsigned.
	Signer *Signer
	// Nonce binds the presentations to the request; empty: a fresh one.
	Nonce string
	// Lifetime is how long the request may be answered (DefaultLifetime
	// when 0).
	Lifetime time.Duration
	// ClientName is shown by wallets (client_metadata.client_name).
	ClientName string
}

// Request is a presentation request as the verifier keeps it until the
// wallet answers.
type Request struct {
	ClientID     string          `json:"client_id"`
	ResponseURI  string          `json:"response_uri"`
	ResponseMode string          `json:"response_mode"`
	Nonce        string          `json:"nonce"`
	State        string          `json:"state"`
	Query        json.RawMessage `json:"dcql_query"`
	ClientName   string          `json:"client_name,omitempty"`
	Created      time.Time       `json:"created"`
	Expires      time.Time       `json:"expires"`
	// EncryptionKey is the private ECDH P-256 scalar of direct_post.jwt
	// (nil for direct_post); EncryptionKID names it in client_metadata.
	EncryptionKey []byte `json:"encryption_key,omitempty"`
	EncryptionKID string `json:"encryption_kid,omitempty"`
}

// random returns n random bytes in base64url.
func random(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (Go >= 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewRequest builds a request: client id, a fresh state, the nonce, and
// for direct_post.jwt an ephemeral P-256 key for the response.
func NewRequest(p Params, now time.Time) (*Request, error) {
	if p.Query == nil {
		return nil, errs.New(ErrInvalidRequest.Code, "openid4vp: a request needs a DCQL query")
	}
	if err := p.Query.Validate(); err != nil {
		return nil, err
	}
	u, err := url.Parse(p.ResponseURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return nil, errs.Errorf(ErrInvalidRequest.Code, "openid4vp: response URI %q is not an absolute http(s) URL", p.ResponseURI)
	}
	q, err := json.Marshal(p.Query)
	if err != nil {
		return nil, fmt.Errorf("openid4vp: encode query: %w", err)
	}
	r := &Request{
		ResponseURI: p.ResponseURI, ResponseMode: p.ResponseMode, Nonce: p.Nonce, State: random(16),
		Query: q, ClientName: p.ClientName, Created: now.UTC(),
	}
	life := p.Lifetime
	if life <= 0 {
		life = DefaultLifetime
	}
	r.Expires = now.Add(life).UTC()
	if r.Nonce == "" {
		r.Nonce = random(16)
	}
	switch {
	case p.Signer == nil:
		r.ClientID = PrefixRedirectURI + p.ResponseURI
	case p.Signer.Key == nil || p.Signer.Key.Signer == nil || !strings.HasPrefix(p.Signer.DID, "did:"):
		return nil, errs.New(ErrInvalidRequest.Code, "openid4vp: a signed request needs the verifier's DID and private key")
	default:
		r.ClientID = PrefixDID + p.Signer.DID
	}
	switch r.ResponseMode {
	case "":
		r.ResponseMode = DirectPostJWT
		fallthrough
	case DirectPostJWT:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("openid4vp: response encryption key: %w", err)
		}
		if r.EncryptionKey, err = k.Bytes(); err != nil {
			return nil, fmt.Errorf("openid4vp: response encryption key: %w", err)
		}
		r.EncryptionKID = random(8)
	case DirectPost:
	default:
		return nil, errs.Errorf(ErrInvalidRequest.Code, "openid4vp: response mode %q (want %s or %s)", r.ResponseMode, DirectPost, DirectPostJWT)
	}
	return r, nil
}

// Expired reports whether the request can no longer be answered at now.
func (r *Request) Expired(now time.Time) bool { return !now.Before(r.Expires) }

func (r *Request) encryptionKey() (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), r.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("openid4vp: response encryption key: %w", err)
	}
	return k, nil
}

// encryptionJWK is the public JWK wallets encrypt the response to.
func (r *Request) encryptionJWK() (map[string]any, error) {
	k, err := r.encryptionKey()
	if err != nil {
		return nil, err
	}
	b, err := k.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("openid4vp: response encryption key: %w", err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return map[string]any{
		"kty": "EC", "crv": "P-256", "x": enc(b[1:33]), "y": enc(b[33:]),
		"use": "enc", "alg": AlgECDHES, "kid": r.EncryptionKID,
	}, nil
}

// Payload returns the authorization request parameters (the claims of
// the request object).
func (r *Request) Payload() (map[string]any, error) {
	md := map[string]any{
		"vp_formats_supported": map[string]any{
			dcql.FormatSDJWT: map[string]any{
				"sd-jwt_alg_values": []string{"ES256", "EdDSA"}, "kb-jwt_alg_values": []string{"ES256", "EdDSA"},
			},
			dcql.FormatJWTVCJSON: map[string]any{"alg_values": []string{"ES256", "EdDSA"}},
		},
	}
	if r.ClientName != "" {
		md["client_name"] = r.ClientName
	}
	if r.ResponseMode == DirectPostJWT {
		jwk, err := r.encryptionJWK()
		if err != nil {
			return nil, err
		}
		md["jwks"] = map[string]any{"keys": []any{jwk}}
		md["encrypted_response_enc_values_supported"] = []string{EncA128, EncA256}
		// Draft names, read by wallets of earlier drafts.
		md["authorization_encrypted_response_alg"] = AlgECDHES
		md["authorization_encrypted_response_enc"] = EncA128
	}
	return map[string]any{
		"response_type":   "vp_token",
		"client_id":       r.ClientID,
		"response_uri":    r.ResponseURI,
		"response_mode":   r.ResponseMode,
		"nonce":           r.Nonce,
		"state":           r.State,
		"dcql_query":      r.Query,
		"client_metadata": md,
	}, nil
}

// Object returns the request object: a JWT with typ
// oauth-authz-req+jwt, signed by signer for the decentralized_identifier
// prefix, unsigned (alg none) for redirect_uri. aud is
// https://self-issued.me/v2 (a wallet of any issuer); there is no iss.
func (r *Request) Object(signer *Signer, now time.Time) (string, error) {
	claims, err := r.Payload()
	if err != nil {
		return "", err
	}
	claims["aud"] = "https://self-issued.me/v2"
	claims["iat"] = now.Unix()
	claims["exp"] = r.Expires.Unix()
	header := map[string]any{"typ": TypRequestObject}
	signed := strings.HasPrefix(r.ClientID, PrefixDID)
	if signed {
		if signer == nil || PrefixDID+signer.DID != r.ClientID {
			return "", errs.New(ErrInvalidRequest.Code, "openid4vp: the request's client id needs the key of its DID")
		}
		// No iss: OpenID4VP does not need it (the wallet authenticates the client id through
		// the kid's DID), and wallets disagree on its value (oid4vc-ts refuses a request whose
		// iss is not the kid's DID, so the prefixed client id fails there).
		header["alg"], header["kid"] = string(signer.Key.Alg), signer.KeyID
	} else {
		header["alg"] = "none"
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("openid4vp: request object header: %w", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("openid4vp: request object claims: %w", err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	input := enc(h) + "." + enc(c)
	if !signed {
		return input + ".", nil
	}
	sig, err := signer.Key.Sign([]byte(input))
	if err != nil {
		return "", fmt.Errorf("openid4vp: sign request object: %w", err)
	}
	return input + "." + enc(sig), nil
}

// DeepLink returns the openid4vp:// link a wallet opens: client_id and
// request_uri (fetched with GET).
func (r *Request) DeepLink(requestURI string) string {
	v := url.Values{"client_id": {r.ClientID}, "request_uri": {requestURI}}
	return "openid4vp://?" + v.Encode()
}
