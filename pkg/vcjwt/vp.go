package vcjwt

import (
	"bytes"
	"crypto"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

// VPParams describes a JWT presentation to sign.
type VPParams struct {
	// Version 1 makes a VC 1.1 JWT VP (typ JWT, vp claim); 2 makes a VC 2.0
	// VC-JOSE presentation (typ vp+jwt, the presentation as the payload,
	// credentials enveloped).
	Version int
	// Holder is the presenter (iss and holder), usually a DID.
	Holder string
	// Credentials are the presented credentials as compact JWS tokens.
	Credentials []string
	// Nonce and Audience bind the presentation to a verifier's challenge.
	Nonce, Audience string
	// ID is the optional jti / presentation id.
	ID string
	// IssuedAt defaults to now; Expiry is optional.
	IssuedAt, Expiry time.Time
}

// SignVPJWT signs a JWT presentation.
func SignVPJWT(k *keys.Key, p VPParams) (string, error) {
	if p.Holder == "" || p.Nonce == "" || p.Audience == "" {
		return "", fmt.Errorf("%w: a presentation needs holder, nonce and audience", ErrMalformed)
	}
	iat := p.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	claims := map[string]any{"iss": p.Holder, "nonce": p.Nonce, "aud": p.Audience, "iat": iat.Unix()}
	if !p.Expiry.IsZero() {
		claims["exp"] = p.Expiry.Unix()
	}
	kid := KeyID(p.Holder, k)
	switch p.Version {
	case 1:
		if p.ID != "" {
			claims["jti"] = p.ID
		}
		claims["vp"] = map[string]any{
			"@context": []string{vc.ContextV1}, "type": []string{vc.TypePresentation},
			"holder": p.Holder, "verifiableCredential": p.Credentials,
		}
		return signClaims(k, TypJWT, "", kid, claims)
	case 2:
		creds := make([]json.RawMessage, len(p.Credentials))
		for i, c := range p.Credentials {
			mt := vc.MediaTypeVCJWT
			if bytes.ContainsRune([]byte(c), '~') {
				mt = vc.MediaTypeSDJWT
			}
			creds[i] = vc.Envelope(mt, c)
		}
		claims["@context"] = []string{vc.ContextV2}
		claims["type"] = []string{vc.TypePresentation}
		claims["holder"] = p.Holder
		claims["verifiableCredential"] = creds
		if p.ID != "" {
			claims["id"] = p.ID
		}
		return signClaims(k, TypVPJOSE, ctyVP, kid, claims)
	}
	return "", fmt.Errorf("%w: presentation version %d", ErrUnsupportedFormat, p.Version)
}

// signClaims marshals claims and signs them.
func signClaims(k *keys.Key, typ, cty, kid string, claims map[string]any) (string, error) {
	body, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("vcjwt: encode claims: %w", err)
	}
	return signJWS(k, typ, cty, kid, body)
}

// ParsedVP is a parsed JWT presentation whose signature is not yet checked.
type ParsedVP struct {
	// Token is the presentation JWS.
	Token *Token
	// Version is 1 (vp claim) or 2 (vp+jwt).
	Version int
	// Holder is iss (or the presentation holder).
	Holder string
	// Kid is the key id to resolve, checked against Holder as for credentials.
	Kid string
	// ID is jti or the presentation id.
	ID string
	// Nonce and Audience are the challenge claims.
	Nonce    string
	Audience []string
	// IssuedAt, NotBefore and Expiry are iat, nbf and exp.
	IssuedAt, NotBefore, Expiry time.Time
	// Credentials holds each presented credential as ParseCredential takes
	// it: a compact token, or the JSON of an object (enveloped or embedded).
	Credentials []string
}

// vpWire is the presentation members read from a vp claim or vp+jwt payload.
type vpWire struct {
	Context []json.RawMessage `json:"@context"`
	ID      string            `json:"id"`
	Type    strList           `json:"type"`
	Holder  idRef             `json:"holder"`
	VC      json.RawMessage   `json:"verifiableCredential"`
}

// vpPayload is a JWT VP payload of either version.
type vpPayload struct {
	jwtClaims
	vpWire
	Nonce string  `json:"nonce"`
	Aud   strList `json:"aud"`
	VP    *vpWire `json:"vp"`
}

