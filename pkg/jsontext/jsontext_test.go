package jsontext

import (
	"encoding/json"
	"strconv"
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

// TestNames: a twin is found among the first names, beyond the point where the map takes
// over, and across that point; a copy of a Names in use keeps its names.
func TestNames(t *testing.T) {
	for _, total := range []int{1, smallNames, smallNames + 1, 1000} {
		var m Names
		for i := range total {
			if !m.Add(strconv.Itoa(i)) {
				t.Fatalf("%d names: name %d refused as a twin", total, i)
			}
		}
		for _, twin := range []int{0, total / 2, total - 1} {
			if m.Add(strconv.Itoa(twin)) {
				t.Errorf("%d names: twin %d accepted", total, twin)
			}
		}
		c := m
		if c.Add("0") || !c.Add("new") {
			t.Errorf("%d names: the copy lost its names", total)
		}
	}
}

// BenchmarkNamesLarge adds a hundred thousand names to one Names: linear, not quadratic.
func BenchmarkNamesLarge(b *testing.B) {
	names := make([]string, 100_000)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	for b.Loop() {
		var m Names
		for _, n := range names {
			m.Add(n)
		}
	}
}
