package verifier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestDuplicateMembersRefused: a correctly signed vc+jwt whose payload
// repeats a member name is malformed. Parsers disagree on which of the
// repeated values counts (first, last, error), so a verifier that picked
// one could read a different credential than another party reads from the
// same signed bytes.
func TestDuplicateMembersRefused(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	v := newVerifier(t, verifier.NewStaticTrust(1, is.Authority()), nil, verifier.Policy{})
	payload := string(testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour)}.JSON())
	if res, _ := v.VerifyCredential(ctx, []byte(is.JOSE(t, []byte(payload)))); !res.Verified {
		t.Fatalf("the untouched credential fails: %+v", res.Errors)
	}
	// prepend adds members at the start of the top-level object.
	prepend := func(members string) string { return "{" + members + "," + payload[1:] }
	tests := []struct{ name, payload string }{
		{"iss twice", prepend(`"iss":"` + is.DID + `","iss":"did:web:evil.example"`)},
		{"iss twice, escaped", prepend(`"iss":"` + is.DID + `","\u0069ss":"did:web:evil.example"`)},
		{"issuer twice", prepend(`"issuer":"did:web:evil.example"`)},
		{"credentialSubject twice", prepend(`"credentialSubject":{"id":"did:example:mallory","legalName":"Mallory Ltd"}`)},
		{"subject member twice", strings.Replace(payload, `"legalName":`, `"legalName":"Mallory Ltd","legalName":`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := v.VerifyCredential(ctx, []byte(is.JOSE(t, []byte(tt.payload))))
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || res.FirstError() != verifier.CodeMalformed {
				t.Fatalf("verified=%v errors=%+v, want %s", res.Verified, res.Errors, verifier.CodeMalformed)
			}
		})
	}
}
