package trustregistry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Proposals prove themselves like accounts: every write of a proposal (filing, an approval that
// does not reach the quorum, rejection, withdrawal, expiry, closing as stale, applying) is a
// lifecycle change of the audit chain (AuditRecord.Proposals) whose subject is the proposal id and whose After is the
// proposal's ledger entry: its status and the SHA-256 of the proposal record as the write left
// it (change set, proposer, approvals, decision; not the store's revision counter). The record
// and the proposal are written in one store transaction (Commit.Proposal), so a crash leaves
// both or neither. The integrity check compares every stored proposal with its last ledger
// entry: someone holding registry.db without the key secret can neither add an approval, nor
// swap a change set, nor bring back a rejected proposal, nor file one.
//
// Chains of older releases hold no lifecycle changes: every record written since carries
// ProposalsAudited, and the proposals are checked from the first such record on. The first
// start of a registry whose chain has none adopts the proposals it stores (OpAdoptProposal, one
// record): what an older release stored is taken as it stands then, as it was never covered.

// proposalEntry is a proposal's ledger entry: the After of a lifecycle change.
type proposalEntry struct {
	Status ProposalStatus `json:"status"`
	SHA256 string         `json:"sha256"`
}

// proposalWrite is the last ledger entry of a proposal in the chain and the record holding it.
type proposalWrite struct {
	proposalEntry
	seq uint64
}

// isProposalOp reports whether a governance change of kind op writes the proposal it names.
func isProposalOp(op OpKind) bool {
	switch op {
	case OpFileProposal, OpApproveProposal, OpRejectProposal, OpWithdrawProposal, OpExpireProposal,
		OpCloseStaleProposal, OpApplyProposal, OpAdoptProposal:
		return true
	}
	return false
}

// proposalDigest returns the hex SHA-256 of p's record without its store revision, in the
// form the store gives it back (the record is encoded, decoded and encoded again).
func proposalDigest(p *Proposal) (string, error) {
	q := *p
	q.Rev = 0
	b, err := json.Marshal(&q)
	if err != nil {
		return "", fmt.Errorf("encoding proposal %s: %w", p.ID, err)
	}
	var r Proposal
	if err := json.Unmarshal(b, &r); err != nil {
		return "", fmt.Errorf("decoding proposal %s: %w", p.ID, err)
	}
	if b, err = json.Marshal(&r); err != nil {
		return "", fmt.Errorf("encoding proposal %s: %w", p.ID, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// ledgerChange is the lifecycle change op writing p as it stands.
func ledgerChange(op OpKind, p *Proposal) (GovernanceChange, error) {
	d, err := proposalDigest(p)
	if err != nil {
		return GovernanceChange{}, err
	}
	after, err := json.Marshal(proposalEntry{Status: p.Status, SHA256: d})
	if err != nil {
		return GovernanceChange{}, err
	}
	return GovernanceChange{Op: op, Subject: p.ID, After: after}, nil
}

// replayProposals records the lifecycle changes of r in cs.
func (cs *chainState) replayProposals(r *AuditRecord) error {
	cs.proposalsAudited = cs.proposalsAudited || r.ProposalsAudited
	for _, g := range r.Proposals {
		if !isProposalOp(g.Op) {
			continue
		}
		var e proposalEntry
		if err := json.Unmarshal(g.After, &e); err != nil || e.SHA256 == "" {
			return &IntegrityError{Record: int(r.Seq), Reason: fmt.Sprintf("proposal/%s: its lifecycle entry is unreadable", g.Subject)}
		}
		cs.proposals[g.Subject] = proposalWrite{proposalEntry: e, seq: r.Seq}
	}
	return nil
}

// checkStoredProposals compares every stored proposal with its last lifecycle change in the
// chain and names the first that differs, or that the chain left pending and the store lost.
// Chains without ProposalsAudited records (older releases, not yet started since) are skipped.
func checkStoredProposals(ctx context.Context, st Store, cs *chainState) error {
	if !cs.proposalsAudited {
		return nil
	}
	ps, err := st.ListProposals(ctx, ProposalFilter{})
	if err != nil {
		return &IntegrityError{Reason: "listing the stored proposals: " + err.Error()}
	}
	stored := make(map[string]bool, len(ps))
	for _, p := range ps {
		stored[p.ID] = true
		w, ok := cs.proposals[p.ID]
		if !ok {
			return unwrittenErr("proposal/"+p.ID, "filed")
		}
		d, err := proposalDigest(p)
		if err != nil {
			return &IntegrityError{Object: "proposal/" + p.ID, Reason: err.Error()}
		}
		if d != w.SHA256 || p.Status != w.Status {
			return alteredErr("proposal/"+p.ID, fmt.Sprintf("proposal (%s)", p.Status), byRecord(w.seq), fmt.Sprintf("%s: approvals, change set or status altered", w.Status))
		}
	}
	for id, w := range cs.proposals {
		if w.Status == ProposalPending && !stored[id] {
			return &IntegrityError{Object: "proposal/" + id, Reason: fmt.Sprintf("left pending by audit record %d but missing from the store", w.seq)}
		}
	}
	return nil
}

// commitProposalLocked writes p (created when p.Rev is 0) with the audit record of its
// lifecycle change op, in one commit (commitRecordLocked).
func (s *Service) commitProposalLocked(ctx context.Context, p *Proposal, op OpKind, actor, reason string) error {
	if err := s.brokenErr(); err != nil {
		return err
	}
	ch, err := ledgerChange(op, p)
	if err != nil {
		return err
	}
	rec := AuditRecord{Proposer: actor, ProposedAt: p.CreatedAt, AppliedAt: s.now().UTC(), Reason: reason, Proposals: []GovernanceChange{ch}}
	if err := s.commitRecordLocked(ctx, &rec, p, nil); err != nil {
		return fmt.Errorf("recording %s of proposal %s: %w", op, p.ID, err)
	}
	s.publishLocked(ctx)
	return nil
}

// adoptProposalsLocked writes one record adopting every stored proposal as it stands, on the
// first start of a registry whose chain does not record the proposal lifecycle yet.
func (s *Service) adoptProposalsLocked(ctx context.Context) error {
	ps, err := s.store.ListProposals(ctx, ProposalFilter{})
	if err != nil || len(ps) == 0 {
		return err
	}
	var changes []GovernanceChange
	for _, p := range ps {
		ch, err := ledgerChange(OpAdoptProposal, p)
		if err != nil {
			return err
		}
		changes = append(changes, ch)
	}
	now := s.now().UTC()
	rec := AuditRecord{Proposer: "system", ProposedAt: now, AppliedAt: now,
		Reason: "proposals stored before the audit log recorded their lifecycle, adopted as they stand", Proposals: changes}
	if err := s.commitRecordLocked(ctx, &rec, nil, nil); err != nil {
		return fmt.Errorf("adopting the stored proposals: %w", err)
	}
	s.log.Warn("adopted the stored proposals into the audit log", "proposals", len(ps), "audit_seq", rec.Seq)
	return nil
}
