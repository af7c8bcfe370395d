package trustregistry_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/memstore"
	"github.com/idport/idport/trustregistry/replica"
)

// scaleEnv is a registry of n authorities (memstore, snapshots deferred so that an approval
// does not sign one) served over loopback, and a replica synced from its snapshot and then
// following deltas. The registry starts from a store seeded directly with the synthetic state
// (SeedStore), as a registry restarted on its data would. Built once per size and test
// binary: it only runs under -bench.
type scaleEnv struct {
	svc        *trustregistry.Service
	srv        *httptest.Server
	r          *replica.Replica
	alice, bob trustregistry.Account
	heapMB     float64
	setupTime  time.Duration
	syncTime   time.Duration
}

var scaleEnvs sync.Map // n -> func() (*scaleEnv, error)

func getScaleEnv(b *testing.B, n int) *scaleEnv {
	f, _ := scaleEnvs.LoadOrStore(n, sync.OnceValues(func() (*scaleEnv, error) { return newScaleEnv(n) }))
	e, err := f.(func() (*scaleEnv, error))()
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func newScaleEnv(n int) (*scaleEnv, error) {
	ctx := context.Background()
	start := time.Now()
	st, err := trustregistry.LargeSyntheticState(n, 50, time.Now().Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	store := memstore.New()
	if err := trustregistry.SeedStore(ctx, store, st, secret, "idport-registry"); err != nil {
		return nil, err
	}
	st = nil
	svc, err := trustregistry.NewService(trustregistry.Config{Store: store, KeySecret: secret, Logger: quietLogger(), SnapshotDelay: time.Hour})
	if err != nil {
		return nil, err
	}
	e := &scaleEnv{svc: svc}
	e.alice, _, _ = svc.CreateAccount(ctx, "alice", []trustregistry.Role{trustregistry.RoleProposer})
	e.bob, _, _ = svc.CreateAccount(ctx, "bob", []trustregistry.Role{trustregistry.RoleApprover})
	// The snapshot is the one the registry signed when it opened the store; the replica takes
	// the two account versions since as deltas.
	e.srv = httptest.NewServer(httpapi.New(svc, httpapi.Options{}, slog.New(slog.DiscardHandler)))
	// Fetch the snapshot once so that the registry's gzip copy of it is not counted as the
	// replica's heap.
	resp, err := http.Get(e.srv.URL + "/v1/snapshot")
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	e.setupTime = time.Since(start)
	jwk, _ := svc.PublicKeyJWK()
	before := heapInUse()
	start = time.Now()
	e.r, err = replica.New(replica.Config{URL: e.srv.URL, PinnedKey: jwk, Logger: quietLogger()})
	if err != nil {
		return nil, err
	}
	if _, err := e.r.Sync(ctx, 0); err != nil {
		return nil, err
	}
	e.syncTime = time.Since(start)
	e.heapMB = float64(heapInUse()-before) / (1 << 20)
	go e.r.Run(context.Background())
	return e, nil
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkScale measures, at 10,000 and 1,000,000 authorities: the time from a maker-checker
// approval to the change being visible in a replica that long-polls deltas on loopback
// (visible-ms), the approval's own apply path (applied-ms), the decision hit through the
// replica, the same in thread CPU time beside an index rebuilt from the replica's state
// (decide-hit-cpu, see CompareDecideHit), and the replica's heap after its initial sync
// (replica-heap-MB, with the sync's time and the registry's set-up time). The 1M set-up takes
// about a minute and a few GiB: run it alone, for example
//
//	go test ./trustregistry -run '^$' -bench 'Scale/1M' -benchtime 10x -timeout 30m
func BenchmarkScale(b *testing.B) {
	for _, n := range []int{10000, 1000000} {
		name := fmt.Sprintf("%dk", n/1000)
		if n >= 1000000 {
			name = fmt.Sprintf("%dM", n/1000000)
		}
		b.Run(name+"/propagation", func(b *testing.B) {
			e := getScaleEnv(b, n)
			ctx := context.Background()
			var total, applied time.Duration
			var start time.Time
			trustregistry.SetAppliedHook(func() { applied += time.Since(start) })
			defer trustregistry.SetAppliedHook(nil)
			suspend := true
			for b.Loop() {
				cs := trustregistry.SuspendAuthority("authority-42", "bench", time.Now())
				if !suspend {
					cs = trustregistry.ReinstateAuthority("authority-42", "bench", time.Now())
				}
				suspend = !suspend
				p, err := e.svc.Propose(ctx, e.alice, cs, "bench", 0)
				if err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				ap, err := e.svc.Approve(ctx, e.bob, p.ID, "")
				if err != nil {
					b.Fatal(err)
				}
				for e.r.Status().Version < ap.AppliedVersion {
					time.Sleep(20 * time.Microsecond)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "visible-ms")
			b.ReportMetric(float64(applied.Microseconds())/1000/float64(b.N), "applied-ms")
		})
		b.Run(name+"/decide-hit", func(b *testing.B) {
			e := getScaleEnv(b, n)
			q := trustregistry.Query{Entity: fmt.Sprintf("did:web:authority-%d.example", n/2+1), CredentialType: "BusinessRegistration", LocalScheme: "scheme-0"}
			b.ReportAllocs()
			for b.Loop() {
				if d := e.r.Decide(q); !d.Recognised {
					b.Fatal(d.Code)
				}
			}
		})
		b.Run(name+"/decide-hit-cpu", func(b *testing.B) {
			e := getScaleEnv(b, n)
			derived := e.r.Index()
			q := trustregistry.Query{Entity: fmt.Sprintf("did:web:authority-%d.example", n/2+1), CredentialType: "BusinessRegistration", LocalScheme: "scheme-0", At: time.Now()}
			trustregistry.CompareDecideHit(b, trustregistry.NewIndex(derived.State()), derived, q)
		})
		b.Run(name+"/replica-heap", func(b *testing.B) {
			e := getScaleEnv(b, n)
			for b.Loop() {
			}
			b.ReportMetric(e.heapMB, "replica-heap-MB")
			b.ReportMetric(e.syncTime.Seconds(), "initial-sync-s")
			b.ReportMetric(e.setupTime.Seconds(), "setup-s")
		})
	}
}
