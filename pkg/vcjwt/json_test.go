package vcjwt

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// scanAll decodes a whole document with the scanner.
func scanAll(b []byte) (any, error) {
	s := scanner{b: string(b)}
	v, err := s.value()
	if err == nil {
		err = s.end()
	}
	return v, err
}

func TestScannerValues(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"b":[true,false,null],"c":{"d":"e"},"f":-1.5e3,"g":0,"h":""}`,
		`"\u00e9\n\t\"\\\/\b\f\r"`,
		`"\ud83d\ude00 and a lone \ud800 surrogate"`,
		`"plain ünïcödé 字"`,
		` [ 1 , 2 ] `,
		`[]`, `{}`, `0.5`, `-0`, `1E+2`, `123456789012345678901234567890`,
	} {
		got, err := scanAll([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		var want any
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %#v want %#v", in, got, want)
		}
	}
}

func TestScannerRejects(t *testing.T) {
	for name, in := range map[string]string{
		"trailing comma":    `[1,]`,
		"object comma":      `{"a":1,}`,
		"leading zero":      `01`,
		"bare dot":          `1.`,
		"exp no digits":     `1e`,
		"single quote":      `'a'`,
		"control char":      "\"a\x01\"",
		"bad escape":        `"\x"`,
		"short unicode":     `"\u12"`,
		"unterminated":      `"abc`,
		"invalid utf-8":     "\"\xff\"",
		"duplicate":         `{"a":1,"a":2}`,
		"duplicate escaped": `{"a":1,"\u0061":2}`,
		"deep":              strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		"trailing data":     `{} {}`,
		"literal":           `nul`,
		"empty":             ``,
		"colon missing":     `{"a" 1}`,
		"number overflow":   `1e999`,
		"plus sign":         `+1`,
	} {
		if _, err := scanAll([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// TestScannerManyMembers checks the large-object path of duplicate detection.
func TestScannerManyMembers(t *testing.T) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range 5000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + itoa(int64(i)) + `":1`)
	}
	if _, err := scanAll(append(b.Bytes(), '}')); err != nil {
		t.Fatal(err)
	}
	if _, err := scanAll(append(b.Bytes(), []byte(`,"k4000":2}`)...)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("late duplicate: %v", err)
	}
}

// FuzzScanner checks the scanner against encoding/json: it accepts only
// valid JSON, and decodes it to the same value, except where it is
// deliberately stricter (repeated names, invalid UTF-8, deep nesting).
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b",{"c":null}]}`, `"\ud83d\ude00"`, `[1e5,-0.25]`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := scanAll(b)
		var want any
		jerr := json.Unmarshal(b, &want)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified: %v", err)
			}
			return
		}
		if jerr != nil {
			t.Fatalf("scanner accepted what encoding/json refuses (%v): %q", jerr, b)
		}
		if !utf8.Valid(b) {
			t.Fatalf("scanner accepted invalid UTF-8: %q", b)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("values differ for %q:\n%#v\n%#v", b, got, want)
		}
	})
}
