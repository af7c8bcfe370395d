package trustregistry_test

// A regulator who lost their only passkey (the console's second factor) cannot sign in to the
// console, and nobody may delete passkeys from registry.db offline: another admin proposes
// reset_account_passkeys and a quorum approves it. Each test is an attack on that two-person
// rule, against a real registry on a bbolt file and its admin HTTP API.

import (
	"context"
	"testing"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
)

// resetEnv is a registry whose account alice holds two passkeys.
func resetEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, nil)
	ctx := context.Background()
	for range 2 {
		if err := e.svc.AddPasskey(ctx, "alice", newPasskey(t)); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// An admin may not reset their own passkeys by proposal (one removes one's own passkeys in the
// console, signed in with one of them), and the account a reset targets may not approve it.
func TestAttackPasskeyResetSeparationOfDuties(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	root := e.admin(t, "root")
	for range 2 {
		if err := e.svc.AddPasskey(ctx, "root", newPasskey(t)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.ProposeGovernance(ctx, "lost my phone", trustregistry.ResetAccountPasskeysOp("root", "lost phone")); !isCode(err, "separation_of_duties") {
		t.Fatalf("proposing a reset of one's own passkeys: %v", err)
	}
	p, err := e.auditor.ProposeGovernance(ctx, "root lost the phone", trustregistry.ResetAccountPasskeysOp("root", "lost phone"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.Approve(ctx, p.ID, ""); !isCode(err, "separation_of_duties") {
		t.Fatalf("the target approving the reset of its passkeys: %v", err)
	}
	if _, err := root.Reject(ctx, p.ID, "no"); !isCode(err, "separation_of_duties") {
		t.Fatalf("the target rejecting the reset of its passkeys: %v", err)
	}
	if pks, err := e.svc.Passkeys(ctx, "root"); err != nil || len(pks) != 2 {
		t.Fatalf("root's passkeys: %d %v", len(pks), err)
	}
	got, err := e.auditor.GetProposal(ctx, p.ID)
	if err != nil || got.Status != trustregistry.ProposalPending {
		t.Fatalf("proposal after refused decisions: %+v %v", got, err)
	}
}

// Registry roles without admin cannot propose a passkey reset, nor approve one.
func TestAttackPasskeyResetNeedsAdmin(t *testing.T) {
	e := resetEnv(t)
	ctx := context.Background()
	if _, err := e.carol.ProposeGovernance(ctx, "alice lost her key", trustregistry.ResetAccountPasskeysOp("alice", "lost")); !isCode(err, "forbidden") {
		t.Fatalf("a proposer (not admin) proposing a passkey reset: %v", err)
	}
	p, err := e.auditor.ProposeGovernance(ctx, "alice lost her key", trustregistry.ResetAccountPasskeysOp("alice", "lost"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.bob.Approve(ctx, p.ID, ""); !isCode(err, "forbidden") {
		t.Fatalf("an approver (not admin) approving a passkey reset: %v", err)
	}
	if pks, _ := e.svc.Passkeys(ctx, "alice"); len(pks) != 2 {
		t.Fatalf("alice's passkeys: %d", len(pks))
	}
	// A reason is required, and the account must exist and hold passkeys.
	for _, op := range []trustregistry.Op{
		trustregistry.ResetAccountPasskeysOp("alice", ""),
		trustregistry.ResetAccountPasskeysOp("nobody", "lost"),
		trustregistry.ResetAccountPasskeysOp("bob", "lost"),
	} {
		if _, err := e.auditor.ProposeGovernance(ctx, "reset", op); err == nil {
			t.Fatalf("%+v proposed", op)
		}
	}
}

// Approved by a quorum, the reset removes every passkey of the account in one audited commit;
// the registry restarts and serves (its integrity check accepts the removal), and the account
// enrols a new passkey.
func TestPasskeyResetAppliesSurvivesRestartAndReenrols(t *testing.T) {
	e := resetEnv(t)
	ctx := context.Background()
	rex := e.admin(t, "rex")
	p, err := e.auditor.ProposeGovernance(ctx, "alice lost her security key", trustregistry.ResetAccountPasskeysOp("alice", "security key lost"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := rex.GetProposal(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.PasskeyResets) != 1 || d.PasskeyResets[0] != (trustregistry.PasskeyReset{Account: "alice", Removed: 2}) {
		t.Fatalf("pending detail: %+v", d.PasskeyResets)
	}
	if _, err := rex.Approve(ctx, p.ID, "confirmed by phone"); err != nil {
		t.Fatal(err)
	}
	if pks, err := e.svc.Passkeys(ctx, "alice"); err != nil || len(pks) != 0 {
		t.Fatalf("alice's passkeys after the reset: %d %v", len(pks), err)
	}
	d, err = rex.GetProposal(ctx, p.ID)
	if err != nil || d.Status != trustregistry.ProposalApplied {
		t.Fatalf("applied: %+v %v", d, err)
	}
	if len(d.PasskeyResets) != 1 || d.PasskeyResets[0].Removed != 2 {
		t.Fatalf("applied detail: %+v", d.PasskeyResets)
	}
	recs, err := e.auditor.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	if last.ProposalID != p.ID || len(last.Governance) == 0 || last.Governance[0].Op != trustregistry.OpResetAccountPasskeys || last.Governance[0].Subject != "alice" {
		t.Fatalf("audit record: %+v", last)
	}
	// Applying it again is refused: nothing to remove.
	if _, err := e.auditor.ProposeGovernance(ctx, "again", trustregistry.ResetAccountPasskeysOp("alice", "again")); !isCode(err, "status_transition") {
		t.Fatalf("a reset of an account without passkeys: %v", err)
	}

	e.srv.Close()
	e.svc.Close()
	svc, err := newService(trustregistry.Config{DataDir: e.dir, KeySecret: secret, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { svc.Close() }()
	if err := svc.Ready(); err != nil {
		t.Fatalf("restart after a passkey reset: %v", err)
	}
	if err := svc.AddPasskey(ctx, "alice", newPasskey(t)); err != nil {
		t.Fatalf("enrolling a new passkey: %v", err)
	}
	svc.Close()
	if svc, err = newService(trustregistry.Config{DataDir: e.dir, KeySecret: secret, Logger: quietLogger()}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Ready(); err != nil {
		t.Fatalf("restart after re-enrolment: %v", err)
	}
	if pks, err := svc.Passkeys(ctx, "alice"); err != nil || len(pks) != 1 {
		t.Fatalf("alice's passkeys after re-enrolment: %d %v", len(pks), err)
	}
}

// A disabled account's owner (a stolen session, a token not yet revoked) can neither add a
// passkey of their own nor remove one; and an owner cannot grow the account's passkeys beyond
// MaxPasskeys, each of them written to the audit log.
func TestAttackPasskeysOfADisabledOrFullAccount(t *testing.T) {
	e := resetEnv(t)
	ctx := context.Background()
	root := e.admin(t, "root")
	for range trustregistry.MaxPasskeys {
		if err := e.svc.AddPasskey(ctx, "carol", newPasskey(t)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.AddPasskey(ctx, "carol", newPasskey(t)); errs.CodeOf(err) != trustregistry.CodeValidationFailed {
		t.Fatalf("a passkey beyond MaxPasskeys: %v", err)
	}
	pks, err := e.svc.Passkeys(ctx, "alice")
	if err != nil || len(pks) != 2 {
		t.Fatalf("alice's passkeys: %d %v", len(pks), err)
	}
	disable, err := e.auditor.ProposeGovernance(ctx, "left", trustregistry.DisableAccountOp("alice", "left"))
	if err != nil {
		t.Fatal(err)
	}
	if ap, err := root.Approve(ctx, disable.ID, ""); err != nil || ap.Status != trustregistry.ProposalApplied {
		t.Fatalf("disable: %+v %v", ap, err)
	}
	if err := e.svc.AddPasskey(ctx, "alice", newPasskey(t)); errs.CodeOf(err) != trustregistry.CodeUnauthorized {
		t.Fatalf("a disabled account adding a passkey: %v", err)
	}
	if err := e.svc.RemovePasskey(ctx, "alice", pks[0].ID); errs.CodeOf(err) != trustregistry.CodeUnauthorized {
		t.Fatalf("a disabled account removing a passkey: %v", err)
	}
	if got, err := e.svc.Passkeys(ctx, "alice"); err != nil || len(got) != 2 {
		t.Fatalf("alice's passkeys once disabled: %d %v", len(got), err)
	}
}
