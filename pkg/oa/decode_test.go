package oa

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
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

// checkWrapped fails when decodeWrapped accepts what the reference path
// (decode, then flatten) refuses, or gives other leaves, other issuers or
// $template members, or other top-level members.
func checkWrapped(t *testing.T, raw []byte) {
	const maxFields = 50
	f := newFlattener(maxFields)
	got, meta, text, ok := decodeWrapped(string(raw), DefaultMaxDepth, f)
	if !ok {
		return
	}
	want, wantOK := referenceDecode(raw, DefaultMaxDepth)
	if !wantOK {
		t.Fatalf("%q: accepted, the reference refuses it", raw)
	}
	data, isObject := want["data"].(map[string]any)
	if !isObject {
		t.Fatalf("%q: data accepted, the reference's is %T", raw, want["data"])
	}
	wantLeaves, err := flatten(data, maxFields)
	if err != nil {
		t.Fatalf("%q: data flattened, the reference refuses it: %v", raw, err)
	}
	if a, b := sortedLeaves(f.leaves()), sortedLeaves(wantLeaves); !reflect.DeepEqual(a, b) {
		t.Fatalf("%q: leaves %v, the reference %v", raw, a, b)
	}
	for _, k := range []string{"issuers", "$template"} {
		if !reflect.DeepEqual(meta[k], data[k]) {
			t.Fatalf("%q: %s %#v, the reference %#v", raw, k, meta[k], data[k])
		}
	}
	if m, ok := decodeObject(text, DefaultMaxDepth); !ok || !reflect.DeepEqual(m, data) {
		t.Fatalf("%q: data text %q decodes to %#v, the reference data %#v", raw, text, m, data)
	}
	delete(got, "data")
	delete(want, "data")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: members %#v, the reference %#v", raw, got, want)
	}
}

func sortedLeaves(ls []leaf) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = string(appendLeafJSON(nil, l))
	}
	slices.Sort(out)
	return out
}

// wrappedCases put the decode cases and flatten's edges in a document's
// data.
func wrappedCases(t testing.TB) []string {
	out := []string{string(wrapSigned(t)),
		`{"data":{}}`, `{"data":{"a":{}},"x":1}`, `{"data":{"a":[]}}`, `{"data":{"a.b":"c"}}`, `{"data":{"a":1}}`,
		`{"data":{"a":"b","a":"c"}}`, `{"data":{"a":"b"},"data":{"a":"b"}}`, `{"data":"x"}`, `{"data":[]}`,
		`{"x":{"data":{"a":"b"}}}`, `{"data":{"issuers":[{"name":"n\u00e9"}],"$template":{"name":"T"}}}`,
		`{"data":{"issuers":{"0":{"name":"n"}}}}`, `{"data":{"a":[["x"],[],{}]}}`, `{"data":{"a":null}}`,
		`{"data":{"k1":"v","k2":"v","k3":"v","k4":"v","k5":"v","k6":"v","k7":"v","k8":"v","k9":"v","k10":"v","k11":"v","k12":"v","k13":"v","k14":"v","k15":"v","k16":"v","k17":"v","k1":"w"}}`,
		`{"data":{"a":"` + strings.Repeat("x", 20) + `"},"version":"v"} `,
		`{"d\u0061ta":{"a":"b"}}`, `{"data":{"a":"b"},"d\u0061ta":{"a":"b"}}`, `{"data":{"a\u002eb":"c"}}`,
		`{"data":{"\u0000":"x","a":"\u0000"}}`, "{\"data\":{\"\xff\":\"x\",\"\xfe\":\"y\"}}", "\ufeff{\"data\":{\"a\":\"b\"}}",
		`{"data":{"issuers":[{"name":"a"}],"issu\u0065rs":[{"name":"b"}]}}`,
		`{"data":{"a":` + strings.Repeat("[", DefaultMaxDepth-2) + `"x"` + strings.Repeat("]", DefaultMaxDepth-2) + `}}`,
		`{"data":{"a":` + strings.Repeat("[", DefaultMaxDepth-1) + `"x"` + strings.Repeat("]", DefaultMaxDepth-1) + `}}`,
	}
	for _, c := range decodeCases {
		out = append(out, `{"data":`+c+`}`)
	}
	return out
}

