package verifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/pkg/vcld"
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

// TestStatusListIssuerMismatch: a credential pointing at a list issued and
// signed by another issuer (real Fetcher, loopback) fails with
// status_list_issuer_mismatch, also when status failures only warn; the
// issuer's own list still passes.
func TestStatusListIssuerMismatch(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	other := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(1, is.Authority(), other.Authority())
	tests := []struct {
		name string
		ss   *testutil.StatusServer
		want verifier.Code
	}{
		{"own list, vc+jwt", testutil.NewStatusServer(t, is), ""},
		{"other issuer's list, vc+jwt", testutil.NewStatusServer(t, other), verifier.CodeStatusListIssuerMismatch},
		{"own list, data integrity", testutil.NewDIStatusServer(t, is), ""},
		{"other issuer's list, data integrity", testutil.NewDIStatusServer(t, other), verifier.CodeStatusListIssuerMismatch},
	}
	for _, tt := range tests {
		for _, mode := range []verifier.StatusMode{verifier.StatusFailClosed, verifier.StatusWarn} {
			t.Run(fmt.Sprintf("%s/mode=%d", tt.name, mode), func(t *testing.T) {
				v := newVerifier(t, trust, verifier.StatusLists(tt.ss.Fetcher), verifier.Policy{StatusFailMode: mode})
				raw := []byte(is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), Status: tt.ss.Entry("17")}.JSON()))
				res, err := v.VerifyCredential(ctx, raw)
				if err != nil {
					t.Fatal(err)
				}
				if tt.want == "" {
					if !res.Verified || res.Status == nil || !res.Status.Checked || len(res.Warnings) != 0 {
						t.Fatalf("%+v %+v %+v", res.Errors, res.Warnings, res.Status)
					}
					return
				}
				if res.Verified || res.FirstError() != tt.want || res.Status != nil {
					t.Fatalf("verified=%v errors=%+v status=%+v", res.Verified, res.Errors, res.Status)
				}
			})
		}
	}
	// A lookup that does not say whose credential it is never reads a list.
	ss := testutil.NewStatusServer(t, is)
	_, err := verifier.StatusLists(ss.Fetcher).Lookup(ctx, verifier.StatusRef{Kind: verifier.BitstringStatus, URL: ss.ListURL, Index: 1, Purpose: "revocation"})
	if !errors.Is(err, verifier.ErrStatusListIssuer) {
		t.Fatalf("lookup without issuer: %v", err)
	}
}

// TestStatusListDataIntegrity: a Bitstring status list credential secured
// with an eddsa-rdfc-2022 proof is read through DataIntegrityListVerifier
// (revoked and valid entries); without the hook, or when the proof does not
// hold, the status is unavailable.
func TestStatusListDataIntegrity(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(1, is.Authority())
	ss := testutil.NewDIStatusServer(t, is)
	v := newVerifier(t, trust, verifier.StatusLists(ss.Fetcher), verifier.Policy{})
	cred := func(idx string) []byte {
		return []byte(is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), Status: ss.Entry(idx)}.JSON()))
	}
	if res, err := v.VerifyCredential(ctx, cred("17")); err != nil || !res.Verified || res.Status == nil || res.Status.Value != 0 {
		t.Fatalf("valid: %v %+v", err, res.Errors)
	}
	if res, _ := v.VerifyCredential(ctx, cred("4242")); res.Verified || res.FirstError() != verifier.CodeRevoked {
		t.Fatalf("revoked: %+v", res.Errors)
	}
	// The same list, fetched without a Data Integrity verifier: refused.
	plain, err := statuslist.NewFetcher(testutil.FetcherOptions())
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := newVerifier(t, trust, verifier.StatusLists(plain), verifier.Policy{}).VerifyCredential(ctx, cred("17")); res.Verified || res.FirstError() != verifier.CodeStatusUnavailable {
		t.Fatalf("no hook: %+v", res.Errors)
	}
	// A hook whose resolver cannot reach the signer's key (a did:web that
	// does not resolve) refuses the proof; so does a tampered list.
	check := verifier.DataIntegrityListVerifier(nil)
	resp, err := http.Get(ss.ListURL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := check(ctx, body); err != nil {
		t.Fatalf("good list: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	m["credentialSubject"].(map[string]any)["statusPurpose"] = "suspension"
	tampered, _ := json.Marshal(m)
	if err := check(ctx, tampered); !errors.Is(err, vcld.ErrSignatureInvalid) {
		t.Fatalf("tampered list: %v", err)
	}
}

// TestStatusStale: a list served past its expiry because the refresh
// failed (StaleIfError) still answers, with a status_stale warning.
func TestStatusStale(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	ss := testutil.NewStatusServer(t, is)
	var mu sync.Mutex
	now := time.Now()
	o := testutil.FetcherOptions()
	o.MaxTTL, o.StaleIfError = time.Minute, time.Hour
	o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f, err := statuslist.NewFetcher(o)
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, verifier.NewStaticTrust(1, is.Authority()), verifier.StatusLists(f), verifier.Policy{})
	cred := func(idx string) []byte {
		return []byte(is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), Status: ss.Entry(idx)}.JSON()))
	}
	if res, _ := v.VerifyCredential(ctx, cred("17")); !res.Verified || len(res.Warnings) != 0 || res.Status.Stale {
		t.Fatalf("fresh: %+v %+v", res.Errors, res.Warnings)
	}
	ss.Fail()
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	res, _ := v.VerifyCredential(ctx, cred("17"))
	if !res.Verified || !res.HasWarning(verifier.CodeStatusStale) || !res.Status.Stale {
		t.Fatalf("stale: %+v %+v %+v", res.Errors, res.Warnings, res.Status)
	}
	if res, _ := v.VerifyCredential(ctx, cred("4242")); res.Verified || res.FirstError() != verifier.CodeRevoked {
		t.Fatalf("stale, revoked: %+v", res.Errors)
	}
}

// TestDefaultStatusFetcherIsGuarded: a Verifier built without a StatusFetcher checks status
// lists with DefaultStatusFetcher, whose client refuses loopback and plain-HTTP list URLs, so a
// credential pointing its status at a local server is refused (fail-closed) rather than
// fetched; a deployment that must reach such hosts passes its own fetcher (as above).
func TestDefaultStatusFetcherIsGuarded(t *testing.T) {
	ctx := context.Background()
	is := testutil.NewParty(t, keys.EdDSA)
	ss := testutil.NewStatusServer(t, is)
	v := newVerifier(t, verifier.NewStaticTrust(1, is.Authority()), nil, verifier.Policy{})
	cred := []byte(is.JOSE(t, testutil.Cred{Issuer: is.DID, From: testNow.Add(-time.Hour), Status: ss.Entry("17")}.JSON()))
	res, err := v.VerifyCredential(ctx, cred)
	if err != nil || res.Verified || res.FirstError() != verifier.CodeStatusUnavailable {
		t.Fatalf("default fetcher reached a loopback list: err %v errors %+v", err, res.Errors)
	}
	if !strings.Contains(fmt.Sprint(res.Errors), "not an acceptable https URL") {
		t.Fatalf("the refusal should come from the guarded fetcher: %+v", res.Errors)
	}
}
