package vcld

import (
	"context"
	"testing"

	"github.com/idport/idport/pkg/nodetest"
)

type jsCanon struct {
	NQuads string `json:"nquads"`
	Error  string `json:"error"`
}

// jsCanonicalize returns what @digitalbazaar/eddsa-rdfc-2022-cryptosuite
// canonicalises doc to.
func jsCanonicalize(t *testing.T, doc map[string]any) jsCanon {
	t.Helper()
	var out jsCanon
	nodetest.Run(t, "vcld-canon.mjs", map[string]any{"doc": doc}, &out)
	return out
}

func TestCanonicalFormMatchesJS(t *testing.T) {
	p := newTestProcessor(t)
	k := newTestKey(4)
	docs := map[string]map[string]any{
		"vc2": credV2(k.did),
		"vc1": credV1(k.did),
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			got, err := p.canonicalize(context.Background(), doc)
			if err != nil {
				t.Fatal(err)
			}
			want := jsCanonicalize(t, doc)
			if want.Error != "" {
				t.Fatalf("JS: %s", want.Error)
			}
			if got != want.NQuads {
				t.Fatalf("canonical forms differ\nGo:\n%s\nJS:\n%s", got, want.NQuads)
			}
		})
	}
}
