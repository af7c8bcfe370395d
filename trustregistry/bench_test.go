package trustregistry_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/replica"
)

// BenchmarkPropagation measures the time from a maker-checker approval (the approve call
// returning) to the change being visible in a replica synced over long-poll on loopback.
// The "visible-ms" metric is that time; ns/op also includes proposing.
func BenchmarkPropagation(b *testing.B) {
	e := newEnv(b, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now().Add(-time.Hour)); err != nil {
		b.Fatal(err)
	}
	jwk, _ := e.svc.PublicKeyJWK()
	r, _ := replica.New(replica.Config{URL: e.srv.URL, PinnedKey: jwk, Logger: quietLogger()})
	go r.Run(ctx)
	for r.Status().Version < 1 {
		time.Sleep(time.Millisecond)
	}
	measurePropagation(b, e, r, demoseed.AuthorityID)
}

// BenchmarkPropagation10k is BenchmarkPropagation with 10,000 authorities and 50 schemes in the
// registry: each change re-signs, ships and re-verifies a ~4 MB snapshot.
func BenchmarkPropagation10k(b *testing.B) {
	e := newEnv(b, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice, _ := e.svc.Store().GetAccount(ctx, "alice")
	bob, _ := e.svc.Store().GetAccount(ctx, "bob")
	for _, cs := range trustregistry.SyntheticChangeSets(10000, 50, time.Now().Add(-time.Hour)) {
		p, err := e.svc.Propose(ctx, alice, cs, "synthetic", 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.Approve(ctx, bob, p.ID, ""); err != nil {
			b.Fatal(err)
		}
	}
	var fc fetchCounter
	fc.serve(e.svc)
	srv := httptest.NewServer(&fc)
	defer srv.Close()
	defer cancel()
	jwk, _ := e.svc.PublicKeyJWK()
	r, _ := replica.New(replica.Config{URL: srv.URL, PinnedKey: jwk, Logger: quietLogger()})
	go r.Run(ctx)
	v := e.svc.Index().Version()
	for r.Status().Version < v {
		time.Sleep(time.Millisecond)
	}
	snaps := fc.snapshots.Load()
	measurePropagation(b, e, r, "authority-42")
	b.ReportMetric(float64(fc.snapshots.Load()-snaps)/float64(b.N), "snapshots/op")
}

// measurePropagation alternately suspends and reinstates authority through maker-checker over
// HTTP. It reports the mean time from the approval call to the replica holding the new version
// (visible-ms, watched while the call runs: a replica that follows deltas sees the change
// before the registry has signed the snapshot and answered) and the approval call's own time
// (approve-ms).
func measurePropagation(b *testing.B, e *env, r *replica.Replica, authority string) {
	ctx := context.Background()
	var total, approve time.Duration
	suspend := true
	for b.Loop() {
		cs := trustregistry.SuspendAuthority(authority, "bench", time.Now())
		if !suspend {
			cs = trustregistry.ReinstateAuthority(authority, "bench", time.Now())
		}
		suspend = !suspend
		p, err := e.alice.Propose(ctx, cs, "bench", "")
		if err != nil {
			b.Fatal(err)
		}
		want := e.svc.Index().Version() + 1
		seen := make(chan time.Time, 1)
		go func() {
			for r.Status().Version < want {
				time.Sleep(50 * time.Microsecond)
			}
			seen <- time.Now()
		}()
		start := time.Now()
		ap, err := e.bob.Approve(ctx, p.ID, "")
		if err != nil {
			b.Fatal(err)
		}
		approve += time.Since(start)
		if ap.AppliedVersion != want {
			b.Fatalf("applied version %d, want %d", ap.AppliedVersion, want)
		}
		total += (<-seen).Sub(start)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "visible-ms")
	b.ReportMetric(float64(approve.Microseconds())/1000/float64(b.N), "approve-ms")
}
