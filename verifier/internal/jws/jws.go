// Package jws is the verifier's lean reader of compact JWS: split, decode,
// and a strict header check, with no allocation beyond the decoded parts.
// It is a stopgap seam until pkg/vcjwt's lean Parse is wired in: it does not
// sign, and knows no credential format.
package jws

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"strings"

	"github.com/idport/idport/pkg/keys"
)

// Sentinel errors.
var (
	// ErrMalformed: not a compact JWS, or a part does not decode.
	ErrMalformed = errors.New("jws: malformed")
	// ErrAlgNotAllowed: alg is not on the allow-list (none, HS*, RS*, ...).
	ErrAlgNotAllowed = errors.New("jws: algorithm not allowed")
	// ErrForbiddenHeader: the header carries a member that would let the
	// token choose its own key or extensions (jwk, jku, x5u, x5c, crit, b64).
	ErrForbiddenHeader = errors.New("jws: forbidden header member")
)

// MaxTokenBytes bounds a compact JWS.
const MaxTokenBytes = 1 << 20

// Token is a decoded compact JWS.
type Token struct {
	Alg          keys.Alg
	Kid          string
	Typ          string
	Cty          string
	Payload      []byte
	SigningInput []byte
	Signature    []byte
}

type header struct {
	Alg string          `json:"alg"`
	Kid string          `json:"kid"`
	Typ string          `json:"typ"`
	Cty string          `json:"cty"`
	Jwk json.RawMessage `json:"jwk"`
	Jku json.RawMessage `json:"jku"`
	X5u json.RawMessage `json:"x5u"`
	X5c json.RawMessage `json:"x5c"`
	Crt json.RawMessage `json:"crit"`
	B64 json.RawMessage `json:"b64"`
}

// Parse decodes a compact JWS and checks its header.
func Parse(s string) (*Token, error) {
	if len(s) > MaxTokenBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(s))
	}
	i := strings.IndexByte(s, '.')
	if i < 0 {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrMalformed)
	}
	j := strings.IndexByte(s[i+1:], '.')
	if j < 0 {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrMalformed)
	}
	j += i + 1
	if strings.IndexByte(s[j+1:], '.') >= 0 {
		return nil, fmt.Errorf("%w: too many parts (JWE is not supported)", ErrMalformed)
	}
	enc := base64.RawURLEncoding
	// One buffer for header, payload and signature.
	buf := make([]byte, enc.DecodedLen(i)+enc.DecodedLen(j-i-1)+enc.DecodedLen(len(s)-j-1))
	hn, err := enc.Decode(buf, []byte(s[:i]))
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	hb := buf[:hn:hn]
	pn, err := enc.Decode(buf[hn:], []byte(s[i+1:j]))
	if err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	pb := buf[hn : hn+pn : hn+pn]
	sn, err := enc.Decode(buf[hn+pn:], []byte(s[j+1:]))
	if err != nil {
		return nil, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	sb := buf[hn+pn : hn+pn+sn]
	if len(hb) == 0 || hb[0] != '{' {
		return nil, fmt.Errorf("%w: header is not a JSON object", ErrMalformed)
	}
	var h header
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	switch {
	case h.Jwk != nil:
		return nil, fmt.Errorf("%w: jwk", ErrForbiddenHeader)
	case h.Jku != nil:
		return nil, fmt.Errorf("%w: jku", ErrForbiddenHeader)
	case h.X5u != nil:
		return nil, fmt.Errorf("%w: x5u", ErrForbiddenHeader)
	case h.X5c != nil:
		return nil, fmt.Errorf("%w: x5c", ErrForbiddenHeader)
	case h.Crt != nil:
		return nil, fmt.Errorf("%w: crit", ErrForbiddenHeader)
	case h.B64 != nil:
		return nil, fmt.Errorf("%w: b64", ErrForbiddenHeader)
	}
	alg := keys.Alg(h.Alg)
	if !keys.IsAllowed(alg) {
		return nil, fmt.Errorf("%w: %q", ErrAlgNotAllowed, h.Alg)
	}
	if len(pb) == 0 || pb[0] != '{' {
		return nil, fmt.Errorf("%w: payload is not a JSON object", ErrMalformed)
	}
	if len(sb) == 0 {
		return nil, fmt.Errorf("%w: empty signature", ErrMalformed)
	}
	return &Token{
		Alg: alg, Kid: h.Kid, Typ: h.Typ, Cty: h.Cty,
		Payload: bytes.TrimSpace(pb), SigningInput: []byte(s[:j]), Signature: sb,
	}, nil
}
