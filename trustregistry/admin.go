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

	"github.com/idport/idport/pkg/errs"
)

func newProposalID(now time.Time) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "p-" + now.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}

// Propose records a change set for approval. It is validated against the current registry and
// accounts at once, so a proposal that could never apply is refused with its precise error.
// Registry operations need the proposer role, governance operations the admin role.
// ttl 0 means the configured default.
func (s *Service) Propose(ctx context.Context, actor Account, cs ChangeSet, reason string, ttl time.Duration) (*Proposal, error) {
	if len(cs.Ops) == 0 {
		return nil, verr(ErrInvalid, "ops", "a change set needs at least one operation")
	}
	if err := checkRoles(actor, cs, RoleProposer); err != nil {
		return nil, fmt.Errorf("proposing: %w", err)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, verr(ErrInvalid, "reason", "a reason is required")
	}
	if len(reason) > 4096 {
		return nil, verr(ErrInvalid, "reason", "reason longer than 4096 characters")
	}
	now := s.now().UTC()
	cur := s.idx.Load().State()
	if _, _, err := Apply(cur, cs, now); err != nil {
		return nil, err
	}
	if _, err := s.planGovernance(ctx, cs, now, actor.Name, nil); err != nil {
		return nil, err
	}
	if ttl <= 0 {
		ttl = s.cfg.ProposalTTL
	}
	p := &Proposal{ID: newProposalID(now), ChangeSet: cs, Reason: reason, Proposer: actor.Name,
		CreatedAt: now, ExpiresAt: now.Add(ttl), Status: ProposalPending, BaseVersion: cur.Version}
	if err := s.store.CreateProposal(ctx, p); err != nil {
		return nil, err
	}
	s.log.Info("proposal created", "proposal", p.ID, "proposer", actor.Name, "ops", len(p.ChangeSet.Ops))
	return p, nil
}

// GetProposal returns one proposal.
func (s *Service) GetProposal(ctx context.Context, id string) (*Proposal, error) {
	return s.store.GetProposal(ctx, id)
}

// ListProposals lists proposals.
func (s *Service) ListProposals(ctx context.Context, f ProposalFilter) ([]*Proposal, error) {
	return s.store.ListProposals(ctx, f)
}

