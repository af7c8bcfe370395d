package vcjwt

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/idport/idport/pkg/keys"
)

// Media types (JOSE typ values) of the formats.
const (
	TypVCJOSE   = "vc+jwt"
	TypVPJOSE   = "vp+jwt"
	TypSDJWT    = "dc+sd-jwt"
	TypKB       = "kb+jwt"
	TypJWT      = "JWT"
	ctyVC       = "vc"
	ctyVP       = "vp"
	typLegacySD = "vc+sd-jwt"      // SD-JWT VC drafts before -06; read, never written
	typLegacyVC = "vc+ld+json+jwt" // VC-JOSE-COSE drafts; read, never written
)

// KeyID returns the kid written into tokens signed by k for issuer: k.ID when
// it is already absolute (a DID URL or anything with '#' or ':'), otherwise
// issuer#k.ID when issuer is a DID, otherwise k.ID as a JWKS kid.
func KeyID(issuer string, k *keys.Key) string {
	if strings.ContainsAny(k.ID, "#:") || !strings.HasPrefix(issuer, "did:") {
		return k.ID
	}
	return issuer + "#" + k.ID
}

// joseHeader is the protected header we write.
type joseHeader struct {
	Alg keys.Alg `json:"alg"`
	Kid string   `json:"kid,omitempty"`
	Typ string   `json:"typ,omitempty"`
	Cty string   `json:"cty,omitempty"`
}

// headerCache holds the base64url protected headers already encoded: an issuer signs with one
// or a few keys, so the same few headers come back on every token.
var headerCache struct {
	sync.RWMutex
	m map[joseHeader]string
}

// maxCachedHeaders bounds headerCache; when full it starts over.
const maxCachedHeaders = 64

// encodedHeader returns the base64url encoding of the JSON of h.
func encodedHeader(h joseHeader) (string, error) {
	headerCache.RLock()
	enc, ok := headerCache.m[h]
	headerCache.RUnlock()
	if ok {
		return enc, nil
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("vcjwt: encode header: %w", err)
	}
	enc = b64.EncodeToString(b)
	headerCache.Lock()
	if headerCache.m == nil || len(headerCache.m) >= maxCachedHeaders {
		headerCache.m = make(map[joseHeader]string)
	}
	headerCache.m[h] = enc
	headerCache.Unlock()
	return enc, nil
}

// signJWS makes a compact JWS of payload signed by k with the given typ,
// cty and kid. It builds the signing input itself and signs with
// keys.Key.Sign: going through jwx's jws.Sign costs more than half of an
// Ed25519 signature again, which the issuance goal (0.7 x raw signs/s)
// cannot afford. Tests check every token we make with jwx's jws.Verify and
// with the jose npm package.
func signJWS(k *keys.Key, typ, cty, kid string, payload []byte) (string, error) {
	if k == nil || k.Signer == nil {
		return "", fmt.Errorf("vcjwt: sign: %w", keys.ErrPublicOnly)
	}
	if !keys.IsAllowed(k.Alg) {
		return "", fmt.Errorf("vcjwt: sign: %w: %q", ErrAlgNotAllowed, k.Alg)
	}
	hdr, err := encodedHeader(joseHeader{Alg: k.Alg, Kid: kid, Typ: typ, Cty: cty})
	if err != nil {
		return "", err
	}
	hl, pl := len(hdr), b64.EncodedLen(len(payload))
	buf := make([]byte, hl+1+pl+1+b64.EncodedLen(sigLen))
	copy(buf, hdr)
	buf[hl] = '.'
	b64.Encode(buf[hl+1:], payload)
	input := buf[:hl+1+pl]
	sig, err := k.Sign(input)
	if err != nil {
		return "", fmt.Errorf("vcjwt: sign %s: %w", k.Alg, err)
	}
	buf[len(input)] = '.'
	b64.Encode(buf[len(input)+1:], sig)
	return string(buf), nil
}
