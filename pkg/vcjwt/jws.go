// Package vcjwt signs and verifies the JOSE credential formats of idport:
// VC-JWT for VC Data Model 1.1 (a JWT with a vc claim), VC-JOSE-COSE for VC
// Data Model 2.0 (typ vc+jwt, the credential is the payload), SD-JWT VC
// (typ dc+sd-jwt, with disclosures and a key-binding JWT) and JWT
// presentations.
//
// Both directions are hot paths (issuance at 0.7 x raw signatures per
// second, verification at 1.3 x a raw verify), so neither goes through a
// JOSE library: signing writes the compact JWS itself and signs with
// keys.Key.Sign; Parse reads the compact JWS by hand, allows only EdDSA and
// ES256, refuses headers that point at other keys (jku, jwk, x5u, x5c) and
// any crit, bounds sizes, reads JSON with a strict scanner that refuses
// repeated member names, and Verify calls crypto/ed25519 and crypto/ecdsa
// directly. jwx (jws.Verify, jwt.Parse) and the npm peers jose, did-jwt-vc
// and @sd-jwt/sd-jwt-vc check our tokens in the tests. Exported types hold
// our own values only.
package vcjwt

import (
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/idport/idport/pkg/keys"
)

// Limits on outside input.
const (
	// MaxTokenBytes bounds a compact JWS or a whole SD-JWT.
	MaxTokenBytes = 256 << 10
	// MaxHeaderBytes bounds the decoded protected header.
	MaxHeaderBytes = 4 << 10
	// MaxDisclosures bounds the number of SD-JWT disclosures.
	MaxDisclosures = 1000
	// MaxKidBytes bounds a kid.
	MaxKidBytes = 1024
)

// Sentinel errors. Every error of this package wraps one of them.
var (
	// ErrMalformed: not a well-formed token of the expected shape.
	ErrMalformed = errors.New("vcjwt: malformed token")
	// ErrTooLarge: a size or count limit was exceeded.
	ErrTooLarge = errors.New("vcjwt: token too large")
	// ErrAlgNotAllowed: the alg is not EdDSA or ES256 (it is keys.ErrAlgNotAllowed).
	ErrAlgNotAllowed = keys.ErrAlgNotAllowed
	// ErrHeaderNotAllowed: a header member we refuse (jku, jwk, x5u, x5c, crit, ...).
	ErrHeaderNotAllowed = errors.New("vcjwt: header member not allowed")
	// ErrUnsupportedFormat: the typ or shape is not a format this package reads.
	ErrUnsupportedFormat = errors.New("vcjwt: unsupported format")
	// ErrSignatureInvalid: the signature does not verify (it is keys.ErrSignatureInvalid).
	ErrSignatureInvalid = keys.ErrSignatureInvalid
	// ErrKeyMismatch: the key is not of the token's algorithm, or the kid
	// does not belong to the issuer.
	ErrKeyMismatch = errors.New("vcjwt: key does not fit the token")
	// ErrDisclosure: an SD-JWT disclosure is malformed, unreferenced or repeated.
	ErrDisclosure = errors.New("vcjwt: invalid disclosure")
	// ErrHolderBinding: a key-binding JWT or holder proof is missing or invalid.
	ErrHolderBinding = errors.New("vcjwt: holder binding failed")
	// ErrChallenge: nonce or audience of a presentation does not match.
	ErrChallenge = errors.New("vcjwt: challenge mismatch")
	// ErrExpired: the token or credential is past its expiry.
	ErrExpired = errors.New("vcjwt: expired")
	// ErrNotYetValid: the token or credential is not valid yet.
	ErrNotYetValid = errors.New("vcjwt: not yet valid")
)

// b64 is the JOSE base64url encoding: no padding, strict trailing bits.
var b64 = base64.RawURLEncoding.Strict()

// deniedHeaders are protected header members that we refuse: key references
// that would let a token choose its own key, critical extensions we do not
// understand (we understand none), and JWE or unencoded-payload members.
var deniedHeaders = []string{"jku", "jwk", "x5u", "x5c", "crit", "b64", "enc", "zip", "x5t", "x5t#S256"}

// Header is the protected header of a token, the members we use.
type Header struct {
	Alg keys.Alg
	Kid string
	Typ string
	Cty string
}

// Token is a parsed compact JWS whose signature is not yet checked.
type Token struct {
	Header
	// Payload is the decoded payload.
	Payload []byte
	// SigningInput is the ASCII of base64url(header) '.' base64url(payload).
	SigningInput []byte
	// Signature is the decoded signature.
	Signature []byte
}

