package vcld

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// checkedDecode is decode's checked path.
func checkedDecode(b []byte, maxDepth int) (map[string]any, bool) {
	if checkDepth(b, maxDepth) != nil {
		return nil, false
	}
	var doc map[string]any
	if json.Unmarshal(b, &doc) != nil || doc == nil {
		return nil, false
	}
	return doc, true
}

// FuzzDecodeObjectEqualsChecked: the one-pass decoder accepts exactly what
// checkDepth and encoding/json accept, with the same value.
func FuzzDecodeObjectEqualsChecked(f *testing.F) {
	k := newTestKey(33)
	for _, doc := range canonCorpus(k.did) {
		f.Add(mustJSON(f, doc))
	}
	for _, s := range []string{
		`{}`, ` {"a" : [ 1 , -0.5e-3 , 1E+2, true, false, null, "x", {}, [] ] } `, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`,
		"{\"\xff\":1,\"\xfe\":2}", "{\"k\":\"\xff\"}", `{"e":"\ud83d\ude00 \n \" \\ \/ \u0000"}`, `{"big":1e400}`, `{"n":01}`,
		`{"n":-}`, `{"n":1.}`, `{"n":.5}`, `{"t":tru}`, `{"s":"a` + "\x01" + `"}`, `{"a":1,}`, `{"a" 1}`, `[]`, `null`, `{"a":1} x`,
		`{"d":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, `{"d":` + strings.Repeat(`{"x":`, 31) + `1` + strings.Repeat("}", 31) + `}`,
		`{"d":` + strings.Repeat(`{"x":`, 32) + `1` + strings.Repeat("}", 32) + `}`, `{"x":"\u00"}`, `{"x":"\uZZZZ"}`, `{"é":"ü","ß":["ñ"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := decodeObject(b, 32)
		want, wantOK := checkedDecode(b, 32)
		if ok != wantOK || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: one pass %v %#v, checked %v %#v", b, ok, got, wantOK, want)
		}
	})
}
