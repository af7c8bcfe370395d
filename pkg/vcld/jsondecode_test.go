package vcld

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/idport/idport/pkg/jsontext"
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

// FuzzDecodeObjectEqualsChecked: jsontext.Decode with unique names accepts
// exactly the objects checkDepth and encoding/json accept, with the same
// value.
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
		v, ok := jsontext.Decode(b, 32, true)
		got, isMap := v.(map[string]any)
		ok = ok && isMap
		want, wantOK := checkedDecode(b, 32)
		if ok != wantOK || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: one pass %v %#v, checked %v %#v", b, ok, got, wantOK, want)
		}
	})
}

// TestValueKeyInjective: cache keys of distinct JSON values differ, those of
// equal values agree.
func TestValueKeyInjective(t *testing.T) {
	values := []any{
		nil, true, false, "", "a", "ab", "s1:a", 0.0, 1.0, -1.0, 1e21, 0.5, 1.5,
		[]any{}, []any{"a"}, []any{"a", "b"}, []any{"ab"}, []any{"a", []any{"b"}}, []any{[]any{"a"}, "b"}, []any{1.0, 2.0}, []any{12.0},
		map[string]any{}, map[string]any{"a": "b"}, map[string]any{"a": []any{"b"}}, map[string]any{"ab": ""}, map[string]any{"a": "", "b": ""},
		map[string]any{"a": map[string]any{"b": nil}}, []any{map[string]any{"a": "b"}}, "https://www.w3.org/ns/credentials/v2",
		[]any{"https://www.w3.org/ns/credentials/v2", map[string]any{"@vocab": "https://example.org/"}},
	}
	seen := map[string]any{}
	for _, v := range values {
		k, err := valueKey(v)
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := seen[k]; dup {
			t.Fatalf("%#v and %#v share the key %q", prev, v, k)
		}
		seen[k] = v
		again, _ := valueKey(mustRoundTrip(t, v))
		if again != k {
			t.Fatalf("%#v: key %q, after a round trip %q", v, k, again)
		}
	}
}

func mustRoundTrip(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
