// Package storetest is the conformance suite of verifier.ChallengeStore.
// Every implementation, in this repository or outside it, runs it from its
// own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.RunChallengeStore(t, func(t *testing.T) verifier.ChallengeStore { return mystore.New(...) })
//	}
//
// It checks the contract the verifier relies on: a challenge is accepted
// once; a second use is ErrChallengeUsed; an expired, forged, malformed,
// foreign or never-issued challenge is ErrChallengeUnknown and records
// nothing; of concurrent consumes of one challenge exactly one succeeds;
// lifetimes default and are capped; a store that binds challenges to an
// audience (verifier.AudienceChallengeStore) accepts one only for its
// audience, refusing it elsewhere with ErrChallengeWrongAudience and
// recording nothing, and it is still single use. RunTransactionStore is the suite of
// openid4vp.TransactionStore (OpenID4VP transactions). The suites import
// only the standard library, package verifier and verifier/openid4vp.
package storetest

import (
	"context"
	"encoding/base64"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/verifier"
)

// NewStore returns a fresh, empty store for one subtest. The suite calls it
// once per subtest (twice in "foreign challenge") and never closes
// anything: register cleanup with t.Cleanup.
type NewStore func(t *testing.T) verifier.ChallengeStore

// epoch is the suite's clock: stores are given explicit times.
var epoch = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// RunChallengeStore runs the conformance suite against the stores newStore
// makes.
func RunChallengeStore(t *testing.T, newStore NewStore) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, newStore NewStore)
	}{
		{"single use", testSingleUse},
		{"issue lifetime", testIssueLifetime},
		{"expiry", testExpiry},
		{"unknown challenge", testUnknown},
		{"tampered challenge", testTampered},
		{"foreign challenge", testForeign},
		{"refused challenge records nothing", testRefusedRecordsNothing},
		{"independent challenges", testIndependent},
		{"concurrent consume", testConcurrentConsume},
		{"audience", testAudience},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore) })
	}
}

func issue(t *testing.T, s verifier.ChallengeStore, now time.Time, ttl time.Duration) (string, time.Time) {
	t.Helper()
	c, exp, err := s.Issue(context.Background(), now, ttl)
	if err != nil {
		t.Fatalf("Issue(%s, %s): %v", now, ttl, err)
	}
	if c == "" {
		t.Fatalf("Issue(%s, %s) returned an empty challenge", now, ttl)
	}
	return c, exp
}

func consume(t *testing.T, s verifier.ChallengeStore, c string, at time.Time, want error) {
	t.Helper()
	err := s.Consume(context.Background(), c, at)
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("Consume(%.12q..., %s) = %v, want %v", c, at.Format(time.RFC3339), err, want)
	}
}

func testSingleUse(t *testing.T, newStore NewStore) {
	s := newStore(t)
	c, _ := issue(t, s, epoch, time.Minute)
	consume(t, s, c, epoch.Add(time.Second), nil)
	consume(t, s, c, epoch.Add(2*time.Second), verifier.ErrChallengeUsed)
	consume(t, s, c, epoch.Add(59*time.Second), verifier.ErrChallengeUsed)
}

func testIssueLifetime(t *testing.T, newStore NewStore) {
	s := newStore(t)
	c1, exp := issue(t, s, epoch, time.Minute)
	if want := epoch.Add(time.Minute); !exp.Equal(want) {
		t.Errorf("expiry %s for a 1 min lifetime from %s, want %s", exp, epoch, want)
	}
	c2, exp := issue(t, s, epoch, 0)
	if want := epoch.Add(verifier.DefaultChallengeTTL); !exp.Equal(want) {
		t.Errorf("expiry %s for the default lifetime, want %s", exp, want)
	}
	if c1 == c2 {
		t.Errorf("two issues gave the same challenge %q", c1)
	}
	if _, _, err := s.Issue(context.Background(), epoch, 48*time.Hour); err == nil {
		t.Errorf("a 48 h lifetime was accepted (at most 24 h)")
	}
}

func testExpiry(t *testing.T, newStore NewStore) {
	s := newStore(t)
	c, exp := issue(t, s, epoch, time.Minute)
	consume(t, s, c, exp, verifier.ErrChallengeUnknown)
	consume(t, s, c, exp.Add(time.Hour), verifier.ErrChallengeUnknown)
	// Refused as expired, it was not recorded: still good before expiry.
	consume(t, s, c, exp.Add(-time.Second), nil)
}

func testUnknown(t *testing.T, newStore NewStore) {
	s := newStore(t)
	for _, c := range []string{"", "not a challenge", "AAAA", string(make([]byte, 55))} {
		consume(t, s, c, epoch, verifier.ErrChallengeUnknown)
	}
	// A random nonce of the right look is not one of the store's.
	n, err := verifier.NewChallenge()
	if err != nil {
		t.Fatal(err)
	}
	consume(t, s, n, epoch, verifier.ErrChallengeUnknown)
}

