package vc

import (
	"encoding/json"
	"testing"
)

// The direct encoding of an envelope is byte for byte what json.Marshal writes, and strings
// that need escaping still go through json.Marshal.
func TestEnvelopeMatchesJSONMarshal(t *testing.T) {
	for _, token := range []string{
		"eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2ln",
		"eyJhbGciOiJFZERTQSJ9.eyJ4Ijp0cnVlfQ.c2ln~WyJzYWx0IiwiYSIsMV0~",
		`a"b\c<d>&e`, "ü\u2028\x01", "",
	} {
		want, _ := json.Marshal(struct {
			Context []string `json:"@context"`
			ID      string   `json:"id"`
			Type    string   `json:"type"`
		}{[]string{ContextV2}, "data:" + MediaTypeVCJWT + "," + token, TypeEnveloped})
		if got := Envelope(MediaTypeVCJWT, token); string(got) != string(want) {
			t.Errorf("token %q:\n got %s\nwant %s", token, got, want)
		}
	}
}
