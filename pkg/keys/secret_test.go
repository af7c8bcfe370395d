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
