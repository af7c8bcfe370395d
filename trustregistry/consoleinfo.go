package trustregistry

import (
	"context"
	"time"
)

// Quorum returns the number of distinct accounts, proposer included, that must agree on a
// change.
func (s *Service) Quorum() int { return s.cfg.Quorum }

// SnapshotIssuedAt returns when the latest signed snapshot was issued (zero before the first).
func (s *Service) SnapshotIssuedAt() time.Time {
	if m := s.meta.Load(); m != nil {
		return m.issuedAt
	}
	return time.Time{}
}

// Account returns the stored account called name (its token hash included: never show it).
func (s *Service) Account(ctx context.Context, name string) (Account, error) {
	return s.store.GetAccount(ctx, name)
}
