package oa

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// decodeCases are JSON texts on the edges of the grammar, of the limits
// and of string decoding.
var decodeCases = []string{
	`{}`, ` {"a":"b"} `, `{"a":{"b":["c",{"d":[]}],"e":{}}}`,
	`{"n":0,"m":-1.5e+3,"o":1E2,"p":true,"q":false,"r":null}`,
	`{"s":"esc \" \\ \/ \b \f \n \r \t \u00e9 \u2028 \ud83d\ude00"}`,
	`{"s":"lone \ud83d surrogate"}`, `{"s":"ünï 中文 <tag> &"}`, "{\"s\":\"bad \xff utf8\"}",
	"{\"\xff\":1,\"\xfe\":2}", `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":{"b":1,"b":2}}`,
	`{"a":1,}`, `{"a":[1,]}`, `{"a" 1}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`,
	`{"a":tru}`, `{"a":nul}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"ctl \x01\"}", `{"a":"open}`,
	`{"a":1} x`, `{"a":1}}`, `[]`, `null`, `"s"`, ``, `{`, `{"a":1e999}`, "\ufeff{}",
	`{"d":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
}

// referenceDecode is the reference path: the byte scan, then encoding/json.
func referenceDecode(raw []byte, maxDepth int) (map[string]any, bool) {
	if scan(raw, maxDepth) != nil {
		return nil, false
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

// checkDecode fails when decodeObject accepts what the reference path
// refuses or decodes it differently.
func checkDecode(t *testing.T, raw []byte) {
	got, ok := decodeObject(string(raw), DefaultMaxDepth)
	if !ok {
		return
	}
	want, wantOK := referenceDecode(raw, DefaultMaxDepth)
	if !wantOK {
		t.Fatalf("%q: accepted, the reference refuses it", raw)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decoded %#v, the reference %#v", raw, got, want)
	}
}

func TestDecodeMatchesReference(t *testing.T) {
	for _, c := range decodeCases {
		checkDecode(t, []byte(c))
	}
	// Valid documents take the one-pass decoder.
	for _, c := range []string{`{"a":"b"}`, `{"s":"esc \" \u00e9 \ud83d"}`, string(wrapSigned(t))} {
		if _, ok := decodeObject(c, DefaultMaxDepth); !ok {
			t.Fatalf("%.80q: refused", c)
		}
	}
	deep := `{"a":` + strings.Repeat("[", DefaultMaxDepth-1) + strings.Repeat("]", DefaultMaxDepth-1) + `}`
	if _, ok := decodeObject(deep, DefaultMaxDepth); !ok {
		t.Fatal("nesting at the limit refused")
	}
	if _, ok := decodeObject(`{"a":`+strings.Repeat("[", DefaultMaxDepth)+strings.Repeat("]", DefaultMaxDepth)+`}`, DefaultMaxDepth); ok {
		t.Fatal("nesting beyond the limit accepted")
	}
}

func FuzzDecodeObject(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c))
	}
	f.Add(wrapSigned(f))
	f.Fuzz(checkDecode)
}

// BenchmarkParseCheck parses a signed invoice and checks its integrity:
// the share of a document's verification that is not the signature
// recovery.
func BenchmarkParseCheck(b *testing.B) {
	raw := wrapSigned(b)
	b.ReportAllocs()
	for range b.N {
		d, err := Parse(raw, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if err := d.CheckIntegrity(); err != nil {
			b.Fatal(err)
		}
		if _, err := d.Fields(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDigestPaths: the target hash over sorted binary hashes equals the
// one over sorted hex strings.
func TestDigestPaths(t *testing.T) {
	d := mustParse(t, wrapSigned(t))
	if err := d.Obfuscate("billTo.note", "items"); err != nil {
		t.Fatal(err)
	}
	if a, b := digest(d.leaves, d.Obfuscated), digestHex(newKeccak(), d.leaves, d.Obfuscated); a != b || a != d.Signature.TargetHash {
		t.Fatalf("%s %s %s", a, b, d.Signature.TargetHash)
	}
}
