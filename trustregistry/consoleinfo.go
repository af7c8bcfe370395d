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

// SnapshotNextUpdate returns the next update announced by the latest signed snapshot (zero
// before the first): what the registry's published statements may not outlive.
func (s *Service) SnapshotNextUpdate() time.Time {
	if m := s.meta.Load(); m != nil {
		return m.nextUpdate
	}
	return time.Time{}
}

// Account returns the stored account called name (its token hash included: never show it).
func (s *Service) Account(ctx context.Context, name string) (Account, error) {
	return s.store.GetAccount(ctx, name)
}
