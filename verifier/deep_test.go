package verifier_test

import (
	"context"
	"strings"
	"testing"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestDeepPayloads: signed tokens whose payload nests 60,000 deep (inside
// the token size limit) are refused as malformed, without a crash.
func TestDeepPayloads(t *testing.T) {
	is := testutil.NewParty(t, keys.EdDSA)
	v := newVerifier(t, verifier.NewStaticTrust(1, is.Authority()), nil, verifier.Policy{})
	deep := strings.Repeat("[", 60000) + strings.Repeat("]", 60000)
	payload := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":"` + is.DID +
		`","credentialSubject":{"x":` + deep + `}}`
	for _, typ := range []string{"vc+jwt", "JWT"} {
		tok := testutil.SignJWS(t, is.Key, map[string]any{"alg": "EdDSA", "kid": is.Kid, "typ": typ}, []byte(payload))
		res, err := v.VerifyCredential(context.Background(), []byte(tok))
		if err != nil || res.Verified || res.FirstError() != verifier.CodeMalformed {
			t.Fatalf("%s: %v %+v", typ, err, res.Errors)
		}
	}
}
