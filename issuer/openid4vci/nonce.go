package openid4vci

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/idport/idport/pkg/errs"
)

// NonceKeyPurpose is the purpose under which the Service derives its c_nonce MAC key from the
// issuer's key secret (issuer.Issuer.DerivedKey).
const NonceKeyPurpose = "openid4vci c_nonce mac"

// Nonce is a c_nonce a credential request consumes, its MAC and expiry already checked by the
// Service: the store records Value as used until Expires. The zero Nonce is none.
type Nonce struct {
	// Value is the c_nonce as the wallet sent it.
	Value string
	// Expires is the end of the c_nonce's life, which it carries under its MAC.
	Expires time.Time
}

// c_nonce layout: version || expiry (unix seconds, big-endian) || random || first 16 bytes of
// HMAC-SHA256(key, "idport oid4vci c_nonce" 0x00 issuer id 0x00 the preceding bytes), in
// unpadded base64url. Issuing one writes nothing; its MAC proves it is this issuer's (the
// issuer id binds it to one tenant) and carries its expiry.
const (
	nonceVersion = 1
	nonceRandLen = 16
	nonceMACLen  = 16
	nonceBodyLen = 1 + 8 + nonceRandLen
	nonceRawLen  = nonceBodyLen + nonceMACLen
	nonceTextLen = (nonceRawLen*8 + 5) / 6
)

// nonceCodec mints and checks stateless c_nonces for one credential issuer.
type nonceCodec struct {
	key      []byte
	issuerID string
}

func (c nonceCodec) mac(body []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("idport oid4vci c_nonce\x00" + c.issuerID + "\x00"))
	m.Write(body)
	return m.Sum(nil)[:nonceMACLen]
}

// mint returns a fresh c_nonce expiring at expires (truncated to the second).
func (c nonceCodec) mint(expires time.Time) string {
	raw := make([]byte, nonceBodyLen, nonceRawLen)
	raw[0] = nonceVersion
	binary.BigEndian.PutUint64(raw[1:9], uint64(expires.Unix()))
	_, _ = rand.Read(raw[9:nonceBodyLen])
	raw = append(raw, c.mac(raw)...)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// errBadNonce is the one refusal of a c_nonce, whether forged, malformed, expired or used: the
// wallet fetches a new one either way.
func errBadNonce() error {
	return errs.Errorf(CodeInvalidNonce, "invalid nonce: the c_nonce is unknown, expired or already used")
}

// check verifies a c_nonce's MAC and expiry at now, reading nothing from the store.
func (c nonceCodec) check(nonce string, now time.Time) (Nonce, error) {
	if len(nonce) != nonceTextLen {
		return Nonce{}, errBadNonce()
	}
	// Strict: a lenient decoder would take several spellings of one c_nonce (the unused low
	// bits of its last character), each a different key for the single-use record.
	raw, err := base64.RawURLEncoding.Strict().DecodeString(nonce)
	if err != nil || len(raw) != nonceRawLen || raw[0] != nonceVersion || !hmac.Equal(raw[nonceBodyLen:], c.mac(raw[:nonceBodyLen])) {
		return Nonce{}, errBadNonce()
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(raw[1:9])), 0)
	if !now.Before(exp) {
		return Nonce{}, errBadNonce()
	}
	return Nonce{Value: nonce, Expires: exp}, nil
}
