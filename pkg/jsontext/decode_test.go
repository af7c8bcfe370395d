package jsontext

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecodeEqualsEncodingJSON: without unique names, Decode accepts what
// encoding/json accepts (below the depth limit), with the same value.
func FuzzDecodeEqualsEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `true`, ` -0.5e-3 `, `"x"`, `{"a":1,"a":2}`, `{"a":[1,{"b":null}],"c":"\u00e9\ud83d\ude00\n"}`,
		"{\"\xff\":\"\xfe\"}", `1e400`, `01`, `-`, `1.`, `.5`, `tru`, `"a` + "\x01" + `"`, `[1,]`, `{"a" 1}`, `{"a":1} x`,
		strings.Repeat("[", 40) + strings.Repeat("]", 40), `"\u00"`, `"\uZZZZ"`, `"\ud800"`, `{"é":"ü","ß":["ñ"]}`, `[1 2]`, ``, ` `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := Decode(b, 32, false)
		var want any
		err := json.Unmarshal(b, &want)
		if ok && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Fatalf("%q: Decode %#v, encoding/json %#v (%v)", b, got, want, err)
		}
		if !ok && err == nil && depth(b) <= 32 {
			t.Fatalf("%q: Decode refuses what encoding/json reads as %#v", b, want)
		}
	})
}

// depth is the deepest nesting of objects and arrays in b, outside strings.
func depth(b []byte) int {
	d, max, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			d++
			max = maxInt(max, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return max
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// FuzzValidEqualsEncodingJSON: Valid agrees with encoding/json.Valid.
func FuzzValidEqualsEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, ` true `, `-0.5e-3`, `"x"`, `{"a":[1,{"b":null}],"c":"\u00e9\ud83d\ude00\n"}`, "\"\xff\"", `01`, `-`, `1.`,
		`.5`, `tru`, `"a` + "\x01" + `"`, `[1,]`, `{"a" 1}`, `{"a":1} x`, `"\u00"`, `"\uZZZZ"`, `"\x"`, `[1 2]`, ``, ` `, `{"a":1,}`, `{,}`,
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000), strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001), `1e5`, `-0`, `0.0E-0`, "\"\x7f\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json %v", b, got, want)
		}
	})
}

// TestDecodeRefusals: crafted input against Decode's own checks. Nesting
// to maxDepth is read and one level more refused, objects and arrays
// alike; with unique, a name given twice is refused however it is spelt
// (escapes), wherever the object is and however many names come before
// it (past the few Names compares one by one), while the same input is
// read without unique, the last value winning.
func TestDecodeRefusals(t *testing.T) {
	const max = 8
	nest := func(open, close string, n int) []byte {
		return []byte(strings.Repeat(open, n) + "1" + strings.Repeat(close, n))
	}
	for _, tc := range []struct{ open, close string }{{"[", "]"}, {`{"a":`, "}"}, {`[{"a":`, "}]"}} {
		levels := len(tc.close)
		if _, ok := Decode(nest(tc.open, tc.close, max/levels), max, true); !ok {
			t.Errorf("%s nested to %d refused", tc.open, max)
		}
		if _, ok := Decode(nest(tc.open, tc.close, max/levels+1), max, true); ok {
			t.Errorf("%s nested past %d read", tc.open, max)
		}
	}
	many := func(twin string) string {
		var b strings.Builder
		b.WriteString(`{`)
		for i := range 40 {
			fmt.Fprintf(&b, `"n%d":%d,`, i, i)
		}
		return b.String() + twin + `}`
	}
	for name, doc := range map[string]string{
		"plain":            `{"a":1,"a":2}`,
		"escaped twin":     `{"a":1,"\u0061":2}`,
		"both escaped":     `{"\u0061":1,"\u0061":2}`,
		"nested":           `{"x":[{"b":1,"c":2,"b":3}]}`,
		"after many names": many(`"n2":"twin"`),
		"escaped, many":    many(`"\u006e39":"twin"`),
		// Both names decode to U+FFFD: one member of the decoded object.
		"invalid UTF-8": "{\"\xff\":1,\"\xfe\":2}",
	} {
		if _, ok := Decode([]byte(doc), max, true); ok {
			t.Errorf("%s: a name given twice was read with unique", name)
		}
		if _, ok := Decode([]byte(doc), max, false); !ok {
			t.Errorf("%s: refused without unique", name)
		}
	}
	// Equal names in different objects and many distinct names are no twins.
	for _, doc := range []string{`{"a":{"a":1},"b":[{"a":1},{"a":2}]}`, many(`"z":0`)} {
		if _, ok := Decode([]byte(doc), max, true); !ok {
			t.Errorf("%q refused with unique", doc)
		}
	}
}
