package boltstore_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/boltstore"
)

// BenchmarkStateAt measures rebuilding the state of an old registry version (what an anonymous
// as_of_version query costs past the service's cache) in a registry of 2,000 versions: the demo
// seed, then its authority suspended and reinstated in turn.
func BenchmarkStateAt(b *testing.B) {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "registry.db"), boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cur, _ := s.LoadState(ctx)
	for i := 0; i < 2000; i++ {
		cs := demoseed.ChangeSet("did:web:registrar.example.sg", t0)
		switch {
		case i == 0:
		case i%2 == 1:
			cs = trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpUpsertJurisdiction, Jurisdiction: &trustregistry.Jurisdiction{Code: "SG", Name: "Singapore " + string(rune('a'+i%26))}}}}
		default:
			cs = trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpUpsertJurisdiction, Jurisdiction: &trustregistry.Jurisdiction{Code: "CN-SH-LG", Name: "Lingang " + string(rune('a'+i%26))}}}}
		}
		at := t0.Add(time.Duration(i) * time.Minute)
		next, ch, err := trustregistry.Apply(cur, cs, at)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Apply(ctx, trustregistry.Commit{BaseVersion: cur.Version, RecordedAt: at, Changes: ch,
			Audit: trustregistry.AuditRecord{Proposer: "alice", Approvers: []string{"bob"}, Reason: "r", AppliedAt: at}}); err != nil {
			b.Fatal(err)
		}
		cur = next
	}
	for b.Loop() {
		st, err := s.StateAt(ctx, 1000)
		if err != nil || st.Version != 1000 || len(st.Authorities) != 1 {
			b.Fatalf("%v %v", st, err)
		}
	}
}
