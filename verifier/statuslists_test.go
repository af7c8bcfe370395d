package verifier_test

import (
	"context"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

// TestStatusListsFetcher: status through the real pkg/statuslist Fetcher
// over loopback: valid, revoked, and unavailable (fail-closed or warning),
// with the cache age reported.
func TestStatusListsFetcher(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	ss := testutil.NewStatusServer(t, is)
	trust := verifier.NewStaticTrust(1, is.Authority())
	v := newVerifier(t, trust, verifier.StatusLists(ss.Fetcher), verifier.Policy{})
	cred := func(idx string) []byte {
		return []byte(is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), Status: ss.Entry(idx)}.JSON()))
	}
	res, err := v.VerifyCredential(ctx, cred("17"))
	if err != nil || !res.Verified || res.Status == nil || !res.Status.Checked || res.Status.List != ss.ListURL {
		t.Fatalf("valid: %v %+v %+v", err, res.Errors, res.Status)
	}
	res, _ = v.VerifyCredential(ctx, cred("4242"))
	if res.Verified || res.FirstError() != verifier.CodeRevoked {
		t.Fatalf("revoked: %+v", res.Errors)
	}
	// A list never fetched, with the server down.
	ss.Fail()
	down := testutil.NewStatusServer(t, is)
	down.Fail()
	downCred := []byte(is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), Status: down.Entry("1")}.JSON()))
	res, _ = newVerifier(t, trust, verifier.StatusLists(down.Fetcher), verifier.Policy{}).VerifyCredential(ctx, downCred)
	if res.Verified || res.FirstError() != verifier.CodeStatusUnavailable {
		t.Fatalf("unavailable, fail-closed: %+v", res.Errors)
	}
	res, _ = newVerifier(t, trust, verifier.StatusLists(down.Fetcher), verifier.Policy{StatusFailMode: verifier.StatusWarn}).VerifyCredential(ctx, downCred)
	if !res.Verified || !res.HasWarning(verifier.CodeStatusUnavailable) {
		t.Fatalf("unavailable, warn: %+v %+v", res.Errors, res.Warnings)
	}
	// The cached copy still answers while the first server is down.
	res, _ = v.VerifyCredential(ctx, cred("17"))
	if !res.Verified {
		t.Fatalf("cached list: %+v", res.Errors)
	}
}
