package vc

import (
	"encoding/json"
	"slices"
	"testing"
)

// FuzzEnvelopeFast checks the one-pass reader of enveloped values against
// encoding/json: whatever it accepts, encoding/json accepts with the same
// @context, type and id.
func FuzzEnvelopeFast(f *testing.F) {
	for _, s := range []string{
		string(Envelope(MediaTypeVCJWT, "eyJhbGciOiJFZERTQSJ9.e30.c2ln")),
		`{"@context":"https://www.w3.org/ns/credentials/v2","id":"data:application/vc+jwt,a.b.c","type":"EnvelopedVerifiableCredential"}`,
		` { "type" : [ "EnvelopedVerifiablePresentation" ] , "id" : "data:application/vp+jwt,x" , "@context" : [ "https://www.w3.org/ns/credentials/v2" , "https://example.test/c" ] } `,
		`{"@context":[],"id":"x","type":"T"}`,
		`{"@context":"a","id":"x","type":"T","id":"y"}`,
		`{"@context":"a","ID":"x","type":"T"}`,
		`{"@context":"a","id":"x\u0041","type":"T"}`,
		`{"@context":"a","id":"x","type":"T"} x`,
		`{"@context":"a","id":null,"type":"T"}`,
		`{"@context":"a","id":"x","type":["T",]}`,
		`{}`,
		`{"@context":"a","id":"é","type":"T"}`,
		"\ufeff{\"@context\":\"a\",\"id\":\"x\",\"type\":\"T\"}",
		"{\"@context\":\"a\",\"id\":\"x\xff\",\"type\":\"T\"}",
		`{"@context":"a","id":"x\u0000","type":"T"}`,
		`{"@context":"a","id":"x","i\u0064":"y","type":"T"}`,
		`{"@context":"a","id":"x","Type":"U","type":"T"}`,
		`{"@context":"a","id":"x","type":"T","@context":"b"}`,
		`{"@context":["a"],"id":"x","type":["T","U"]}` + "\n\t ",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx, types, id, ok := envelopeFast(b)
		if !ok {
			return
		}
		var w struct {
			Context any    `json:"@context"`
			ID      string `json:"id"`
			Type    any    `json:"type"`
		}
		if err := json.Unmarshal(b, &w); err != nil {
			t.Fatalf("accepted what encoding/json refuses (%v): %q", err, b)
		}
		if w.ID != id || !slices.Equal(strs(w.Context), ctx) || !slices.Equal(strs(w.Type), types) {
			t.Fatalf("%q: got %q %q %q, encoding/json %v %v %q", b, ctx, types, id, w.Context, w.Type, w.ID)
		}
	})
}

// strs is a JSON string or array of strings as a list.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

// TestEnvelopeMembersByExactName: an enveloped value is read by its members' exact names, as
// JSON-LD reads them: "Type" and "ID" are not "type" and "id".
func TestEnvelopeMembersByExactName(t *testing.T) {
	for _, doc := range []string{
		`{"@context":["https://www.w3.org/ns/credentials/v2"],"ID":"data:application/vc+jwt,a.b.c","type":"EnvelopedVerifiableCredential"}`,
		`{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"data:application/vc+jwt,a.b.c","Type":"EnvelopedVerifiableCredential"}`,
	} {
		if e, err := ParseEnveloped([]byte(doc)); err == nil {
			t.Errorf("%s: read as %+v", doc, e)
		}
	}
	ok := `{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"data:application/vc+jwt,a.b.c","type":"EnvelopedVerifiableCredential","x":"\u0041"}`
	if e, err := ParseEnveloped([]byte(ok)); err != nil || e.Data != "a.b.c" {
		t.Fatalf("the slow path: %+v %v", e, err)
	}
}

// TestKnownString: the constants of an envelope come back without an
// allocation, and every string, known or not, is its bytes.
func TestKnownString(t *testing.T) {
	for _, s := range []string{"@context", "type", "id", ContextV2, TypeEnveloped, TypeEnvelopedPresentation,
		ContextV1, "data:application/vc+jwt,a.b.c", "", "Type", "@context "} {
		b := []byte(s)
		if got := knownString(b); got != s {
			t.Errorf("knownString(%q) = %q", s, got)
		}
	}
	for _, s := range []string{"@context", "type", "id", ContextV2, TypeEnveloped, TypeEnvelopedPresentation} {
		b := []byte(s)
		if n := testing.AllocsPerRun(10, func() { _ = knownString(b) }); n != 0 {
			t.Errorf("knownString(%q): %v allocations", s, n)
		}
	}
}
