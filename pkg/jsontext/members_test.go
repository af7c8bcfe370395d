package jsontext

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzMembersMatchesEncodingJSON: Members accepts an object exactly when encoding/json
// accepts it into a map of raw values (within the depth limit, with no name given twice),
// and hands back the same names and value bytes; whatever it accepts, encoding/json accepts.
func FuzzMembersMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `null`, `{"verifiableCredential":"a.b.c","options":{"challenge":"x"}}`,
		`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, "{\"a\xff\":1,\"a\xfe\":2}", `{"A":1,"a":2}`,
		`{"a":[1,{"b":null}],"c":"\u00e9\ud83d\ude00\n"}`, `[]`, `"x"`, `1`, `true`, `{"a" 1}`,
		`{"a":1,}`, `{"a":1} x`, `{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
		`{"a":"` + strings.Repeat("eyJhbGciOiJFZERTQSJ9", 20) + `\u00e9"}`, `{"<&>":" "}`, ``, ` `, `nul`,
		`{"a":"x` + "\x01" + `"}`, `{"é":1,"ü":{"x":[]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const max = 16
		got, err := Members(b, max)
		var want map[string]json.RawMessage
		jerr := json.Unmarshal(b, &want)
		if err == nil {
			if jerr != nil {
				t.Fatalf("%q: Members accepts what encoding/json refuses (%v)", b, jerr)
			}
			if len(got) != len(want) {
				t.Fatalf("%q: %d members, encoding/json %d", b, len(got), len(want))
			}
			for _, m := range got {
				if w, ok := want[m.Name]; !ok || !bytes.Equal(m.Value, w) {
					t.Fatalf("%q: member %q = %q, encoding/json %q", b, m.Name, m.Value, w)
				}
			}
			return
		}
		switch {
		case errors.Is(err, ErrTooDeep):
			if depth(b) <= max {
				t.Fatalf("%q: too deep at depth %d: %v", b, depth(b), err)
			}
		case errors.Is(err, ErrDuplicateName):
			if jerr != nil {
				t.Fatalf("%q: duplicate reported for what encoding/json refuses (%v)", b, jerr)
			}
			if n := strings.Count(string(b), ":"); len(want) >= n {
				t.Fatalf("%q: duplicate reported, but encoding/json keeps every name", b)
			}
		case errors.Is(err, ErrNotObject):
			if !json.Valid(b) || bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
				t.Fatalf("%q: not an object: %v", b, err)
			}
		case errors.Is(err, ErrSyntax):
			if jerr == nil && depth(b) <= max {
				t.Fatalf("%q: syntax error for what encoding/json reads: %v", b, err)
			}
		default:
			t.Fatalf("%q: unclassified error %v", b, err)
		}
	})
}

// TestMembersRefusals: crafted requests against Members' own rules.
func TestMembersRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"the same name twice", `{"verifiableCredential":"a","verifiableCredential":"b"}`, ErrDuplicateName},
		{"a twin spelt with an escape", `{"verifiableCredential":"a","verifiable\u0043redential":"b"}`, ErrDuplicateName},
		{"twins in invalid UTF-8", "{\"x\xff\":1,\"x\xfe\":2}", ErrDuplicateName},
		{"an array", `[{"verifiableCredential":"a"}]`, ErrNotObject},
		{"a string", ` "a.b.c" `, ErrNotObject},
		{"too deep", `{"a":[[[1]]]}`, ErrTooDeep},
		{"too deep in an invalid document", `{"a":[[[1]]]`, ErrTooDeep},
		{"trailing data", `{"a":1}{}`, ErrSyntax},
		{"truncated", `{"a":"b`, ErrSyntax},
		{"control character", "{\"a\":\"\x00\"}", ErrSyntax},
		{"empty", ``, ErrSyntax},
		{"bad escape in a name", `{"\x":1}`, ErrSyntax},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Members([]byte(tc.in), 3)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Members(%q) = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
	// Exactly at the limit is read; names are exact, not folded; null has no members.
	if m, err := Members([]byte(`{"a":[[1]],"A":2}`), 3); err != nil || len(m) != 2 || string(m[0].Value) != "[[1]]" || m[1].Name != "A" {
		t.Fatalf("at the limit: %v %v", m, err)
	}
	if m, err := Members([]byte(" null "), 3); err != nil || m != nil {
		t.Fatalf("null: %v %v", m, err)
	}
	// A value handed back cannot be grown into the rest of the document.
	m, _ := Members([]byte(`{"a":"x","b":"y"}`), 3)
	if v := append(m[0].Value, '!'); cap(m[0].Value) != len(m[0].Value) || string(m[1].Value) != `"y"` || string(v) != `"x"!` {
		t.Fatal("a member's value shares capacity with what follows it")
	}
}

func BenchmarkMembersVerifyRequest(b *testing.B) {
	body := []byte(`{"verifiableCredential":{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt,` +
		strings.Repeat("eyJhbGciOiJFZERTQSJ9", 100) + `"},"options":{}}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Members(body, 64); err != nil {
			b.Fatal(err)
		}
	}
}