func TestDecodeWrappedMatchesReference(t *testing.T) {
	for _, c := range wrappedCases(t) {
		checkWrapped(t, []byte(c))
	}
	if _, _, _, ok := decodeWrapped(string(wrapSigned(t)), DefaultMaxDepth, newFlattener(DefaultMaxFields)); !ok {
		t.Fatal("a signed document does not take the one-pass path")
	}
	many := `{"data":{`
	for i := range 60 {
		many += `"k` + strconv.Itoa(i) + `":"v",`
	}
	many = many[:len(many)-1] + `}}`
	if _, _, _, ok := decodeWrapped(many, DefaultMaxDepth, newFlattener(50)); ok {
		t.Fatal("more fields than the limit accepted")
	}
}

func FuzzDecodeWrapped(f *testing.F) {
	for _, c := range wrappedCases(f) {
		f.Add([]byte(c))
	}
	f.Fuzz(checkWrapped)
}

// manyMembers is a document at the size limit made of one object with a
// hundred thousand members, ending with last.
func manyMembers(last string) []byte {
	var b strings.Builder
	b.WriteString(`{"version":"x",`)
	for i := 0; b.Len() < DefaultMaxBytes-100; i++ {
		b.WriteString(`"` + strconv.FormatInt(int64(i), 16) + `":0,`)
	}
	b.WriteString(last)
	return []byte(b.String())
}

// TestScanFindsTwinsInLargeObjects: the reference path refuses a document
// of a hundred thousand members with a syntax error at the end (which the
// one-pass decoder hands to it), and its duplicate check, a set beyond
// sixteen names, still finds a twin far down such an object, or written
// with an escape. BenchmarkScanManyMembers measures that it stays linear
// (a pairwise check took 13 s on such a document).
func TestScanFindsTwinsInLargeObjects(t *testing.T) {
	if _, err := Parse(manyMembers(`"z":}`), Limits{}); err == nil {
		t.Fatal("invalid JSON accepted")
	}
	for _, twin := range []string{`"1f":1}`, `"\u0031f":1}`, `"0":1}`} {
		if err := scan(manyMembers(twin), DefaultMaxDepth); err == nil || !strings.Contains(err.Error(), "appears twice") {
			t.Errorf("twin %s: %v, want a member twice", twin, err)
		}
	}
}

// BenchmarkScanManyMembers refuses the hundred-thousand-member document of
// TestScanFindsTwinsInLargeObjects (tens of milliseconds; seconds if the
// duplicate check were pairwise).
func BenchmarkScanManyMembers(b *testing.B) {
	doc := manyMembers(`"z":}`)
	for b.Loop() {
		if _, err := Parse(doc, Limits{}); err == nil {
			b.Fatal("invalid JSON accepted")
		}
	}
}

// TestDecodeWrappedEdges: data nested exactly to the depth limit takes the
// one-pass path and one level more is refused by both paths; data named
// with an escape is the data, and given twice (once escaped) is refused.
func TestDecodeWrappedEdges(t *testing.T) {
	nested := func(n int) string {
		return `{"data":{"a":` + strings.Repeat("[", n) + `"x"` + strings.Repeat("]", n) + `}}`
	}
	if _, _, _, ok := decodeWrapped(nested(DefaultMaxDepth-2), DefaultMaxDepth, newFlattener(DefaultMaxFields)); !ok {
		t.Error("data at the depth limit refused")
	}
	if _, _, _, ok := decodeWrapped(nested(DefaultMaxDepth-1), DefaultMaxDepth, newFlattener(DefaultMaxFields)); ok {
		t.Error("data beyond the depth limit accepted")
	}
	if _, ok := referenceDecode([]byte(nested(DefaultMaxDepth-1)), DefaultMaxDepth); ok {
		t.Error("the reference accepts data beyond the depth limit")
	}
	f := newFlattener(DefaultMaxFields)
	if _, _, text, ok := decodeWrapped(`{"d\u0061ta":{"a":"b"}}`, DefaultMaxDepth, f); !ok || text != `{"a":"b"}` || len(f.leaves()) != 1 {
		t.Errorf("escaped data name: ok %v, text %q", ok, text)
	}
	for _, twice := range []string{`{"data":{"a":"b"},"d\u0061ta":{"a":"c"}}`, `{"d\u0061ta":{"a":"c"},"data":{"a":"b"}}`} {
		if _, _, _, ok := decodeWrapped(twice, DefaultMaxDepth, newFlattener(DefaultMaxFields)); ok {
			t.Errorf("%s: data twice accepted", twice)
		}
		if _, err := Parse([]byte(twice), Limits{}); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s: Parse: %v, want a member twice", twice, err)
		}
	}
}