func testTampered(t *testing.T, newStore NewStore) {
	s := newStore(t)
	c, _ := issue(t, s, epoch, time.Minute)
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		// Not base64url: still, a changed challenge must be refused.
		consume(t, s, c+"A", epoch, verifier.ErrChallengeUnknown)
		consume(t, s, c[:len(c)-1], epoch, verifier.ErrChallengeUnknown)
		return
	}
	for i := range raw {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		consume(t, s, base64.RawURLEncoding.EncodeToString(b), epoch, verifier.ErrChallengeUnknown)
	}
	consume(t, s, c+"A", epoch, verifier.ErrChallengeUnknown)
	consume(t, s, c[:len(c)-1], epoch, verifier.ErrChallengeUnknown)
	consume(t, s, c, epoch, nil)
}

func testForeign(t *testing.T, newStore NewStore) {
	a, b := newStore(t), newStore(t)
	c, _ := issue(t, b, epoch, time.Minute)
	consume(t, a, c, epoch, verifier.ErrChallengeUnknown)
	consume(t, b, c, epoch, nil)
}

func testRefusedRecordsNothing(t *testing.T, newStore NewStore) {
	s := newStore(t)
	c, _ := issue(t, s, epoch, time.Minute)
	consume(t, s, c, epoch.Add(time.Minute), verifier.ErrChallengeUnknown)
	consume(t, s, c, epoch.Add(2*time.Minute), verifier.ErrChallengeUnknown)
	consume(t, s, c, epoch, nil)
	consume(t, s, c, epoch, verifier.ErrChallengeUsed)
}

func testIndependent(t *testing.T, newStore NewStore) {
	s := newStore(t)
	var cs []string
	for range 20 {
		c, _ := issue(t, s, epoch, time.Minute)
		cs = append(cs, c)
	}
	for _, c := range cs {
		consume(t, s, c, epoch.Add(time.Second), nil)
	}
	for _, c := range cs {
		consume(t, s, c, epoch.Add(2*time.Second), verifier.ErrChallengeUsed)
	}
}

func testConcurrentConsume(t *testing.T, newStore NewStore) {
	s := newStore(t)
	const workers = 16
	for round := range 5 {
		c, _ := issue(t, s, epoch, time.Minute)
		var (
			wg                 sync.WaitGroup
			mu                 sync.Mutex
			ok, used, unwanted int
			start              = make(chan struct{})
		)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := s.Consume(context.Background(), c, epoch.Add(time.Second))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, verifier.ErrChallengeUsed):
					used++
				default:
					unwanted++
					t.Errorf("round %d: concurrent Consume: %v", round, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if ok != 1 || used != workers-1 || unwanted != 0 {
			t.Fatalf("round %d: %d concurrent consumes of one challenge: %d succeeded, %d used, %d other; want exactly one success", round, workers, ok, used, unwanted)
		}
	}
}

// testAudience: for an AudienceChallengeStore, a challenge issued for an
// audience is accepted once for it alone; one issued for none only for
// none (Consume); the refusals record nothing; a tampered audience-bound
// challenge is unknown. Stores that do not bind audiences skip it.
func testAudience(t *testing.T, newStore NewStore) {
	s, ok := newStore(t).(verifier.AudienceChallengeStore)
	if !ok {
		t.Skip("the store does not bind challenges to an audience")
	}
	ctx := context.Background()
	consumeFor := func(c, aud string, want error) {
		t.Helper()
		err := s.ConsumeFor(ctx, c, aud, epoch.Add(time.Second))
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Fatalf("ConsumeFor(%.12q..., %q) = %v, want %v", c, aud, err, want)
		}
	}
	a, _, err := s.IssueFor(ctx, "profile:bank/kyc", epoch, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	consumeFor(a, "profile:shop/any", verifier.ErrChallengeWrongAudience)
	consumeFor(a, "", verifier.ErrChallengeWrongAudience)
	consume(t, s, a, epoch.Add(time.Second), verifier.ErrChallengeWrongAudience)
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err == nil {
		raw[len(raw)/2] ^= 0x01
		consumeFor(base64.RawURLEncoding.EncodeToString(raw), "profile:bank/kyc", verifier.ErrChallengeUnknown)
	}
	consumeFor(a, "profile:bank/kyc", nil)
	consumeFor(a, "profile:bank/kyc", verifier.ErrChallengeUsed)

	plain, _ := issue(t, s, epoch, time.Minute)
	consumeFor(plain, "profile:bank/kyc", verifier.ErrChallengeWrongAudience)
	consumeFor(plain, "", nil)
	consume(t, s, plain, epoch.Add(time.Second), verifier.ErrChallengeUsed)

	none, _, err := s.IssueFor(ctx, "", epoch, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	consume(t, s, none, epoch.Add(time.Second), nil)
}
