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

// maxReason bounds a proposal's reason, an approval's comment and a rejection's reason: they
// are stored with the proposal and written to the audit record.
const maxReason = 4096

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
	if len(reason) > maxReason {
		return nil, verr(ErrInvalid, "reason", "reason longer than %d characters", maxReason)
	}
	if err := s.brokenErr(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	s.mu.Lock()
	cur, base := s.idx.Load().State(), s.objRev.of(cs)
	s.mu.Unlock()
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
		CreatedAt: now, ExpiresAt: now.Add(ttl), Status: ProposalPending, BaseVersion: cur.Version, BaseRevisions: base}
	s.mu.Lock()
	err := s.commitProposalLocked(ctx, p, OpFileProposal, actor.Name, reason)
	s.mu.Unlock()
	if err != nil {
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
// proposal whose proposer was disabled, or no longer holds the role it needs, is withdrawn
// instead.
func (s *Service) Approve(ctx context.Context, actor Account, id, comment string) (*Proposal, error) {
	if !actor.Has(RoleApprover) && !actor.Has(RoleAdmin) {
		return nil, errs.Errorf(CodeForbidden, "approving needs the approver role (or admin for governance operations): %w", ErrForbidden)
	}
	if len(comment) > maxReason {
		return nil, verr(ErrInvalid, "comment", "comment longer than %d characters", maxReason)
	}
	if err := s.brokenErr(); err != nil {
		return nil, err
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
	if err := s.closeIfStaleLocked(ctx, p); err != nil {
		return nil, err
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
	if checkRoles(proposer, p.ChangeSet, RoleProposer) != nil {
		// The proposer counts towards the quorum: one who lost the role the change set needs
		// would otherwise let a single approver apply it.
		if err := s.withdrawLocked(ctx, p, now, "proposer no longer holds the role the change set needs"); err != nil {
			return nil, err
		}
		return nil, errs.Errorf(CodeProposalClosed, "proposal %s is withdrawn: its proposer %q no longer holds the role it needs: %w", id, p.Proposer, ErrProposalClosed)
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
		if err := s.commitProposalLocked(ctx, p, OpApproveProposal, actor.Name, comment); err != nil {
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
	next, changes, err := s.idx.Load().Apply(p.ChangeSet, now)
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
	p.Status, p.AppliedVersion, p.DecidedAt, p.DecidedBy = ProposalApplied, next.Version, &now, by
	ch, err := ledgerChange(OpApplyProposal, p)
	if err != nil {
		return err
	}
	lifecycle := []GovernanceChange{ch}
	for _, w := range withdrawn {
		plan.changes = append(plan.changes, GovernanceChange{Op: OpWithdrawProposal, Subject: w.ID})
		w.Status, w.DecidedAt, w.DecidedBy, w.DecisionReason = ProposalWithdrawn, &now, "system", "proposer account disabled by "+p.ID
		ch, err := ledgerChange(OpWithdrawProposal, w)
		if err != nil {
			return err
		}
		lifecycle = append(lifecycle, ch)
	}
	rec := AuditRecord{ProposalID: p.ID, Proposer: p.Proposer, Approvers: approvers, ProposedAt: p.CreatedAt, AppliedAt: now,
		Reason: p.Reason, Governance: plan.changes, Proposals: lifecycle, Approvals: countedApprovals(p.Approvals, approvers)}
	if err := s.commitLocked(ctx, cur, next, changes, &rec, p, plan.writes, withdrawn); err != nil {
		return err
	}
	if plan.policy != nil {
		s.pol.Store(plan.policy)
	}
	s.log.Info("change set applied", "proposal", p.ID, "version", next.Version, "audit_seq", rec.Seq, "approvers", approvers)
	for _, w := range withdrawn {
		s.log.Info("proposal withdrawn", "proposal", w.ID, "reason", w.DecisionReason)
	}
	if plan.rotate {
		// The record is signed under the old key; the rotation then stores the new key, announces
		// it under the old one, re-signs this record's checkpoint and publishes under the new key.
		if err := s.rotateKeyLocked(ctx); err != nil {
			return fmt.Errorf("proposal %s applied, rotating the registry key: %w", p.ID, err)
		}
		return nil
	}
	s.publishLocked(ctx)
	return nil
}

// countedApprovals returns the approvals (with their comments) of the accounts that counted
// towards the quorum.
func countedApprovals(all []Approval, counted []string) []Approval {
	var out []Approval
	for _, a := range all {
		if slices.Contains(counted, a.Account) {
			out = append(out, a)
		}
	}
	return out
}

// commitLocked is the one commit path: it writes a computed change (cur -> next, with the
// account writes of governance operations) with its audit record. The record commits to the
// digest of the state it leaves (unchanged by a governance-only commit, which still moves the
// version) and carries the checkpoint of itself signed with the registry key, all written in
// the same store transaction. On success next is the current state, its index derived from
// the previous one (Index.Next), and its signed delta published to long-polling replicas.
func (s *Service) commitLocked(ctx context.Context, cur, next *State, changes []Change, rec *AuditRecord, p *Proposal, accounts []AccountWrite, closed []*Proposal) error {
	base := s.sum
	s.digest.Update(changes)
	digest := s.digest.Sum()
	rec.Version, rec.Diff, rec.StateDigest, rec.ProposalsAudited = next.Version, changes, digest, true
	var prev *AuditRecord
	if s.chain.seq > 0 {
		prev = &AuditRecord{Seq: s.chain.seq, Hash: s.chain.hash}
	}
	if err := Chain(prev, rec); err != nil {
		s.digest.revert(changes)
		return err
	}
	ck := Checkpoint{Issuer: s.cfg.Issuer, Seq: rec.Seq, RecordHash: rec.Hash, StateDigest: digest, Version: next.Version, IssuedAt: rec.AppliedAt}
	jws, err := SignCheckpoint(s.key.Load(), ck)
	if err != nil {
		s.digest.revert(changes)
		return err
	}
	rec.Checkpoint = string(jws)
	got, err := s.store.Apply(ctx, Commit{BaseVersion: cur.Version, RecordedAt: rec.AppliedAt, Changes: changes, Proposal: p, Audit: *rec, Accounts: accounts, Closed: closed})
	if err != nil {
		s.digest.revert(changes)
		return err
	}
	if got.Hash != rec.Hash {
		// The store chained the record after another head than this registry's: someone else
		// writes this store. Stop serving rather than sign what it holds.
		e := integrityErr(&IntegrityError{Record: int(got.Seq), Reason: "the store chained this record after a head the registry did not write"})
		s.broken.Store(&e)
		return e
	}
	s.idx.Store(s.idx.Load().Next(next, changes))
	s.sum = digest
	s.chain, s.ckBody = chainHead{seq: rec.Seq, hash: rec.Hash}, ck
	s.ckpt.Store(&jws)
	for _, ch := range changes {
		s.objRev[objectKey(ch.Kind, ch.ID)] = next.Version
	}
	s.asOfM.Lock()
	s.applied = append(s.applied, rec.AppliedAt)
	s.asOfM.Unlock()
	if appliedHook != nil && p != nil && p.Status == ProposalApplied { // not a lifecycle step
		appliedHook()
	}
	s.publishDeltaLocked(cur.Version, base, next, changes, ck, jws)
	return nil
}

// closeIfStaleLocked closes p as stale, and says why, when an object it touches changed after
// it was proposed.
func (s *Service) closeIfStaleLocked(ctx context.Context, p *Proposal) error {
	why := s.objRev.staleReason(p, s.idx.Load().Version())
	if why == "" {
		return nil
	}
	now := s.now().UTC()
	p.Status, p.DecidedAt, p.DecidedBy, p.DecisionReason = ProposalStale, &now, "system", why
	if err := s.commitProposalLocked(ctx, p, OpCloseStaleProposal, "system", why); err != nil {
		return err
	}
	s.log.Info("proposal closed as stale", "proposal", p.ID, "why", why)
	return errs.Errorf(CodeProposalStale, "proposal %s: %s; propose again against the current registry: %w", p.ID, why, ErrProposalStale)
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
		if err := s.commitProposalLocked(ctx, p, OpExpireProposal, "system", "expired"); err != nil {
			return nil, err
		}
		return nil, errs.Errorf(CodeProposalExpired, "proposal %s expired at %s: %w", id, p.ExpiresAt.Format(time.RFC3339), ErrProposalExpired)
	}
	return p, nil
}

// Reject closes a pending proposal. Whoever may approve it may reject it (the approver role
// for registry changes, admin for governance operations), except the account it changes; a
// proposer may withdraw their own.
func (s *Service) Reject(ctx context.Context, actor Account, id, reason string) (*Proposal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.pendingLocked(ctx, id)
	if err != nil {
		return nil, err
	}
	if actor.Name != p.Proposer {
		if err := checkRoles(actor, p.ChangeSet, RoleApprover); err != nil {
			return nil, fmt.Errorf("rejecting (it needs the roles approving needs, or withdrawing one's own proposal): %w", err)
		}
		if slices.Contains(subjects(p.ChangeSet), actor.Name) {
			return nil, errs.Errorf(CodeSeparationOfDuties, "proposal %s changes account %q: its owner may not reject it: %w", p.ID, actor.Name, ErrSeparationOfDuties)
		}
	}
	if strings.TrimSpace(reason) == "" {
		return nil, verr(ErrInvalid, "reason", "a reason is required")
	}
	if len(reason) > maxReason {
		return nil, verr(ErrInvalid, "reason", "reason longer than %d characters", maxReason)
	}
	now := s.now().UTC()
	p.Status, p.DecidedAt, p.DecidedBy, p.DecisionReason = ProposalRejected, &now, actor.Name, reason
	if err := s.commitProposalLocked(ctx, p, OpRejectProposal, actor.Name, reason); err != nil {
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
	// Hold off applies so that chain, state and checkpoint are read at one head.
	s.mu.Lock()
	defer s.mu.Unlock()
	return CheckIntegrity(ctx, s.store, s.key.Load().Public)
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

// revisions maps an object key to the registry version that last changed it.
type revisions map[string]uint64

// of returns the revisions of the objects cs touches (operations without their object are
// skipped: Apply refuses them).
func (r revisions) of(cs ChangeSet) []ObjectRevision {
	seen := map[string]bool{}
	var out []ObjectRevision
	for i := range cs.Ops {
		op := &cs.Ops[i]
		if !opHasTarget(op) {
			continue
		}
		k, id := op.target()
		if key := objectKey(k, id); !seen[key] {
			seen[key] = true
			out = append(out, ObjectRevision{Kind: k, ID: id, Revision: r[key]})
		}
	}
	return out
}

// staleReason says which object p touches changed after p was proposed, or "". A proposal
// of registry operations without revisions (made before revisions were recorded) is stale once
// the registry moved; governance operations touch no registry object: planGovernance checks
// them against the accounts and policy at apply time.
func (r revisions) staleReason(p *Proposal, head uint64) string {
	if len(p.BaseRevisions) == 0 && hasOps(p.ChangeSet, false) {
		if p.BaseVersion != head {
			return fmt.Sprintf("proposed against version %d without object revisions; the registry is at version %d", p.BaseVersion, head)
		}
		return ""
	}
	for _, b := range p.BaseRevisions {
		if now := r[objectKey(b.Kind, b.ID)]; now != b.Revision {
			return fmt.Sprintf("%s %q changed in version %d after the proposal read it at revision %d", b.Kind, b.ID, now, b.Revision)
		}
	}
	return ""
}

// opHasTarget reports whether op carries the object or id its target names.
func opHasTarget(op *Op) bool {
	switch op.Op {
	case OpUpsertJurisdiction:
		return op.Jurisdiction != nil
	case OpUpsertScheme:
		return op.Scheme != nil
	case OpUpsertAuthority:
		return op.Authority != nil
	case OpUpsertAgreement:
		return op.Agreement != nil
	case OpUpsertRecognition:
		return op.Recognition != nil
	case OpSetAuthorityStatus, OpSetRecognitionStatus:
		return true
	}
	return false
}