// Approve records actor's approval. When the proposer and the distinct approvers that count
// (see countingApprovers) reach the quorum, the change set is applied atomically with its audit
// record, the index is swapped and a new snapshot is published before Approve returns. A
// proposal whose proposer was disabled is withdrawn instead.
func (s *Service) Approve(ctx context.Context, actor Account, id, comment string) (*Proposal, error) {
	if !actor.Has(RoleApprover) && !actor.Has(RoleAdmin) {
		return nil, errs.Errorf(CodeForbidden, "approving needs the approver role (or admin for governance operations): %w", ErrForbidden)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pendingLocked(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := checkRoles(actor, p.ChangeSet, RoleApprover); err != nil {
		return nil, fmt.Errorf("approving: %w", err)
	}
	if p.Proposer == actor.Name {
		return nil, errs.Errorf(CodeSelfApproval, "proposal %s: %w", id, ErrSelfApproval)
	}
	if slices.ContainsFunc(p.Approvals, func(a Approval) bool { return a.Account == actor.Name }) {
		return nil, errs.Errorf(CodeDuplicateApproval, "proposal %s: %s: %w", id, actor.Name, ErrDuplicateApproval)
	}
	now := s.now().UTC()
	proposer, err := s.store.GetAccount(ctx, p.Proposer)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err != nil || proposer.Disabled {
		if err := s.withdrawLocked(ctx, p, now, "proposer account disabled"); err != nil {
			return nil, err
		}
		return nil, errs.Errorf(CodeProposalClosed, "proposal %s is withdrawn: its proposer %q is disabled: %w", id, p.Proposer, ErrProposalClosed)
	}
	if err := s.checkApprover(p, proposer, actor, now); err != nil {
		return nil, err
	}
	p.Approvals = append(p.Approvals, Approval{Account: actor.Name, At: now, Comment: comment})
	approvers, err := s.countingApprovers(ctx, p, proposer, now)
	if err != nil {
		return nil, err
	}
	agree := len(approvers)
	if !slices.Contains(subjects(p.ChangeSet), p.Proposer) {
		agree++ // the proposer counts unless the change is to their own account
	}
	if agree < s.pol.Load().quorum {
		if err := s.store.UpdateProposal(ctx, p); err != nil {
			return nil, err
		}
		return p, nil
	}
	return p, s.applyLocked(ctx, p, actor.Name, approvers, now)
}

// applyLocked applies an approved proposal: registry changes and governance writes in one
// commit with their audit record, then the withdrawals of disabled accounts' proposals, the
// policy and the registry key rotation.
func (s *Service) applyLocked(ctx context.Context, p *Proposal, by string, approvers []string, now time.Time) error {
	cur := s.idx.Load().State()
	conflict := func(err error) error {
		cerr := errs.Wrap(CodeChangeConflict, fmt.Sprintf("proposal %s against version %d: %s: %s", p.ID, cur.Version, ErrChangeConflict.Message, err), err)
		if path := PathOf(err); path != "" {
			cerr = cerr.WithField(FieldPath, path)
		}
		return cerr
	}
	next, changes, err := Apply(cur, p.ChangeSet, now)
	if err != nil {
		return conflict(err)
	}
	plan, err := s.planGovernance(ctx, p.ChangeSet, now, p.Proposer, append([]string{p.Proposer}, approvers...))
	if err != nil {
		return conflict(err)
	}
	withdrawn, err := s.pendingOf(ctx, plan.disabled, p.ID)
	if err != nil {
		return err
	}
	for _, w := range withdrawn {
		plan.changes = append(plan.changes, GovernanceChange{Op: OpWithdrawProposal, Subject: w.ID})
	}
	p.Status, p.AppliedVersion, p.DecidedAt, p.DecidedBy = ProposalApplied, next.Version, &now, by
	rec, err := s.store.Apply(ctx, Commit{BaseVersion: cur.Version, RecordedAt: now, Changes: changes, Proposal: p, Accounts: plan.writes,
		Audit: AuditRecord{ProposalID: p.ID, Proposer: p.Proposer, Approvers: approvers, ProposedAt: p.CreatedAt, AppliedAt: now, Reason: p.Reason,
			Governance: plan.changes}})
	if err != nil {
		return err
	}
	if plan.policy != nil {
		s.pol.Store(plan.policy)
	}
	s.log.Info("change set applied", "proposal", p.ID, "version", next.Version, "audit_seq", rec.Seq, "approvers", approvers)
	for _, w := range withdrawn {
		if err := s.withdrawLocked(ctx, w, now, "proposer account disabled by "+p.ID); err != nil {
			s.log.Error("withdrawing proposal", "proposal", w.ID, "err", err)
		}
	}
	if !plan.rotate {
		s.publishLocked(ctx, next, now)
		return nil
	}
	s.idx.Store(NewIndex(next))
	s.asOfM.Lock()
	s.applied = append(s.applied, now)
	s.asOfM.Unlock()
	if err := s.rotateKeyLocked(ctx); err != nil {
		return fmt.Errorf("proposal %s applied, rotating the registry key: %w", p.ID, err)
	}
	return nil
}

// pendingLocked loads a proposal that is still pending, expiring it on the way if due.
func (s *Service) pendingLocked(ctx context.Context, id string) (*Proposal, error) {
	p, err := s.store.GetProposal(ctx, id)
	if err != nil {
		return nil, err
	}
	if p.Status != ProposalPending {
		return nil, errs.Errorf(CodeProposalClosed, "proposal %s is %s: %w", id, p.Status, ErrProposalClosed)
	}
	if now := s.now(); !now.Before(p.ExpiresAt) {
		p.Status, p.DecidedAt, p.DecidedBy = ProposalExpired, &now, "system"
		if err := s.store.UpdateProposal(ctx, p); err != nil {
			return nil, err
		}
		return nil, errs.Errorf(CodeProposalExpired, "proposal %s expired at %s: %w", id, p.ExpiresAt.Format(time.RFC3339), ErrProposalExpired)
	}
	return p, nil
}

// Reject closes a pending proposal. Approvers and admins may reject any proposal; a proposer
// may withdraw their own.
func (s *Service) Reject(ctx context.Context, actor Account, id, reason string) (*Proposal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pendingLocked(ctx, id)
	if err != nil {
		return nil, err
	}
	if !actor.Has(RoleApprover) && !actor.Has(RoleAdmin) && actor.Name != p.Proposer {
		return nil, errs.Errorf(CodeForbidden, "rejecting needs the approver or admin role (or withdrawing one's own proposal): %w", ErrForbidden)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, verr(ErrInvalid, "reason", "a reason is required")
	}
	now := s.now().UTC()
	p.Status, p.DecidedAt, p.DecidedBy, p.DecisionReason = ProposalRejected, &now, actor.Name, reason
	if err := s.store.UpdateProposal(ctx, p); err != nil {
		return nil, err
	}
	s.log.Info("proposal rejected", "proposal", id, "by", actor.Name)
	return p, nil
}

// ExpireProposals marks pending proposals past their expiry as expired.
func (s *Service) ExpireProposals(ctx context.Context) error {
	ps, err := s.store.ListProposals(ctx, ProposalFilter{Status: ProposalPending})
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
		if err != nil && !errors.Is(err, ErrProposalExpired) && !errors.Is(err, ErrProposalClosed) {
			return err
		}
		if errors.Is(err, ErrProposalExpired) {
			s.log.Info("proposal expired", "proposal", p.ID)
		}
	}
	return nil
}

// History returns the revisions of one object.
func (s *Service) History(ctx context.Context, kind Kind, id string) ([]Revision, error) {
	if !kind.Valid() {
		return nil, verr(ErrInvalid, "kind", "unknown kind %q", kind)
	}
	return s.store.History(ctx, kind, id)
}

// Audit returns audit records after a sequence number; auditors only.
func (s *Service) Audit(ctx context.Context, actor Account, after uint64, limit int) ([]AuditRecord, error) {
	if !actor.Has(RoleAuditor) {
		return nil, errs.Errorf(CodeForbidden, "reading the audit log needs the auditor role: %w", ErrForbidden)
	}
	return s.store.Audit(ctx, after, limit)
}

// VerifyAudit checks the whole audit chain; auditors only.
func (s *Service) VerifyAudit(ctx context.Context, actor Account) (AuditReport, error) {
	if !actor.Has(RoleAuditor) {
		return AuditReport{}, errs.Errorf(CodeForbidden, "verifying the audit log needs the auditor role: %w", ErrForbidden)
	}
	return verifyAudit(ctx, s.store)
}

func verifyAudit(ctx context.Context, st Store) (AuditReport, error) {
	n, last, err := VerifyStoreAudit(ctx, st)
	v, verr := st.Version(ctx)
	if verr != nil {
		return AuditReport{}, verr
	}
	r := AuditReport{OK: err == nil, Records: n, Version: v, LastHash: last}
	var ae *AuditError
	if errors.As(err, &ae) {
		r.BrokenAt, r.Error = ae.Record, ae.Error()
		return r, nil
	}
	return r, err
}

// GetIdempotency returns the stored answer of an idempotency key.
func (s *Service) GetIdempotency(ctx context.Context, key string) (IdempotencyRecord, error) {
	return s.store.GetIdempotency(ctx, key)
}

// FinishIdempotency stores the answer of a reserved idempotency key.
func (s *Service) FinishIdempotency(ctx context.Context, r IdempotencyRecord) error {
	return s.store.FinishIdempotency(ctx, r)
}

// DeleteIdempotency drops a reserved idempotency key.
func (s *Service) DeleteIdempotency(ctx context.Context, key string) error {
	return s.store.DeleteIdempotency(ctx, key)
}

// PutIdempotency stores (reserves) an idempotency key.
func (s *Service) PutIdempotency(ctx context.Context, r IdempotencyRecord) error {
	return s.store.PutIdempotency(ctx, r)
}
