package verifier

import (
	"testing"

	"github.com/idport/idport/pkg/vcld"
)

// TestAlignPreverifiedExactType: an item is enveloped for the alignment
// exactly when vcld took it for one, by the member named "type": a
// credential that also carries "Type": "EnvelopedVerifiableCredential",
// next to an enveloped item that also carries "Type":
// "VerifiableCredential", must not swap results (the second item would
// otherwise be reported with the first one's verified content).
func TestAlignPreverifiedExactType(t *testing.T) {
	a := []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"Type":"EnvelopedVerifiableCredential","issuer":"did:example:i"}`)
	b := []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiableCredential","Type":"VerifiableCredential","id":"data:application/vc+jwt,x","issuer":"did:example:i"}`)
	resA := &vcld.Result{Issuer: "did:example:i"}
	res := &vcld.PresentationResult{Credentials: []*vcld.Result{resA}, Enveloped: []string{"data:application/vc+jwt,x"}}
	out := alignPreverified([][]byte{a, b}, res, nil)
	if out == nil {
		t.Fatal("no alignment")
	}
	if out[0] == nil || out[0].res != resA {
		t.Errorf("the credential is not paired with its result: %+v", out[0])
	}
	if out[1] != nil {
		t.Errorf("the enveloped item is paired with a credential's result: %+v", out[1].res)
	}
}
