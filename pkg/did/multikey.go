package did

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
	"math/big"
)

// Multicodec varint prefixes of the public key types this package accepts.
var (
	codecEd25519Pub = []byte{0xed, 0x01} // ed25519-pub 0xed
	codecP256Pub    = []byte{0x80, 0x24} // p256-pub 0x1200
)

// MultibaseKey encodes an Ed25519 or P-256 public key as a Multikey
// publicKeyMultibase value: 'z' + base58btc(multicodec prefix || key), with
// the P-256 point compressed. It is the method-specific id of did:key.
func MultibaseKey(pub crypto.PublicKey) (string, error) {
	var raw []byte
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return "", fmt.Errorf("%w: ed25519 key of %d bytes", ErrUnsupportedKey, len(k))
		}
		raw = append(append(make([]byte, 0, 34), codecEd25519Pub...), k...)
	case *ecdsa.PublicKey:
		c, err := compressP256(k)
		if err != nil {
			return "", err
		}
		raw = append(append(make([]byte, 0, 35), codecP256Pub...), c...)
	default:
		return "", fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
	return "z" + base58Encode(raw), nil
}

// ParseMultibaseKey decodes a publicKeyMultibase value made by MultibaseKey
// (base58btc, ed25519-pub or p256-pub with a compressed point).
func ParseMultibaseKey(s string) (crypto.PublicKey, error) {
	if len(s) < 2 || s[0] != 'z' {
		return nil, fmt.Errorf("%w: multibase value is not base58btc ('z')", ErrUnsupportedKey)
	}
	if len(s) > 128 {
		return nil, fmt.Errorf("%w: multibase value too long", ErrUnsupportedKey)
	}
	raw, err := base58Decode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	switch {
	case len(raw) >= 2 && raw[0] == codecEd25519Pub[0] && raw[1] == codecEd25519Pub[1]:
		k := raw[2:]
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: ed25519-pub of %d bytes", ErrUnsupportedKey, len(k))
		}
		return ed25519.PublicKey(k), nil
	case len(raw) >= 2 && raw[0] == codecP256Pub[0] && raw[1] == codecP256Pub[1]:
		return decompressP256(raw[2:])
	default:
		return nil, fmt.Errorf("%w: multicodec prefix is not ed25519-pub or p256-pub", ErrUnsupportedKey)
	}
}

func compressP256(k *ecdsa.PublicKey) ([]byte, error) {
	if k.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: ecdsa curve %s", ErrUnsupportedKey, k.Curve.Params().Name)
	}
	u, err := k.Bytes() // 0x04 || X || Y, validates the point
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	out := make([]byte, 33)
	out[0] = 2 | u[64]&1
	copy(out[1:], u[1:33])
	return out, nil
}

func decompressP256(c []byte) (*ecdsa.PublicKey, error) {
	if len(c) != 33 || (c[0] != 2 && c[0] != 3) {
		return nil, fmt.Errorf("%w: p256-pub is not a 33-byte compressed point", ErrUnsupportedKey)
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), c)
	if x == nil {
		return nil, fmt.Errorf("%w: p256-pub point is not on the curve", ErrUnsupportedKey)
	}
	u := make([]byte, 65)
	u[0] = 4
	x.FillBytes(u[1:33])
	y.FillBytes(u[33:])
	pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), u)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
	}
	return pk, nil
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Index = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		t[base58Alphabet[i]] = int8(i)
	}
	return t
}()

// base58Encode encodes b with the Bitcoin alphabet (base58btc).
func base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b)
	var out []byte
	mod := new(big.Int)
	base := big.NewInt(58)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, base58Alphabet[mod.Int64()])
	}
	for range zeros {
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// base58Decode decodes a base58btc string.
func base58Decode(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty base58 string")
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// Work in a byte array with carries: quadratic but tiny for key sizes,
	// and no big.Int allocations.
	buf := make([]byte, 0, len(s))
	for i := zeros; i < len(s); i++ {
		v := base58Index[s[i]]
		if v < 0 {
			return nil, fmt.Errorf("invalid base58 character %q", s[i])
		}
		carry := int(v)
		for j := range buf {
			carry += int(buf[j]) * 58
			buf[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			buf = append(buf, byte(carry))
			carry >>= 8
		}
	}
	out := make([]byte, zeros+len(buf))
	for i, c := range buf { // buf is little-endian
		out[len(out)-1-i] = c
	}
	return out, nil
}
