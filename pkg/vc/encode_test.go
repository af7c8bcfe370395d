package vc

import (
	"encoding/json"
	"testing"

	"github.com/idport/idport/pkg/jsontext"
)

// TestAppendJSONMatchesEncodingJSON checks the reflection-free encoder
// against encoding/json, byte for byte.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"b":1,"a":[true,false,null,"x"],"c":{"z":0.5,"y":-1e-7,"x":1e21,"w":123456789,"v":1.5e300}}`,
		`"<script>&amp; \u2028 \u2029 \u0001 \t \n \r \" \\ / é 字 😀"`,
		`[[],{},"",0,-0]`,
		`"\ufffd and bad"`,
	} {
		var v any
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(v)
		got, err := appendJSON(nil, v)
		if err != nil || string(got) != string(want) {
			t.Fatalf("got  %s (%v)\nwant %s", got, err, want)
		}
	}
	if got := jsontext.AppendString(nil, "a\xffb"); string(got) != `"a\ufffdb"` {
		t.Fatalf("invalid UTF-8: %s", got)
	}
	if _, err := appendJSON(nil, []any{1.0, struct{ A int }{1}}); err != nil {
		t.Fatal(err)
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,"<>&",{"b":null}],"c":1e-9}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		want, _ := json.Marshal(v)
		got, err := appendJSON(nil, v)
		if err != nil || string(got) != string(want) {
			t.Fatalf("got  %s (%v)\nwant %s", got, err, want)
		}
	})
}
