package vc

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzSplitEqualsEncodingJSON: the one-pass member and element splitters
// give what encoding/json gives for map[string]json.RawMessage and
// []json.RawMessage, on every valid input, and objectsShape accepts what
// decodeObjects accepts.
func FuzzSplitEqualsEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":1,"b":"x","c":[1,{"d":null}],"e":{"f":true}}`, ` { "a" : [ ] , "b" : { } } `,
		`{"a":1,"a":2}`, `{"k\u0065y":"v","q\"":"\\","é":"ü"}`, "{\"\xff\":1}", `{"n":-1.5e+3,"t":true,"f":false,"z":null}`,
		`[1, "two", {"three": [3]}, [], null, "a]b}c,"]`, `{"s":"}]\"{["}`, `[{}, {"a":1}]`, `[{}, null]`, `[{}, 1]`, `null`, `"x"`, `[[{}]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = bytes.TrimSpace(b)
		if !json.Valid(b) || len(b) == 0 {
			return
		}
		_, _, err := decodeObjects(b, "proof")
		if objectsShape(b) != (err == nil) {
			t.Fatalf("%q: objectsShape %v, decodeObjects %v", b, objectsShape(b), err)
		}
		switch b[0] {
		case '{':
			var want map[string]json.RawMessage
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if got := splitValidObject(b); !reflect.DeepEqual(got, want) {
				t.Fatalf("object %q: got %q, want %q", b, got, want)
			}
		case '[':
			var want []json.RawMessage
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			if got := splitValidArray(b); !reflect.DeepEqual(got, want) {
				t.Fatalf("array %q: got %q, want %q", b, got, want)
			}
		}
	})
}
