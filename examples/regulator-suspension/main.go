// Command regulator-suspension tells story 3 of idport: regulators act on a leaked key.
// dora proposes suspending a Singapore authority BACK-DATED to the moment its key leaked;
// although she holds the approver role too, she cannot approve her own proposal
// (maker-checker); bob approves. The Lingang verifier sees the new
// signed snapshot within moments and rejects a credential issued after the back-dated time,
// even under a lenient "valid when issued" policy. The registry still answers what it knew
// before (bitemporal history: "recognised at T, as known at version V"), and carol, the
// auditor, checks the hash-chained audit log of who proposed, who approved, when and why.
//
//	go run ./examples/regulator-suspension
package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/verifier"
)

func main() { stack.Main(run) }

func run(ctx context.Context, w io.Writer) error {
	t := &stack.Teller{W: w}
	t.Step("A Singapore authority is recognised in Lingang; a company holds its credential")
	s, reg, sg, before, err := stack.NewDemoWorld(ctx, time.Now().Add(-2*time.Hour))
	if err != nil {
		return err
	}
	defer s.Close()
	// A lenient verifier: it accepts credentials of a suspended authority that were issued
	// before the suspension took effect. A back-dated suspension moves that point back.
	v, err := s.StartVerifier(ctx, "lingang-verifier", reg, verifier.Policy{LocalScheme: demoseed.LocalScheme, AcceptValidWhenIssued: true}, 0)
	if err != nil {
		return err
	}
	cred, _, err := sg.Issue(ctx, demoseed.Type, "vc+jwt", map[string]any{"uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
		"registeredAddress": "1 Marina Boulevard", "incorporationDate": "2019-04-02", "entityType": "Private Company"}, nil)
	if err != nil {
		return err
	}
	issuedAt := time.Now().UTC()
	res, status, err := v.VerifyCredential(ctx, cred)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return stack.Unexpectedf("want the fresh credential verified, got HTTP %d %s", status, stack.Summary(res))
	}
	t.Say("registry version %d; credential issued %s; verifier (policy: accept valid-when-issued) -> HTTP 200", before, issuedAt.Format(time.RFC3339))

	t.Step("The authority's signing key turns out to have leaked 30 minutes BEFORE that issuance")
	// dora holds both regulator roles: maker-checker still needs a second person.
	_, doraToken, err := reg.Service.CreateAccount(ctx, nil, "dora", []trustregistry.Role{trustregistry.RoleProposer, trustregistry.RoleApprover})
	if err != nil {
		return err
	}
	dora := adminclient.New(reg.URL, doraToken)
	leakedAt := issuedAt.Add(-30 * time.Minute).Truncate(time.Second)
	p, err := dora.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "signing key leaked", leakedAt),
		"Suspend from the time the key leaked (incident SG-2026-17)", "")
	if err != nil {
		return err
	}
	t.Say("dora (proposer and approver) proposed %s: suspend %s effective %s (back-dated)", p.ID, demoseed.AuthorityID, leakedAt.Format(time.RFC3339))
	_, err = dora.Approve(ctx, p.ID, "approving my own change")
	var prob *adminclient.Problem
	if !errors.As(err, &prob) || prob.Code != "self_approval" {
		return stack.Unexpectedf("want dora's own approval refused with self_approval, got %v", err)
	}
	t.Outcome("maker-checker: dora cannot approve her own proposal (HTTP %d %s)", prob.Status, prob.Code)
	approvedAt := time.Now()
	p, err = reg.Bob.Approve(ctx, p.ID, "confirmed with the Singapore registrar")
	if err != nil {
		return err
	}
	t.Say("bob approved: applied atomically as registry version %d", p.AppliedVersion)

	t.Step("The verifier follows the signed snapshots and rejects the credential")
	err = stack.Eventually(ctx, func() (bool, error) {
		res, status, err = v.VerifyCredential(ctx, cred)
		return err == nil && stack.HasError(res, string(verifier.CodeAuthoritySuspended)), err
	})
	if err != nil {
		return err
	}
	if status != http.StatusBadRequest {
		return stack.Unexpectedf("want HTTP 400, got %d", status)
	}
	t.Say("seen %.2fs after approval: %s", time.Since(approvedAt).Seconds(), res.Errors[0].Detail)
	t.Outcome("rejected: HTTP 400 authority_suspended; issued %s, after the back-dated suspension of %s",
		issuedAt.Format(time.RFC3339), leakedAt.Format(time.RFC3339))

	t.Step("What did the registry say about the issuance time, as known then and as known now?")
	for _, asOf := range []uint64{before, p.AppliedVersion} {
		ans, err := authorization(ctx, reg.URL, sg.DID, issuedAt, asOf)
		if err != nil {
			return err
		}
		t.Say("POST /authorization {time: %s, as_of_version: %d} -> authorized=%v (%s)", issuedAt.Format(time.RFC3339), asOf, *ans.Authorized, ans.Message)
		if *ans.Authorized != (asOf == before) {
			return stack.Unexpectedf("as of version %d: authorized=%v", asOf, *ans.Authorized)
		}
		t.Outcome("as known at version %d: authorized=%v code=%s", asOf, *ans.Authorized, ans.Grounds.Code)
	}
	hist, err := reg.Carol.History(ctx, trustregistry.KindAuthority, demoseed.AuthorityID)
	if err != nil {
		return err
	}
	t.Say("the authority has %d revisions; its status timeline (valid time / recorded time):", len(hist))
	last, err := authorityAt(hist, len(hist)-1)
	if err != nil {
		return err
	}
	for _, sc := range last.Statuses {
		t.Say("  %-9s effective %s, recorded %s (version %d) %s", sc.Status, sc.EffectiveAt.Format(time.RFC3339),
			sc.RecordedAt.Format(time.RFC3339), sc.Version, sc.Reason)
	}

	t.Step("carol, the auditor, reads and checks the audit log")
	recs, err := reg.Carol.Audit(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		t.Say("record %d: version %d, proposed by %s, approved by %v at %s: %q (hash %.12s, prev %.12s)",
			r.Seq, r.Version, r.Proposer, r.Approvers, r.AppliedAt.Format(time.RFC3339), r.Reason, r.Hash, r.PrevHash)
	}
	rep, err := reg.Carol.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if !rep.OK || rep.Records != len(recs) {
		return stack.Unexpectedf("audit chain: %+v", rep)
	}
	t.Outcome("audit chain intact: %d records, last hash %.16s", rep.Records, rep.LastHash)
	return nil
}
