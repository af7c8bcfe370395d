package trustregistry_test

// Insider attacks on maker-checker beyond governance_test.go: each runs against a real
// registry on a bbolt file through its HTTP API and fails if the rule it names breaks.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/trustregistry/boltstore"
	bolt "go.etcd.io/bbolt"
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
	v := appliedCount(t, e.svc)
	if _, err := e.bob.Approve(ctx, p.ID, ""); !isCode(err, "proposal_closed") {
		t.Fatalf("approving a demoted proposer's proposal: %v", err)
	}
	if got, _ := e.bob.GetProposal(ctx, p.ID); got.Status != trustregistry.ProposalWithdrawn {
		t.Fatalf("the demoted proposer's proposal is %s", got.Status)
	}
	if appliedCount(t, e.svc) != v {
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

// An operator holding registry.db but not the key secret edits the accounts bucket: grants an
// account roles, or adds an account holding a token they made, without an audit record. The
// restarted registry refuses to serve, naming the account; once the file is put back as the
// registry left it, it serves again (accounts seeded in-process included).
func TestAttackAccountEditedInRegistryFileOffline(t *testing.T) {
	l := newLiveRegistry(t)
	r := seedAndSync(t, l)
	seq := r.Status().Sequence
	l.stop()
	original := editAccount(t, l.file(), "alice", func(a map[string]any) { a["roles"] = []string{"admin", "approver", "proposer"} })
	l.start(t)
	assertRefuses(t, l, r, seq, "account/alice")
	l.stop()
	if rep := offlineReport(t, l.file(), nil); rep.OK || rep.Object != "account/alice" {
		t.Fatalf("offline audit verify: %+v", rep)
	}
	putAccountRaw(t, l.file(), "alice", original)
	l.start(t)
	if err := l.svc.Ready(); err != nil {
		t.Fatalf("the file as the registry left it: %v", err)
	}

	// A whole account added behind the registry's back, with a token the operator made.
	l.stop()
	tok, en := newToken(t)
	editDB(t, l.file(), func(tx *bolt.Tx) error { return putAccount(tx, "mallory", en) })
	l.start(t)
	assertRefuses(t, l, r, seq, "account/mallory")
	p, err := l.alice.Propose(context.Background(), trustregistry.SuspendAuthority(demoseed.AuthorityID, "x", time.Now()), "x", "")
	if err == nil {
		_, err = adminclient.New(l.front.URL, tok).Approve(context.Background(), p.ID, "")
	}
	if !isCode(err, "state_integrity") {
		t.Fatalf("the forged account's approval: %v", err)
	}
}

// putAccount writes an approver account holding the token of en straight into the bbolt file,
// as an operator holding registry.db can.
func putAccount(tx *bolt.Tx, name string, en trustregistry.Enrolment) error {
	now := time.Now().UTC()
	raw, _ := json.Marshal(trustregistry.Account{Name: name, Roles: []trustregistry.Role{trustregistry.RoleApprover},
		CreatedAt: now, CreatedBy: "system", TokenHash: en.Fingerprint, TokenID: en.TokenID, TokenCreatedAt: now, TokenExpiresAt: now.Add(time.Hour)})
	if err := tx.Bucket(boltstore.BucketTokens).Put([]byte(en.Fingerprint), []byte(name)); err != nil {
		return err
	}
	return tx.Bucket(boltstore.BucketAccounts).Put([]byte(name), raw)
}

// The operator adds an account and lists it as seeded in-process, in a list signed with a key
// of their own: appended beside the registry's signed list, or in its place. The registry
// refuses to serve either way (only the registry key signs that list).
func TestAttackForgedSeededAccountsList(t *testing.T) {
	l := newLiveRegistry(t)
	r := seedAndSync(t, l)
	seq := r.Status().Sequence
	own, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	_, en := newToken(t)
	view, _ := json.Marshal(trustregistry.Account{Name: "mallory", Roles: []trustregistry.Role{trustregistry.RoleApprover}, TokenHash: en.Fingerprint}.View())
	payload, _ := json.Marshal(map[string]any{"accounts": map[string]json.RawMessage{"mallory": view}})
	forged, err := trustregistry.SignJWS(own, "idport-registry-seeded-accounts+jwt", payload)
	if err != nil {
		t.Fatal(err)
	}
	l.stop()
	var original []byte
	editDB(t, l.file(), func(tx *bolt.Tx) error {
		original = slices.Clone(tx.Bucket(boltstore.BucketSecrets).Get([]byte("seeded-accounts")))
		return nil
	})
	if len(original) == 0 {
		t.Fatal("no signed list of seeded accounts stored")
	}
	var genuine []string
	if err := json.Unmarshal(original, &genuine); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		list  []string
		where string
	}{
		{"appended", append(slices.Clone(genuine), string(forged)), "account/mallory"},
		{"replaced", []string{string(forged)}, "seeded accounts is not signed by the registry key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blob, _ := json.Marshal(tc.list)
			editDB(t, l.file(), func(tx *bolt.Tx) error {
				if err := putAccount(tx, "mallory", en); err != nil {
					return err
				}
				return tx.Bucket(boltstore.BucketSecrets).Put([]byte("seeded-accounts"), blob)
			})
			l.start(t)
			assertRefuses(t, l, r, seq, tc.where)
			l.stop()
		})
	}
}

