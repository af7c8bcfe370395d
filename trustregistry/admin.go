package trustregistry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idport/idport/trustregistry/trust"
)

func newProposalID(now time.Time) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "p-" + now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}

// Propose records a change set for approval. It is validated against the current registry at
// once, so a proposal that could never apply is refused with its precise error.
// ttl 0 means the configured default.
func (s *Service) Propose(ctx context.Context, actor trust.Account, cs trust.ChangeSet, reason string, ttl time.Duration) (*trust.Proposal, error) {
	if !actor.Has(trust.RoleProposer) {
		return nil, fmt.Errorf("proposing needs the proposer role: %w", trust.ErrForbidden)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, &trust.ValidationError{Path: "reason", Reason: "a reason is required", Err: trust.ErrInvalid}
	}
	if len(reason) > 4096 {
		return nil, &trust.ValidationError{Path: "reason", Reason: "reason longer than 4096 characters", Err: trust.ErrInvalid}
	}
	now := s.now().UTC()
	cur := s.idx.Load().State()
	if _, _, err := trust.Apply(cur, cs, now); err != nil {
		return nil, err
	}
	if ttl <= 0 {
		ttl = s.cfg.ProposalTTL
	}
	p := &trust.Proposal{ID: newProposalID(now), ChangeSet: cs, Reason: reason, Proposer: actor.Name,
		CreatedAt: now, ExpiresAt: now.Add(ttl), Status: trust.ProposalPending, BaseVersion: cur.Version}
	if err := s.store.CreateProposal(ctx, p); err != nil {
		return nil, err
	}
	s.log.Info("proposal created", "proposal", p.ID, "proposer", actor.Name, "ops", len(p.ChangeSet.Ops))
	return p, nil
}

// GetProposal returns one proposal.
func (s *Service) GetProposal(ctx context.Context, id string) (*trust.Proposal, error) {
	return s.store.GetProposal(ctx, id)
}

// ListProposals lists proposals.
func (s *Service) ListProposals(ctx context.Context, f trust.ProposalFilter) ([]*trust.Proposal, error) {
	return s.store.ListProposals(ctx, f)
}

