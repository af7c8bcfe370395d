package keys

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestCheckSecret(t *testing.T) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	for name, s := range map[string]string{
		"raw":    string(raw),
		"hex":    hex.EncodeToString(raw),
		"base64": base64.StdEncoding.EncodeToString(raw),
		"phrase": "a secret of enough bytes for sealing",
	} {
		if err := CheckSecret([]byte(s)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, s := range map[string]string{
		"16 bytes":       "0123456789abcdef",
		"31 bytes":       hex.EncodeToString(raw)[:31],
		"all a":          strings.Repeat("a", 32),
		"all zero":       string(make([]byte, 64)),
		"short pattern":  strings.Repeat("password", 4),
		"pattern 4x":     strings.Repeat("0123456789", 4),
		"low entropy":    strings.Repeat("a", 30) + "bc",
		"two letters":    "abababababababababababababababbaab",
		"all a 64 bytes": strings.Repeat("a", 64),
	} {
		if err := CheckSecret([]byte(s)); !errors.Is(err, ErrWeakSecret) {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}

// DeriveKey is deterministic per secret and purpose, separates purposes and secrets, never
// gives the sealing key, and refuses a secret shorter than the sealer's minimum.
func TestDeriveKey(t *testing.T) {
	secret := []byte("a secret of enough bytes for sealing")
	a, err := DeriveKey(secret, "purpose a")
	if err != nil || len(a) != 32 {
		t.Fatalf("DeriveKey: %d bytes, %v", len(a), err)
	}
	again, _ := DeriveKey(secret, "purpose a")
	other, _ := DeriveKey(secret, "purpose b")
	otherSecret, _ := DeriveKey([]byte("another secret, also long enough"), "purpose a")
	sealing, _ := hkdfKey(secret, sealSalt, sealInfo, "sealing key")
	if string(again) != string(a) {
		t.Fatal("one secret and purpose derive two keys")
	}
	for name, k := range map[string][]byte{"another purpose": other, "another secret": otherSecret, "the sealing key": sealing} {
		if string(k) == string(a) {
			t.Errorf("%s derives the same key", name)
		}
	}
	if _, err := DeriveKey(secret[:minSealerSecretBytes-1], "purpose a"); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("short secret: %v, want ErrInvalidKey", err)
	}
}