// ParseVPJWT reads a JWT presentation (VC 1.1 vp claim or VC 2.0 vp+jwt,
// compact or as an EnvelopedVerifiablePresentation JSON object), on the lean
// path, without checking its signature.
func ParseVPJWT(s string) (*ParsedVP, error) {
	if s = strings.TrimSpace(s); strings.HasPrefix(s, "{") {
		env, err := vc.ParseEnveloped([]byte(s))
		if err != nil || !env.Presentation {
			return nil, fmt.Errorf("%w: JSON that is not an enveloped presentation (%v)", ErrUnsupportedFormat, err)
		}
		s = env.Data
	}
	tok, err := Parse(s)
	if err != nil {
		return nil, err
	}
	var pl vpPayload
	if err := json.Unmarshal(tok.Payload, &pl); err != nil {
		return nil, fmt.Errorf("%w: presentation payload: %w", ErrMalformed, err)
	}
	out := &ParsedVP{Token: tok, Nonce: pl.Nonce, Audience: pl.Aud, Holder: pl.Iss}
	var w *vpWire
	switch tok.Typ {
	case TypJWT, "":
		if pl.VP == nil {
			return nil, fmt.Errorf("%w: a JWT without a vp claim", ErrUnsupportedFormat)
		}
		w, out.Version, out.ID = pl.VP, 1, pl.Jti
	case TypVPJOSE, "vp+ld+json+jwt":
		w, out.Version, out.ID = &pl.vpWire, 2, pl.vpWire.ID
	default:
		return nil, fmt.Errorf("%w: presentation typ %q", ErrUnsupportedFormat, tok.Typ)
	}
	if contextVersion(w.Context) == 0 {
		return nil, fmt.Errorf("%w: presentation @context must start with a VC base context", ErrMalformed)
	}
	if !contains(w.Type, vc.TypePresentation) {
		return nil, fmt.Errorf("%w: presentation type must include %s", ErrMalformed, vc.TypePresentation)
	}
	if out.Holder == "" {
		out.Holder = string(w.Holder)
	} else if w.Holder != "" && string(w.Holder) != out.Holder {
		return nil, fmt.Errorf("%w: iss %q and holder %q differ", ErrMalformed, out.Holder, w.Holder)
	}
	if out.Holder == "" {
		return nil, fmt.Errorf("%w: presentation without iss or holder", ErrMalformed)
	}
	if out.Credentials, err = splitCredentials(w.VC); err != nil {
		return nil, err
	}
	if out.Kid, err = resolveKid(out.Holder, tok.Kid); err != nil {
		return nil, err
	}
	out.IssuedAt, out.NotBefore, out.Expiry = pl.Iat.time(), pl.Nbf.time(), pl.Exp.time()
	return out, nil
}

// splitCredentials reads verifiableCredential: one value or an array of
// strings and objects.
func splitCredentials(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	items := []json.RawMessage{raw}
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("%w: verifiableCredential: %w", ErrMalformed, err)
		}
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		it = bytes.TrimSpace(it)
		switch {
		case len(it) > 0 && it[0] == '"':
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return nil, fmt.Errorf("%w: verifiableCredential[%d]: %w", ErrMalformed, i, err)
			}
			out = append(out, s)
		case len(it) > 0 && it[0] == '{':
			out = append(out, string(it))
		default:
			return nil, fmt.Errorf("%w: verifiableCredential[%d] is neither a string nor an object", ErrMalformed, i)
		}
	}
	return out, nil
}

// Verify checks the presentation signature with pub, the nonce and audience
// (ErrChallenge; both must be given), iat not in the future beyond skew,
// and exp / nbf.
func (p *ParsedVP) Verify(pub crypto.PublicKey, nonce, aud string, now time.Time, skew time.Duration) error {
	if nonce == "" || aud == "" {
		return fmt.Errorf("%w: the verifier must expect a nonce and an audience", ErrChallenge)
	}
	if err := p.Token.Verify(pub); err != nil {
		return err
	}
	if p.Nonce != nonce {
		return fmt.Errorf("%w: nonce", ErrChallenge)
	}
	if !contains(p.Audience, aud) {
		return fmt.Errorf("%w: audience %v, want %q", ErrChallenge, p.Audience, aud)
	}
	if !p.Expiry.IsZero() && now.After(p.Expiry.Add(skew)) {
		return fmt.Errorf("%w: presentation expired at %s", ErrExpired, p.Expiry.Format(time.RFC3339))
	}
	if !p.NotBefore.IsZero() && now.Add(skew).Before(p.NotBefore) {
		return fmt.Errorf("%w: presentation not before %s", ErrNotYetValid, p.NotBefore.Format(time.RFC3339))
	}
	if p.IssuedAt.IsZero() {
		return nil
	}
	if p.IssuedAt.After(now.Add(skew)) {
		return fmt.Errorf("%w: presentation issued in the future", ErrNotYetValid)
	}
	return nil
}
