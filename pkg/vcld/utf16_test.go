package vcld

import (
	"strings"
	"testing"
)

// FuzzCompareUTF16: the prefix-skipping comparison orders strings as the
// rune-by-rune one does, valid UTF-8 or not.
func FuzzCompareUTF16(f *testing.F) {
	for _, p := range [][2]string{
		{"", ""}, {"a", ""}, {"abc", "abd"}, {"_:c14n0 <x> .\n", "_:c14n0 <y> .\n"}, {"\uff61", "\U0001F600"}, {"\ue000", "\U00010000"},
		{"é", "z"}, {"aé", "aè"}, {"\xff", "\xfe"}, {"a\xe2\x82Z", "a\xe2\x82\xac"}, {"x\U0001F600", "x\U0001F601"}, {"\xed\xa0\x80", "\uffff"},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		want := 0
		switch {
		case lessUTF16Runes(a, b):
			want = -1
		case lessUTF16Runes(b, a):
			want = 1
		}
		if got := compareUTF16(a, b); got != want {
			t.Fatalf("compareUTF16(%q, %q) = %d, rune by rune %d", a, b, got, want)
		}
	})
}

// FuzzHasJSSpace: the ASCII fast path agrees with strings.ContainsFunc.
func FuzzHasJSSpace(f *testing.F) {
	for _, s := range []string{"", "https://a.example/x", "a b", "a\vb", "a\u00a0b", "é\u2028", "\xffa b", "x\u3000", "\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasJSSpace(s), strings.ContainsFunc(s, isJSSpace); got != want {
			t.Fatalf("hasJSSpace(%q) = %v, want %v", s, got, want)
		}
	})
}
