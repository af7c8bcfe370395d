package jsontext

import (
	"encoding/json"
	"testing"
)

// TestPlainMatchesEncodingJSON: for every one-byte string and a few longer ones, a string
// Plain accepts is one json.Marshal writes between quotes unchanged, and every printable ASCII
// byte but the five it escapes or quotes is accepted.
func TestPlainMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "eyJhbGciOiJFZERTQSJ9.e30.c2ln~", "did:web:example.sg", "a b", "ü", "\u2028", "a<b"}
	for c := 0; c < 256; c++ {
		cases = append(cases, string([]byte{byte(c)}))
	}
	for _, s := range cases {
		b, _ := json.Marshal(s)
		unchanged := string(b) == `"`+s+`"`
		if Plain(s) && !unchanged {
			t.Errorf("Plain(%q) but json.Marshal writes %s", s, b)
		}
		if len(s) == 1 && s[0] >= 0x20 && s[0] < 0x7f && unchanged && !Plain(s) {
			t.Errorf("Plain(%q) = false for printable ASCII json.Marshal leaves unchanged", s)
		}
	}
}