// Approve records actor's approval. When the proposer and the distinct approvers reach the
// quorum, the change set is applied atomically with its audit record, the index is swapped and
// a new snapshot is published before Approve returns.
func (s *Service) Approve(ctx context.Context, actor trust.Account, id, comment string) (*trust.Proposal, error) {
	if !actor.Has(trust.RoleApprover) {
		return nil, fmt.Errorf("approving needs the approver role: %w", trust.ErrForbidden)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pendingLocked(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Proposer == actor.Name {
		return nil, fmt.Errorf("proposal %s: %w", id, trust.ErrSelfApproval)
	}
	if slices.ContainsFunc(p.Approvals, func(a trust.Approval) bool { return a.Account == actor.Name }) {
		return nil, fmt.Errorf("proposal %s: %s: %w", id, actor.Name, trust.ErrDuplicateApproval)
	}
	now := s.now().UTC()
	p.Approvals = append(p.Approvals, trust.Approval{Account: actor.Name, At: now, Comment: comment})
	if 1+len(p.Approvals) < s.cfg.Quorum {
		if err := s.store.UpdateProposal(ctx, p); err != nil {
			return nil, err
		}
		return p, nil
	}
	cur := s.idx.Load().State()
	next, changes, err := trust.Apply(cur, p.ChangeSet, now)
	if err != nil {
		return nil, fmt.Errorf("proposal %s against version %d: %w: %w", id, cur.Version, trust.ErrChangeConflict, err)
	}
	p.Status, p.AppliedVersion, p.DecidedAt, p.DecidedBy = trust.ProposalApplied, next.Version, &now, actor.Name
	approvers := make([]string, 0, len(p.Approvals))
	for _, a := range p.Approvals {
		approvers = append(approvers, a.Account)
	}
	rec, err := s.store.Apply(ctx, trust.Commit{BaseVersion: cur.Version, RecordedAt: now, Changes: changes, Proposal: p,
		Audit: trust.AuditRecord{ProposalID: p.ID, Proposer: p.Proposer, Approvers: approvers, ProposedAt: p.CreatedAt, AppliedAt: now, Reason: p.Reason}})
	if err != nil {
		return nil, err
	}
	s.idx.Store(trust.NewIndex(next))
	s.asOfM.Lock()
	s.applied = append(s.applied, now)
	s.asOfM.Unlock()
	s.log.Info("change set applied", "proposal", p.ID, "version", next.Version, "audit_seq", rec.Seq, "approvers", approvers)
	if _, err := s.issueLocked(ctx, nil); err != nil {
		s.log.Error("publishing snapshot after apply", "err", err)
	}
	return p, nil
}

// pendingLocked loads a proposal that is still pending, expiring it on the way if due.
func (s *Service) pendingLocked(ctx context.Context, id string) (*trust.Proposal, error) {
	p, err := s.store.GetProposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Status != trust.ProposalPending {
		return nil, fmt.Errorf("proposal %s is %s: %w", id, p.Status, trust.ErrProposalClosed)
	}
	if now := s.now(); !now.Before(p.ExpiresAt) {
		p.Status, p.DecidedAt, p.DecidedBy = trust.ProposalExpired, &now, "system"
		if err := s.store.UpdateProposal(ctx, p); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("proposal %s expired at %s: %w", id, p.ExpiresAt.Format(time.RFC3339), trust.ErrProposalExpired)
	}
	return p, nil
}

// Reject closes a pending proposal. Approvers may reject any proposal; a proposer may withdraw
// their own.
func (s *Service) Reject(ctx context.Context, actor trust.Account, id, reason string) (*trust.Proposal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pendingLocked(ctx, id)
	if err != nil {
		return nil, err
	}
	if !actor.Has(trust.RoleApprover) && !(actor.Has(trust.RoleProposer) && actor.Name == p.Proposer) {
		return nil, fmt.Errorf("rejecting needs the approver role (or withdrawing one's own proposal): %w", trust.ErrForbidden)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, &trust.ValidationError{Path: "reason", Reason: "a reason is required", Err: trust.ErrInvalid}
	}
	now := s.now().UTC()
	p.Status, p.DecidedAt, p.DecidedBy, p.DecisionReason = trust.ProposalRejected, &now, actor.Name, reason
	if err := s.store.UpdateProposal(ctx, p); err != nil {
		return nil, err
	}
	s.log.Info("proposal rejected", "proposal", id, "by", actor.Name)
	return p, nil
}

// ExpireProposals marks pending proposals past their expiry as expired.
func (s *Service) ExpireProposals(ctx context.Context) error {
	ps, err := s.store.ListProposals(ctx, trust.ProposalFilter{Status: trust.ProposalPending})
	if err != nil {
		return err
	}
	now := s.now()
	for _, p := range ps {
		if now.Before(p.ExpiresAt) {
			continue
		}
		s.mu.Lock()
		_, err := s.pendingLocked(ctx, p.ID)
		s.mu.Unlock()
		if err != nil && !errors.Is(err, trust.ErrProposalExpired) && !errors.Is(err, trust.ErrProposalClosed) {
			return err
		}
		if errors.Is(err, trust.ErrProposalExpired) {
			s.log.Info("proposal expired", "proposal", p.ID)
		}
	}
	return nil
}

// History returns the revisions of one object.
func (s *Service) History(ctx context.Context, kind trust.Kind, id string) ([]trust.Revision, error) {
	if !kind.Valid() {
		return nil, &trust.ValidationError{Path: "kind", Reason: fmt.Sprintf("unknown kind %q", kind), Err: trust.ErrInvalid}
	}
	return s.store.History(ctx, kind, id)
}

// Audit returns audit records after a sequence number; auditors only.
func (s *Service) Audit(ctx context.Context, actor trust.Account, after uint64, limit int) ([]trust.AuditRecord, error) {
	if !actor.Has(trust.RoleAuditor) {
		return nil, fmt.Errorf("reading the audit log needs the auditor role: %w", trust.ErrForbidden)
	}
	return s.store.Audit(ctx, after, limit)
}

// VerifyAudit checks the whole audit chain; auditors only.
func (s *Service) VerifyAudit(ctx context.Context, actor trust.Account) (trust.AuditReport, error) {
	if !actor.Has(trust.RoleAuditor) {
		return trust.AuditReport{}, fmt.Errorf("verifying the audit log needs the auditor role: %w", trust.ErrForbidden)
	}
	return verifyAudit(ctx, s.store)
}

func verifyAudit(ctx context.Context, st trust.Store) (trust.AuditReport, error) {
	n, last, err := trust.VerifyStoreAudit(ctx, st)
	v, verr := st.Version(ctx)
	if verr != nil {
		return trust.AuditReport{}, verr
	}
	r := trust.AuditReport{OK: err == nil, Records: n, Version: v, LastHash: last}
	var ae *trust.AuditError
	if errors.As(err, &ae) {
		r.BrokenAt, r.Error = ae.Record, ae.Error()
		return r, nil
	}
	return r, err
}

// GetIdempotency returns the stored answer of an idempotency key.
func (s *Service) GetIdempotency(ctx context.Context, key string) (trust.IdempotencyRecord, error) {
	return s.store.GetIdempotency(ctx, key)
}

// FinishIdempotency stores the answer of a reserved idempotency key.
func (s *Service) FinishIdempotency(ctx context.Context, r trust.IdempotencyRecord) error {
	return s.store.FinishIdempotency(ctx, r)
}

// DeleteIdempotency drops a reserved idempotency key.
func (s *Service) DeleteIdempotency(ctx context.Context, key string) error {
	return s.store.DeleteIdempotency(ctx, key)
}

// PutIdempotency stores (reserves) an idempotency key.
func (s *Service) PutIdempotency(ctx context.Context, r trust.IdempotencyRecord) error {
	return s.store.PutIdempotency(ctx, r)
}
