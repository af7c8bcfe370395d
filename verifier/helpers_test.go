package verifier_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

var testNow = testutil.Now

type issuer struct{ *testutil.Party }

func newIssuer(t testing.TB, alg keys.Alg) *issuer { return &issuer{testutil.NewParty(t, alg)} }

func (is *issuer) joseVC(t testing.TB, payload []byte) string { return is.JOSE(t, payload) }
func (is *issuer) authority() verifier.StaticAuthority        { return is.Authority() }

func credentialJSON(issuerDID string, from, until time.Time, status map[string]any) []byte {
	return testutil.Cred{Issuer: issuerDID, From: from, Until: until, Status: status}.JSON()
}

func statusEntry(purpose, idx string) map[string]any { return testutil.StatusEntry(purpose, idx) }

type fakeStatus = testutil.Status

func newVerifier(t testing.TB, trust verifier.TrustSource, st verifier.StatusFetcher, p verifier.Policy) *verifier.Verifier {
	t.Helper()
	v, err := verifier.New(verifier.Config{TrustSource: trust, StatusFetcher: st, Policy: p, Clock: testutil.Clock})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// newVerifierWithStore returns a verifier sharing the challenge store of
// other (so that a challenge other issued can be consumed).
func newVerifierWithStore(t testing.TB, trust verifier.TrustSource, other *verifier.Verifier) *verifier.Verifier {
	t.Helper()
	v, err := verifier.New(verifier.Config{TrustSource: trust, ChallengeStore: other.Challenges(), Clock: testutil.Clock})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func jsonBytes(v any) ([]byte, error) { return json.Marshal(v) }
