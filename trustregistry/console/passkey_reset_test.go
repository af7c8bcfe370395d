package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/console"
)

// signInWithNewPasskey signs b in with token on a console that requires a passkey, enrolling
// a fresh one (the account has none).
func signInWithNewPasskey(t *testing.T, b *browser, base, token string) {
	t.Helper()
	_, page := b.get("/console/signin")
	res, _ := b.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {token}, "next": {"/console/"}}, base)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/console/passkey") {
		t.Fatalf("sign-in without a passkey: %d %s", res.StatusCode, loc)
	}
	if _, page := b.get("/console/passkey"); !strings.Contains(page, `id="passkey-register"`) {
		t.Fatal("the passkey page does not offer enrolment")
	}
	k := newAuthenticator(t)
	if st := b.ceremony("register", func(o []byte) []byte { return k.register(t, o, base) }); st != http.StatusOK {
		t.Fatalf("enrolling a passkey: %d", st)
	}
	if res, _ := b.get("/console/"); res.StatusCode != http.StatusOK {
		t.Fatalf("the console after enrolment: %d", res.StatusCode)
	}
}

// A regulator lost the only passkey: another admin proposes reset_account_passkeys, an approver
// sees in the console how many passkeys it removes and approves it there; after a restart the
// registry serves and the regulator enrols a new passkey at the next sign-in.
func TestLostPasskeyIsResetByProposalInTheConsole(t *testing.T) {
	dir := t.TempDir()
	cfg := console.Config{RequirePasskey: true}
	svc, srv := consoleOnFileWith(t, dir, cfg)
	ctx := context.Background()
	toks := resetAccounts(t, svc)
	alice := newBrowser(t, srv.URL)
	signInWithNewPasskey(t, alice, srv.URL, toks["alice"])
	if pks, _ := svc.Passkeys(ctx, "alice"); len(pks) != 1 {
		t.Fatalf("alice's passkeys: %d", len(pks))
	}
	// alice's authenticator is lost. root proposes the reset.
	root, err := svc.Authenticate(ctx, toks["root"])
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Propose(ctx, root, trustregistry.ChangeSet{Ops: []trustregistry.Op{trustregistry.ResetAccountPasskeysOp("alice", "security key lost")}}, "alice lost her security key", 0)
	if err != nil {
		t.Fatal(err)
	}
	rex := newBrowser(t, srv.URL)
	signInWithNewPasskey(t, rex, srv.URL, toks["rex"])
	_, page := rex.get("/console/proposals/" + p.ID)
	if !strings.Contains(page, "passkeys of alice removed: 1") {
		t.Fatalf("the proposal page does not say what the reset removes:\n%s", page)
	}
	res, _ := rex.post("/console/proposals/"+p.ID+"/approve", url.Values{"csrf": {csrfOf(t, page)}, "comment": {"confirmed by phone"}}, srv.URL)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("approving: %d", res.StatusCode)
	}
	if pks, _ := svc.Passkeys(ctx, "alice"); len(pks) != 0 {
		t.Fatalf("alice's passkeys after the reset: %d", len(pks))
	}
	if _, page := rex.get("/console/proposals/" + p.ID); !strings.Contains(page, "passkeys of alice removed: 1") {
		t.Fatalf("the applied proposal does not say what it removed:\n%s", page)
	}
	srv.Close()
	svc.Close()

	svc, srv = consoleOnFileWith(t, dir, cfg)
	defer svc.Close()
	defer srv.Close()
	if err := svc.Ready(); err != nil {
		t.Fatalf("after a passkey reset: %v", err)
	}
	signInWithNewPasskey(t, newBrowser(t, srv.URL), srv.URL, toks["alice"])
	if pks, _ := svc.Passkeys(ctx, "alice"); len(pks) != 1 {
		t.Fatalf("alice's passkeys after enrolling again: %d", len(pks))
	}
}

// resetAccounts creates the accounts of the passkey-reset stories (alice, a proposer whose
// passkeys are reset; root, the admin who proposes it; rex, the admin and approver who approves
// it) and returns their tokens by name.
func resetAccounts(t *testing.T, svc *trustregistry.Service) map[string]string {
	t.Helper()
	toks := map[string]string{}
	for name, roles := range map[string][]trustregistry.Role{
		"alice": {trustregistry.RoleProposer},
		"root":  {trustregistry.RoleAdmin},
		"rex":   {trustregistry.RoleAdmin, trustregistry.RoleApprover},
	} {
		_, tok, err := svc.CreateAccount(context.Background(), name, roles)
		if err != nil {
			t.Fatal(err)
		}
		toks[name] = tok
	}
	return toks
}
