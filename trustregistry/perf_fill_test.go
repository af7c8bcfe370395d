package trustregistry_test

import (
	"context"
	"encoding/json"
	"os"
	"time"

	"github.com/idport/idport/trustregistry"
)

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "idport-bench-") }

// fillHistory writes n applied change sets straight into st: each renames one jurisdiction.
func fillHistory(ctx context.Context, st trustregistry.Store, n int) error {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var before json.RawMessage
	for i := 0; i < n; i++ {
		after, _ := json.Marshal(trustregistry.Jurisdiction{Code: "XX", Name: "Jurisdiction " + string(rune('A'+i%2))})
		at := t0.Add(time.Duration(i) * time.Second)
		if _, err := st.Apply(ctx, trustregistry.Commit{BaseVersion: uint64(i), RecordedAt: at,
			Changes: []trustregistry.Change{{Kind: trustregistry.KindJurisdiction, ID: "XX", Before: before, After: after}},
			Audit:   trustregistry.AuditRecord{ProposalID: "p", Proposer: "alice", Approvers: []string{"bob"}, AppliedAt: at, Reason: "bench"}}); err != nil {
			return err
		}
		before = after
	}
	return nil
}
