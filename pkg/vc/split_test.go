package vc

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// FuzzMemberDecodersEqualEncodingJSON: decodeStrings, decodeObjects,
// decodeString and decodeTime give what their encoding/json forms give
// (decodeStringsJSON, decodeObjectsJSON, decodeStringJSON: the decoders as
// they were before their one-pass fast paths), values and errors.
func FuzzMemberDecodersEqualEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`"a"`, `["a","b"]`, `["a",null]`, `null`, `[]`, `{}`, `[{}]`, `[{},null]`, `[{"a":[1,{"b":"c"}]}]`, `{"a":1,"a":2}`, `1`, `"\u00e9"`,
		"\"\xff\"", `"2024-01-02T03:04:05Z"`, `"2024-01-02"`, `[1]`, `[[]]`, ` "x" `, `"a\"b"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		raw := json.RawMessage(b)
		v1, s1, e1 := decodeStrings(raw, "n")
		v2, s2, e2 := decodeStringsJSON(raw, "n")
		if !reflect.DeepEqual(v1, v2) || s1 != s2 || fmt.Sprint(e1) != fmt.Sprint(e2) {
			t.Fatalf("decodeStrings(%q) = %q %v %v, encoding/json %q %v %v", b, v1, s1, e1, v2, s2, e2)
		}
		o1, so1, eo1 := decodeObjects(raw, "n")
		o2, so2, eo2 := decodeObjectsJSON(raw, "n")
		if !reflect.DeepEqual(o1, o2) || so1 != so2 || fmt.Sprint(eo1) != fmt.Sprint(eo2) {
			t.Fatalf("decodeObjects(%q) = %v %v %v, encoding/json %v %v %v", b, o1, so1, eo1, o2, so2, eo2)
		}
		if x, err := decodeString(raw, "n"); true {
			y, errY := decodeStringJSON(raw, "n")
			if x != y || fmt.Sprint(err) != fmt.Sprint(errY) {
				t.Fatalf("decodeString(%q) = %q %v, encoding/json %q %v", b, x, err, y, errY)
			}
		}
		t1, r1, et1 := decodeTime(raw, "n")
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			if want, err := ParseTime(s); err == nil && (et1 != nil || !t1.Equal(want) || r1 != s) {
				t.Fatalf("decodeTime(%q) = %v %q %v, want %v", b, t1, r1, et1, want)
			}
		} else if et1 == nil {
			t.Fatalf("decodeTime(%q) accepted what encoding/json refuses", b)
		}
	})
}