// Parse reads a compact JWS on the lean path. It refuses tokens over
// MaxTokenBytes, any alg but EdDSA and ES256, the headers jku, jwk, x5u, x5c,
// crit (and b64, enc, zip, x5t), bad base64url, a header that is not a JSON
// object, a kid with path tricks, and a signature of the wrong length.
func Parse(compact string) (*Token, error) {
	if len(compact) > MaxTokenBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(compact), MaxTokenBytes)
	}
	h, rest, ok := strings.Cut(compact, ".")
	if !ok {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrMalformed)
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(s, '.') >= 0 {
		return nil, fmt.Errorf("%w: a compact JWS has three parts", ErrMalformed)
	}
	if b64.DecodedLen(len(h)) > MaxHeaderBytes {
		return nil, fmt.Errorf("%w: header of %d bytes", ErrTooLarge, len(h))
	}
	// One allocation: a copy of the token, which serves as signing input
	// and base64 source, followed by the decoded header, signature and
	// payload.
	all := make([]byte, len(compact)+b64.DecodedLen(len(h))+sigLen+b64.DecodedLen(len(p)))
	raw := all[:copy(all, compact):len(compact)]
	in := raw[:len(h)+1+len(p)]
	buf := all[len(compact):]
	hn, err := b64.Decode(buf, raw[:len(h)])
	if err != nil {
		return nil, fmt.Errorf("%w: header base64url: %w", ErrMalformed, err)
	}
	hdr, err := parseHeader(buf[:hn])
	if err != nil {
		return nil, err
	}
	if len(s) != b64.EncodedLen(sigLen) {
		return nil, fmt.Errorf("%w: signature of %d base64url characters, want %d", ErrSignatureInvalid, len(s), b64.EncodedLen(sigLen))
	}
	sig := buf[hn : hn+sigLen]
	if n, err := b64.Decode(sig, raw[len(in)+1:]); err != nil || n != sigLen {
		return nil, fmt.Errorf("%w: signature base64url: %v", ErrMalformed, err)
	}
	pn, err := b64.Decode(buf[hn+sigLen:], raw[len(h)+1:len(in)])
	if err != nil {
		return nil, fmt.Errorf("%w: payload base64url: %w", ErrMalformed, err)
	}
	return &Token{
		Header:       hdr,
		Payload:      buf[hn+sigLen : hn+sigLen+pn : hn+sigLen+pn],
		SigningInput: in[:len(in):len(in)],
		Signature:    sig[:sigLen:sigLen],
	}, nil
}

// sigLen is the JOSE signature length of both allowed algorithms: Ed25519
// signatures and ES256 r||s are 64 bytes.
const sigLen = 64

// parseHeader reads a protected header. Member names match exactly (so
// "ALG" or "Jku" are not taken for "alg" or "jku"), and repeated names are
// refused, so no other JOSE library can read a different header from it.
func parseHeader(b []byte) (Header, error) {
	var h Header
	s := scanner{b: string(b)}
	err := s.object(func(name string) error {
		var (
			v   string
			err error
		)
		switch name {
		case "alg":
			v, err = s.str()
			h.Alg = keys.Alg(v)
		case "kid":
			h.Kid, err = s.str()
		case "typ":
			var typ string
			typ, err = s.str()
			h.Typ = normalizeTyp(typ)
		case "cty":
			h.Cty, err = s.str()
		default:
			for _, d := range deniedHeaders {
				if d == name {
					return fmt.Errorf("%w: %q", ErrHeaderNotAllowed, d)
				}
			}
			return s.skip()
		}
		return err
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return Header{}, fmt.Errorf("header: %w", err)
	}
	if !keys.IsAllowed(h.Alg) {
		return Header{}, fmt.Errorf("%w: %q", ErrAlgNotAllowed, h.Alg)
	}
	if err := checkKid(h.Kid); err != nil {
		return Header{}, err
	}
	return h, nil
}

// normalizeTyp gives typ its canonical spelling: media type names are
// case-insensitive and "application/" may be left out (RFC 7515 4.1.9), so
// "application/VC+JWT" is "vc+jwt"; "jwt" in any case is "JWT".
func normalizeTyp(typ string) string {
	if strings.EqualFold(typ, TypJWT) {
		return TypJWT
	}
	for i := 0; i < len(typ); i++ {
		if c := typ[i]; c >= 'A' && c <= 'Z' || c == '/' {
			typ = strings.ToLower(typ)
			if rest, ok := strings.CutPrefix(typ, "application/"); ok && !strings.Contains(rest, "/") {
				return rest
			}
			return typ
		}
	}
	return typ
}

// checkKid refuses kids that could steer a key lookup somewhere else: path
// traversal, backslashes, encoded dots and slashes, control characters and
// white space, and overlong values.
func checkKid(kid string) error {
	if len(kid) > MaxKidBytes {
		return fmt.Errorf("%w: kid of %d bytes", ErrMalformed, len(kid))
	}
	for i := 0; i < len(kid); i++ {
		if c := kid[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return fmt.Errorf("%w: kid contains a control, space or backslash character", ErrMalformed)
		}
	}
	if strings.Contains(kid, "..") {
		return fmt.Errorf("%w: kid contains \"..\"", ErrMalformed)
	}
	if strings.IndexByte(kid, '%') < 0 {
		return nil
	}
	if l := strings.ToLower(kid); strings.Contains(l, "%2e") || strings.Contains(l, "%2f") || strings.Contains(l, "%5c") || strings.Contains(l, "%00") {
		return fmt.Errorf("%w: kid contains an encoded dot, slash, backslash or NUL", ErrMalformed)
	}
	return nil
}

// Verify checks the signature with pub, which must be of the token's
// algorithm (an Ed25519 key for EdDSA, a P-256 key for ES256).
func (t *Token) Verify(pub crypto.PublicKey) error {
	alg, err := keys.AlgOf(pub)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrKeyMismatch, err)
	}
	if alg != t.Alg {
		return fmt.Errorf("%w: token alg %s, key alg %s", ErrKeyMismatch, t.Alg, alg)
	}
	if err := keys.Verify(t.Alg, pub, t.SigningInput, t.Signature); err != nil {
		return fmt.Errorf("vcjwt: verify %s signature: %w", t.Alg, err)
	}
	return nil
}
