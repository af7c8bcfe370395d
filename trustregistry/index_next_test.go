package trustregistry

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestNextIndexAnswersLikeARebuiltOne: the index a replica derives from the previous one after a
// change (Index.Next) must answer every question the way an index rebuilt from the new state
// does: identifiers of every kind (DIDs, key thumbprints, DNS domains) found, removed ones gone,
// and recognitions by framework still there after a change that did not touch them.
func TestNextIndexAnswersLikeARebuiltOne(t *testing.T) {
	x := frameworkState(t)
	now := time.Now()
	// Enough other authorities that one change takes the incremental path, not a rebuild.
	var filler ChangeSet
	for i := range 8 {
		filler.Ops = append(filler.Ops, Op{Op: OpUpsertAuthority, Authority: &Authority{ID: fmt.Sprintf("filler-%d", i), Scheme: "eu.fed",
			LegalName: "filler", DIDs: []string{fmt.Sprintf("did:web:filler%d.example", i)}, CredentialTypes: []string{"BusinessRegistration"}, Assurance: "high"}})
	}
	st, _, err := Apply(x.State(), filler, now)
	if err != nil {
		t.Fatal(err)
	}
	x = NewIndex(st)
	steps := []ChangeSet{
		{Ops: []Op{{Op: OpUpsertAuthority, Authority: &Authority{ID: "sg-trade", Scheme: "eu.fed", LegalName: "SG trade registrar",
			DIDs: []string{"did:web:trade.example.sg"}, DNSDomains: []string{"trade.example.sg"}, CredentialTypes: []string{"BusinessRegistration"}, Assurance: "high"}}}},
		{Ops: []Op{{Op: OpUpsertAuthority, Authority: &Authority{ID: "sg-trade", Scheme: "eu.fed", LegalName: "SG trade registrar",
			DIDs: []string{"did:web:trade2.example.sg"}, DNSDomains: []string{"invoices.example.sg"}, CredentialTypes: []string{"BusinessRegistration"}, Assurance: "high"}}}},
		{Ops: []Op{{Op: OpSetAuthorityStatus, ID: "sg-trade", Status: StatusSuspended, Reason: "key leaked"}}},
	}
	entities := []string{"did:web:trade.example.sg", "trade.example.sg", "did:web:trade2.example.sg", "invoices.example.sg"}
	for i, cs := range steps {
		next, changes, err := Apply(x.State(), cs, now)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		derived, rebuilt := x.Next(next, changes), NewIndex(next)
		for _, e := range entities {
			a1, ok1 := derived.AuthorityByEntity(e)
			a2, ok2 := rebuilt.AuthorityByEntity(e)
			if ok1 != ok2 || (ok1 && a1 != a2) {
				t.Errorf("step %d: %s: derived (%v %v), rebuilt (%v %v)", i, e, a1, ok1, a2, ok2)
			}
		}
		if !slices.Equal(derived.IDs(KindAuthority), rebuilt.IDs(KindAuthority)) {
			t.Errorf("step %d: authority ids %v, rebuilt %v", i, derived.IDs(KindAuthority), rebuilt.IDs(KindAuthority))
		}
		if len(derived.FrameworkRules()) != len(rebuilt.FrameworkRules()) || !derived.HasFrameworks() {
			t.Errorf("step %d: %d framework recognitions, rebuilt %d", i, len(derived.FrameworkRules()), len(rebuilt.FrameworkRules()))
		}
		x = derived
	}
	if _, ok := x.AuthorityByEntity("trade.example.sg"); ok {
		t.Error("a DNS domain the authority no longer holds still finds it")
	}
}