// A scheme's assurance levels are ordered (lowest first): a proposal that only reorders them
// must show the reorder in its diff, not an empty one that an approver waves through.
func TestAttackReorderedAssuranceLevelsShowInTheDiff(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := demoseed.Seed(ctx, e.alice, e.bob, demoDID, time.Now()); err != nil {
		t.Fatal(err)
	}
	sc := *e.svc.Index().State().Schemes[demoseed.LocalScheme]
	sc.AssuranceLevels = slices.Clone(sc.AssuranceLevels)
	slices.Reverse(sc.AssuranceLevels)
	p, err := e.alice.Propose(ctx, trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpUpsertScheme, Scheme: &sc}}}, "tidy the levels", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.bob.GetProposal(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Changes) != 1 || d.Changes[0].Path != "assurance_levels" || d.Changes[0].Change != trustregistry.FieldChanged {
		t.Fatalf("the reorder is not in the diff: %+v", d.Changes)
	}
}

// An approval comment or a rejection reason is written to the proposal (and the comment to
// the audit record): like a proposal's reason, it is bounded, so that one approver cannot
// bloat every audit export with megabytes.
func TestAttackOversizedCommentIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	p, err := e.alice.Propose(ctx, demoseed.ChangeSet(demoDID, time.Now()), "seed", "")
	if err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("x", 1<<20)
	if _, err := e.bob.Approve(ctx, p.ID, huge); !isCode(err, "validation_failed") {
		t.Fatalf("a 1 MB approval comment: %v", err)
	}
	if _, err := e.bob.Reject(ctx, p.ID, huge); !isCode(err, "validation_failed") {
		t.Fatalf("a 1 MB rejection reason: %v", err)
	}
	if got, _ := e.bob.GetProposal(ctx, p.ID); got.Status != trustregistry.ProposalPending || len(got.Approvals) != 0 {
		t.Fatalf("the refused decisions changed the proposal: %+v", got.Proposal)
	}
	// Stale proposals can be listed by their status like the others.
	if _, err := e.bob.ListProposals(ctx, trustregistry.ProposalStale); err != nil {
		t.Fatalf("listing stale proposals: %v", err)
	}
}

// A token fingerprint belongs to one account: a creation or reset enrolling a fingerprint that
// another account holds (read from the audit log) is refused when proposed, not accepted and
// left to fail at approval.
func TestAttackEnrollingAnotherAccountsFingerprintIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	bobs, err := trustregistry.EnrolmentOf(e.bob.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.auditor.ProposeGovernance(ctx, "new staff", trustregistry.CreateAccountOp("twin", []trustregistry.Role{trustregistry.RoleApprover}, bobs)); !isCode(err, "already_exists") {
		t.Fatalf("creating an account with bob's fingerprint: %v", err)
	}
	if _, err := e.auditor.ProposeGovernance(ctx, "lost token", trustregistry.ResetAccountTokenOp("alice", bobs)); !isCode(err, "already_exists") {
		t.Fatalf("resetting alice's token to bob's: %v", err)
	}
	_, en := newToken(t)
	if _, err := e.auditor.ProposeGovernance(ctx, "two at once",
		trustregistry.CreateAccountOp("one", []trustregistry.Role{trustregistry.RoleApprover}, en),
		trustregistry.CreateAccountOp("two", []trustregistry.Role{trustregistry.RoleApprover}, en)); !isCode(err, "already_exists") {
		t.Fatalf("one fingerprint for two new accounts: %v", err)
	}
}

