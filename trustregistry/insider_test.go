package trustregistry_test

// Insider attacks on maker-checker beyond governance_test.go: each runs against a real
// registry on a bbolt file through its HTTP API and fails if the rule it names breaks.

import (
	"context"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
)

// A proposer stripped of the role a proposal needs no longer counts as its first person: the
// proposal is withdrawn, as a disabled proposer's is, instead of applying with one approval.
func TestAttackDemotedProposersProposalDoesNotApply(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	root := e.admin(t, "root")
	p, err := e.alice.Propose(ctx, demoseed.ChangeSet(demoDID, time.Now()), "seed", "")
	if err != nil {
		t.Fatal(err)
	}
	demote, err := e.auditor.ProposeGovernance(ctx, "alice moves to audit", trustregistry.SetAccountRolesOp("alice", []trustregistry.Role{trustregistry.RoleAuditor}))
	if err != nil {
		t.Fatal(err)
	}
	if ap, err := root.Approve(ctx, demote.ID, ""); err != nil || ap.Status != trustregistry.ProposalApplied {
		t.Fatalf("demotion: %+v %v", ap, err)
	}
	v := e.svc.Index().Version()
	if _, err := e.bob.Approve(ctx, p.ID, ""); !isCode(err, "proposal_closed") {
		t.Fatalf("approving a demoted proposer's proposal: %v", err)
	}
	if got, _ := e.bob.GetProposal(ctx, p.ID); got.Status != trustregistry.ProposalWithdrawn {
		t.Fatalf("the demoted proposer's proposal is %s", got.Status)
	}
	if e.svc.Index().Version() != v {
		t.Fatal("the demoted proposer's change applied")
	}

	// The same for governance: an admin demoted after proposing an account of its own.
	_, en := newToken(t)
	gp, err := root.ProposeGovernance(ctx, "a new approver", trustregistry.CreateAccountOp("sock", []trustregistry.Role{trustregistry.RoleApprover}, en))
	if err != nil {
		t.Fatal(err)
	}
	third := e.admin(t, "third")
	demote, err = e.auditor.ProposeGovernance(ctx, "root leaves the admins", trustregistry.SetAccountRolesOp("root", []trustregistry.Role{trustregistry.RoleAuditor}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := third.Approve(ctx, demote.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := third.Approve(ctx, gp.ID, ""); !isCode(err, "proposal_closed") {
		t.Fatalf("approving a demoted admin's governance proposal: %v", err)
	}
	if _, err := e.svc.Account(ctx, "sock"); err == nil {
		t.Fatal("the demoted admin's account was created")
	}
}
