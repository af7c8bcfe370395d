package trustregistry_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
)

// BenchmarkApprove10k measures one maker-checker approval (Service.Approve: apply the change
// set, commit it to registry.db with fsync, swap the index, sign and store the snapshot) in a
// registry of 10,000 authorities and 50 schemes.
func BenchmarkApprove10k(b *testing.B) {
	e := newEnv(b, nil)
	ctx := context.Background()
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
	var applied time.Duration
	var start time.Time
	trustregistry.SetAppliedHook(func() { applied += time.Since(start) })
	defer trustregistry.SetAppliedHook(nil)
	suspend := true
	for b.Loop() {
		b.StopTimer()
		cs := trustregistry.SuspendAuthority("authority-42", "bench", time.Now())
		if !suspend {
			cs = trustregistry.ReinstateAuthority("authority-42", "bench", time.Now())
		}
		suspend = !suspend
		p, err := e.svc.Propose(ctx, alice, cs, "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start = time.Now()
		if _, err := e.svc.Approve(ctx, bob, p.ID, "ok"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(applied.Microseconds())/1000/float64(b.N), "applied-ms")
}

// BenchmarkStateDigest10k measures what the state digest adds to one approval with 10,000
// authorities: the incremental update for one changed authority and the new digest.
func BenchmarkStateDigest10k(b *testing.B) {
	st, err := trustregistry.SyntheticState(10000, 50, time.Now().Add(-time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	d, err := trustregistry.NewDigest(st)
	if err != nil {
		b.Fatal(err)
	}
	_, ch, err := trustregistry.Apply(st, trustregistry.SuspendAuthority("authority-42", "bench", time.Now()), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		d.Update(ch)
		_ = d.Sum()
	}
}

// auditFile is a registry.db holding 100,000 applied change sets, built once per test binary.
var auditFile = sync.OnceValues(func() (string, error) {
	dir, err := osMkdirTemp()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "registry.db")
	st, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		return "", err
	}
	defer st.Close()
	return path, fillHistory(context.Background(), st, 100000)
})

// BenchmarkAuditVerify100k measures the offline audit check (idport admin audit verify --data:
// hash chain, and the stored state replayed from the chain) of a registry.db holding 100,000
// audit records.
func BenchmarkAuditVerify100k(b *testing.B) {
	path, err := auditFile()
	if err != nil {
		b.Fatal(err)
	}
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for b.Loop() {
		rep, err := trustregistry.CheckAudit(ctx, st)
		if err != nil || !rep.OK || rep.Records != 100000 {
			b.Fatalf("%+v %v", rep, err)
		}
	}
}
