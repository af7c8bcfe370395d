package keys

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"time"
)

// sealInfo binds derived keys to this use (HKDF info).
const sealInfo = "idport keys sealer v1 aes-256-gcm"

// sealSalt is a fixed, public HKDF salt (RFC 5869 allows it; the secret is
// the entropy).
var sealSalt = []byte("idport/keys/seal")

// Sealer encrypts keys for storage at rest with AES-256-GCM under a key
// derived from a secret with HKDF-SHA256. The key id is the additional
// authenticated data, so a sealed blob cannot be moved to another id.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives the sealing key from secret. It opens with any secret of 16 bytes or more,
// so that keys sealed under an older secret can be sealed again under a new one; a service
// checks a secret it is configured with by CheckSecret first.
func NewSealer(secret []byte) (*Sealer, error) {
	key, err := hkdfKey(secret, sealSalt, sealInfo, "sealing key")
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keys: AES: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keys: GCM: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// sealed is the stored form: kid and nonce in clear, the rest encrypted.
type sealed struct {
	V     int    `json:"v"`
	Kid   string `json:"kid"`
	Nonce []byte `json:"nonce"`
	CT    []byte `json:"ct"`
}

// sealedPlain is the encrypted content.
type sealedPlain struct {
	ID        string     `json:"id"`
	Alg       Alg        `json:"alg"`
	PKCS8     []byte     `json:"pkcs8"`
	Created   time.Time  `json:"created"`
	RetiredAt *time.Time `json:"retiredAt,omitempty"`
}

// SealKey encrypts k (which must have its private part) for storage.
func (s *Sealer) SealKey(k *Key) ([]byte, error) {
	if k.Signer == nil {
		return nil, fmt.Errorf("%w: seal %s", ErrPublicOnly, k.ID)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		return nil, fmt.Errorf("%w: marshal private key: %w", ErrInvalidKey, err)
	}
	plain, err := json.Marshal(sealedPlain{ID: k.ID, Alg: k.Alg, PKCS8: der, Created: k.Created, RetiredAt: k.RetiredAt})
	if err != nil {
		return nil, fmt.Errorf("keys: encode key: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("keys: nonce: %w", err)
	}
	out, err := json.Marshal(sealed{V: 1, Kid: k.ID, Nonce: nonce, CT: s.aead.Seal(nil, nonce, plain, []byte(k.ID))})
	if err != nil {
		return nil, fmt.Errorf("keys: encode sealed key: %w", err)
	}
	return out, nil
}

// OpenKey decrypts a key sealed by SealKey under the same secret. Any
// alteration, a wrong secret or a changed kid gives ErrSealed.
func (s *Sealer) OpenKey(b []byte) (*Key, error) {
	var env sealed
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSealed, err)
	}
	if env.V != 1 || len(env.Nonce) != s.aead.NonceSize() {
		return nil, fmt.Errorf("%w: unknown version %d or bad nonce", ErrSealed, env.V)
	}
	plain, err := s.aead.Open(nil, env.Nonce, env.CT, []byte(env.Kid))
	if err != nil {
		return nil, fmt.Errorf("%w: key %s: authentication failed (wrong secret or altered data)", ErrSealed, env.Kid)
	}
	var p sealedPlain
	if err := json.Unmarshal(plain, &p); err != nil {
		return nil, fmt.Errorf("%w: decode key %s: %w", ErrSealed, env.Kid, err)
	}
	if p.ID != env.Kid {
		return nil, fmt.Errorf("%w: kid %q sealed as %q", ErrSealed, env.Kid, p.ID)
	}
	priv, err := x509.ParsePKCS8PrivateKey(p.PKCS8)
	if err != nil {
		return nil, fmt.Errorf("%w: key %s: %w", ErrSealed, p.ID, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: key %s is %T", ErrInvalidKey, p.ID, priv)
	}
	k, err := FromSigner(signer, p.ID, p.Created)
	if err != nil {
		return nil, err
	}
	if k.Alg != p.Alg {
		return nil, fmt.Errorf("%w: key %s sealed as %s is %s", ErrSealed, p.ID, p.Alg, k.Alg)
	}
	k.RetiredAt = p.RetiredAt
	return k, nil
}

// deriveSalt is the fixed, public HKDF salt of DeriveKey; it differs from sealSalt, so a
// derived key never equals the sealing key.
var deriveSalt = []byte("idport/keys/derive")

// DeriveKey returns a 32-byte key for one purpose (an HMAC key, say) derived from secret with
// HKDF-SHA256, the purpose in the info: keys of different purposes, and the sealing key, are
// independent. The same secret and purpose always give the same key, so that several
// processes configured with one secret agree on it.
func DeriveKey(secret []byte, purpose string) ([]byte, error) {
	return hkdfKey(secret, deriveSalt, "idport derived key v1\x00"+purpose, "key for "+purpose)
}

// hkdfKey derives a 32-byte key (what, for errors) from secret with HKDF-SHA256 under salt
// and info; it refuses a secret shorter than NewSealer opens with.
func hkdfKey(secret, salt []byte, info, what string) ([]byte, error) {
	if len(secret) < minSealerSecretBytes {
		return nil, fmt.Errorf("%w: secret of %d bytes for the %s, need at least %d", ErrInvalidKey, len(secret), what, minSealerSecretBytes)
	}
	key, err := hkdf.Key(sha256.New, secret, salt, info, 32)
	if err != nil {
		return nil, fmt.Errorf("keys: derive %s: %w", what, err)
	}
	return key, nil
}
