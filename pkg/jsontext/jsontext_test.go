package jsontext

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
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

// appendStringCases are strings json.Marshal escapes in every way it has: quotes, backslashes,
// the short and long control escapes, HTML characters, DEL, U+2028 and U+2029, invalid UTF-8
// and multi-byte text.
var appendStringCases = []string{
	"", "plain did:web:example.sg", `a"b\c`, "\b\f\n\r\t", "\x00\x01\x1f", "<script>&amp;</script>", "\x7f",
	"line\u2028para\u2029end", "\xff\xfe", "a\xc3", "\xed\xa0\x80", "上海市临港新片区", "Müller ü", "emoji \U0001F600",
	"\u00a0\ufeff", "mixed <ü>\n\xff\u2028",
}

// TestAppendStringMatchesMarshal: AppendString writes what json.Marshal writes, for every byte
// alone and the cases above, and appends to what the buffer holds.
func TestAppendStringMatchesMarshal(t *testing.T) {
	cases := append([]string(nil), appendStringCases...)
	for c := 0; c < 256; c++ {
		cases = append(cases, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	for _, s := range cases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString([]byte("prefix"), s); string(got) != "prefix"+string(want) {
			t.Errorf("AppendString(%q) = %s, json.Marshal %s", s, got[len("prefix"):], want)
		}
	}
}

// appendFloatCases cover both notations, their cut-offs, signs, zero and extremes.
var appendFloatCases = []float64{0, math.Copysign(0, -1), 1, -1, 2019, 0.1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789012345678,
	1.5e300, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 3.141592653589793, 1e-9, 1e-10}

// TestAppendFloatMatchesMarshal: AppendFloat writes what json.Marshal writes for a float64, and
// refuses NaN and the infinities as json.Marshal does.
func TestAppendFloatMatchesMarshal(t *testing.T) {
	for _, f := range appendFloatCases {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendFloat(nil, f)
		if err != nil || string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s, %v; json.Marshal %s", f, got, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := AppendFloat(nil, f); !errors.Is(err, ErrUnsupportedNumber) {
			t.Errorf("AppendFloat(%v): %v, want ErrUnsupportedNumber", f, err)
		}
	}
}

// FuzzAppendString: for any string, AppendString writes what json.Marshal writes.
func FuzzAppendString(f *testing.F) {
	for _, s := range appendStringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Errorf("AppendString(%q) = %s, json.Marshal %s", s, got, want)
		}
	})
}

// FuzzAppendFloat: for any float64, AppendFloat writes what json.Marshal writes, or both fail.
func FuzzAppendFloat(f *testing.F) {
	for _, x := range appendFloatCases {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		want, werr := json.Marshal(x)
		got, err := AppendFloat(nil, x)
		if (werr != nil) != (err != nil) || werr == nil && string(got) != string(want) {
			t.Errorf("AppendFloat(%v) = %s, %v; json.Marshal %s, %v", x, got, err, want, werr)
		}
	})
}

// plainRunNaive is PlainRun one byte at a time.
func plainRunNaive(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return i
		}
	}
	return len(s)
}

// TestPlainRun: every byte value at every position of a word, and around word boundaries,
// ends the run exactly where a byte-by-byte reader ends it, for strings and byte slices.
func TestPlainRun(t *testing.T) {
	base := "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6a2V5In0-_~ :/#?=&<>{}[]"
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 24; pos++ {
			b := []byte(base)
			b[pos] = byte(c)
			for _, s := range []string{string(b), string(b[:pos+1]), string(b[1:])} {
				want := plainRunNaive(s)
				if got := PlainRun(s); got != want {
					t.Fatalf("PlainRun(%q) = %d, want %d", s, got, want)
				}
				if got := PlainRun([]byte(s)); got != want {
					t.Fatalf("PlainRun([]byte(%q)) = %d, want %d", s, got, want)
				}
			}
		}
	}
}

// FuzzPlainRun: PlainRun ends where a byte-by-byte reader ends.
func FuzzPlainRun(f *testing.F) {
	f.Add("eyJhbGciOiJFZERTQSJ9.e30.c2ln")
	f.Add("abcdefgh\x7fabcdefgh")
	f.Add("abcdefghabcdefg\"")
	f.Add("\xffabcdefghabcdefgh")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := PlainRun(s), plainRunNaive(s); got != want {
			t.Errorf("PlainRun(%q) = %d, want %d", s, got, want)
		}
	})
}

func BenchmarkPlainRun(b *testing.B) {
	s := strings.Repeat("eyJhbGciOiJFZERTQSJ9", 100)
	for b.Loop() {
		if PlainRun(s) != len(s) {
			b.Fatal("short run")
		}
	}
	b.SetBytes(int64(len(s)))
}

// TestPlainEveryBytePosition: with every byte value at every position of a word and around
// word boundaries, Plain agrees with a byte-by-byte check.
func TestPlainEveryBytePosition(t *testing.T) {
	naive := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if !plain[s[i]] {
				return false
			}
		}
		return true
	}
	base := "did:web:example.sg#key-1?x=y;z-_~.eyJhbGciOiJFZERTQSJ9"
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 24; pos++ {
			b := []byte(base)
			b[pos] = byte(c)
			for _, s := range []string{string(b), string(b[:pos+1]), string(b[1:])} {
				if got, want := Plain(s), naive(s); got != want {
					t.Fatalf("Plain(%q) = %v, want %v", s, got, want)
				}
			}
		}
	}
}