// The subject of a governance proposal cannot reject it: an approver (or whoever holds their
// stolen token) whose disabling or token revocation is proposed must not be able to close it,
// again and again. Rejecting needs the roles approving needs (admin for governance).
func TestAttackSubjectCannotRejectItsOwnDisabling(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	root := e.admin(t, "root")
	p, err := e.auditor.ProposeGovernance(ctx, "bob's token leaked", trustregistry.RevokeAccountTokenOp("bob", "leaked"), trustregistry.DisableAccountOp("bob", "leaked"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.bob.Reject(ctx, p.ID, "no"); !isCode(err, "forbidden") && !isCode(err, "separation_of_duties") {
		t.Fatalf("bob rejects his own disabling: %v", err)
	}
	if _, err := e.carol.Reject(ctx, p.ID, "no"); !isCode(err, "forbidden") {
		t.Fatalf("a non-admin approver rejects a governance proposal: %v", err)
	}
	bobAdmin := e.admin(t, "bob2")
	p2, err := e.auditor.ProposeGovernance(ctx, "bob2 leaves", trustregistry.DisableAccountOp("bob2", "left"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bobAdmin.Reject(ctx, p2.ID, "no"); !isCode(err, "separation_of_duties") {
		t.Fatalf("an admin rejects its own disabling: %v", err)
	}
	if ap, err := root.Approve(ctx, p.ID, ""); err != nil || ap.Status != trustregistry.ProposalApplied {
		t.Fatalf("the disabling: %+v %v", ap, err)
	}
	// The proposer still withdraws their own proposal, and other admins reject.
	if rp, err := e.auditor.Reject(ctx, p2.ID, "withdrawn"); err != nil || rp.Status != trustregistry.ProposalRejected {
		t.Fatalf("proposer withdraws: %+v %v", rp, err)
	}
}

// Approvers and the proposer race on one proposal: approvals by several accounts and the
// proposer's withdrawal at once. It applies at most once (one version, one audit record), and
// never after it was withdrawn.
func TestAttackRacingApprovalsAndWithdrawalOfOneProposal(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	var approvers []*adminclient.Client
	for _, n := range []string{"dave", "erin", "frank", "grace"} {
		_, tok, err := e.svc.CreateAccount(ctx, n, []trustregistry.Role{trustregistry.RoleApprover})
		if err != nil {
			t.Fatal(err)
		}
		approvers = append(approvers, adminclient.New(e.srv.URL, tok))
	}
	approvers = append(approvers, e.bob)
	for round := range 10 {
		p, err := e.alice.Propose(ctx, demoseed.ChangeSet(fmt.Sprintf("did:web:r%d.example.sg", round), time.Now()), "seed", "")
		if err != nil {
			t.Fatal(err)
		}
		v := appliedCount(t, e.svc)
		var applied, withdrawn atomic.Int32
		var wg sync.WaitGroup
		for _, c := range approvers {
			wg.Go(func() {
				ap, err := c.Approve(ctx, p.ID, "")
				switch {
				case err == nil && ap.Status == trustregistry.ProposalApplied:
					applied.Add(1)
				case err == nil, isCode(err, "proposal_closed"):
				default:
					t.Errorf("approve: %v", err)
				}
			})
		}
		wg.Go(func() {
			if _, err := e.alice.Reject(ctx, p.ID, "withdrawn"); err == nil {
				withdrawn.Add(1)
			} else if !isCode(err, "proposal_closed") {
				t.Errorf("withdraw: %v", err)
			}
		})
		wg.Wait()
		got, _ := e.bob.GetProposal(ctx, p.ID)
		if applied.Load()+withdrawn.Load() != 1 || (applied.Load() == 1) != (got.Status == trustregistry.ProposalApplied) ||
			appliedCount(t, e.svc) != v+int(applied.Load()) {
			t.Fatalf("round %d: applied %d, withdrawn %d, status %s, change sets applied %d (was %d)", round, applied.Load(), withdrawn.Load(), got.Status, appliedCount(t, e.svc), v)
		}
	}
	if rep, err := e.auditor.VerifyAudit(ctx); err != nil || !rep.OK {
		t.Fatalf("audit after the races: %+v %v", rep, err)
	}
}

// Roles do not stand in for each other: an admin without the approver role cannot approve a
// registry change, an approver cannot approve a governance change, and a proposal mixing both
// needs both roles of each account that counts.
func TestAttackApprovingWithARoleThatDoesNotAllowIt(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	p, err := e.alice.Propose(ctx, demoseed.ChangeSet(demoDID, time.Now()), "seed", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.auditor.Approve(ctx, p.ID, ""); !isCode(err, "forbidden") {
		t.Fatalf("an admin without the approver role approves a registry change: %v", err)
	}
	_, en := newToken(t)
	g, err := e.auditor.ProposeGovernance(ctx, "new staff", trustregistry.CreateAccountOp("dora", []trustregistry.Role{trustregistry.RoleApprover}, en))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.bob.Approve(ctx, g.ID, ""); !isCode(err, "forbidden") {
		t.Fatalf("an approver approves a governance change: %v", err)
	}
	// A mixed proposal: an admin who is no proposer cannot file it, and an approver who is
	// no admin cannot approve it.
	root := e.admin(t, "root", trustregistry.RoleProposer)
	mixed := demoseed.ChangeSet(demoDID, time.Now())
	mixed.Ops = append(mixed.Ops, trustregistry.SetPolicyOp(trustregistry.Policy{CoolingOff: "1h"}))
	if _, err := e.auditor.Propose(ctx, mixed, "both", ""); !isCode(err, "forbidden") {
		t.Fatalf("an admin without the proposer role files registry changes: %v", err)
	}
	mp, err := root.Propose(ctx, mixed, "both", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.carol.Approve(ctx, mp.ID, ""); !isCode(err, "forbidden") {
		t.Fatalf("an approver without admin approves a mixed proposal: %v", err)
	}
	if n := appliedCount(t, e.svc); n != 0 {
		t.Fatalf("something applied: %d change sets", n)
	}
}
