package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/idport/idport/trustregistry"
)

// signInWithPasskey signs b in with token and then the passkey of k, which the account has.
func signInWithPasskey(t *testing.T, b *browser, base, token string, k *authenticator) {
	t.Helper()
	_, page := b.get("/console/signin")
	res, _ := b.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {token}, "next": {"/console/"}}, base)
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/console/passkey") {
		t.Fatalf("the token alone signed in: %d %s", res.StatusCode, loc)
	}
	if st := b.ceremony("login", func(o []byte) []byte { return k.login(t, o, base) }); st != http.StatusOK {
		t.Fatalf("signing in with the passkey: %d", st)
	}
	if res, _ := b.get("/console/"); res.StatusCode != http.StatusOK {
		t.Fatalf("the console after the passkey: %d", res.StatusCode)
	}
}

// enrolPasskeys signs in with token alone (the account has no passkey yet) and registers ks.
func enrolPasskeys(t *testing.T, base, token string, ks ...*authenticator) *browser {
	t.Helper()
	b := newBrowser(t, base)
	b.signIn(token)
	for _, k := range ks {
		if st := b.ceremony("register", func(o []byte) []byte { return k.register(t, o, base) }); st != http.StatusOK {
			t.Fatalf("registering a passkey: %d", st)
		}
	}
	return b
}

// A console session is worth no more than the passkey that completed its sign-in: once the
// owner removes that passkey (from another session), the session ends at its next request,
// while a session signed in with another passkey of the account goes on.
func TestSessionEndsWithItsPasskey(t *testing.T) {
	svc, srv := consoleOnFile(t, t.TempDir())
	defer svc.Close()
	defer srv.Close()
	_, tok, err := svc.CreateAccount(context.Background(), "alice", []trustregistry.Role{trustregistry.RoleProposer})
	if err != nil {
		t.Fatal(err)
	}
	p, q := newAuthenticator(t), newAuthenticator(t)
	// Signed in before any passkey was enrolled: no passkey holds this session.
	early := enrolPasskeys(t, srv.URL, tok, p, q)

	lost := newBrowser(t, srv.URL) // the device that holds P, lost with its open session
	signInWithPasskey(t, lost, srv.URL, tok, p)
	other := newBrowser(t, srv.URL) // signed in with Q
	signInWithPasskey(t, other, srv.URL, tok, q)
	owner := newBrowser(t, srv.URL) // the owner, on another device, with P still
	signInWithPasskey(t, owner, srv.URL, tok, p)

	_, page := owner.get("/console/passkey")
	res, _ := owner.post("/console/passkey/remove", url.Values{"csrf": {csrfOf(t, page)}, "id": {b64.EncodeToString(p.id)}}, srv.URL)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("removing passkey P: %d", res.StatusCode)
	}
	if res, _ := lost.get("/console/proposals"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/signin" {
		t.Fatalf("a session signed in with a removed passkey: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// Ended, not merely refused once: the session is gone.
	if res, _ := lost.get("/console/"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/signin") {
		t.Fatalf("the ended session again: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := owner.get("/console/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the session that removed its own passkey: %d", res.StatusCode)
	}
	if res, _ := other.get("/console/proposals"); res.StatusCode != http.StatusOK {
		t.Fatalf("a session signed in with passkey Q after P was removed: %d", res.StatusCode)
	}
	if res, _ := early.get("/console/proposals"); res.StatusCode != http.StatusOK {
		t.Fatalf("a session signed in before any passkey was enrolled: %d", res.StatusCode)
	}
	// The owner signs in again with Q; a script request of the ended session is refused.
	signInWithPasskey(t, owner, srv.URL, tok, q)
	if res, _ := lost.post("/console/passkey/login/begin", url.Values{}, srv.URL); res.StatusCode == http.StatusOK {
		t.Fatalf("a passkey ceremony from the ended session: %d", res.StatusCode)
	}
}

// A lost device's open session ends once two other admins reset the account's passkeys.
func TestPasskeyResetEndsTheSessionsOfThePasskeys(t *testing.T) {
	svc, srv := consoleOnFile(t, t.TempDir())
	defer svc.Close()
	defer srv.Close()
	ctx := context.Background()
	toks := resetAccounts(t, svc)
	p := newAuthenticator(t)
	enrolPasskeys(t, srv.URL, toks["alice"], p)
	lost := newBrowser(t, srv.URL)
	signInWithPasskey(t, lost, srv.URL, toks["alice"], p)

	root, err := svc.Authenticate(ctx, toks["root"])
	if err != nil {
		t.Fatal(err)
	}
	rex, err := svc.Authenticate(ctx, toks["rex"])
	if err != nil {
		t.Fatal(err)
	}
	prop, err := svc.Propose(ctx, root, trustregistry.ChangeSet{Ops: []trustregistry.Op{trustregistry.ResetAccountPasskeysOp("alice", "security key lost")}}, "alice lost her security key", 0)
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := lost.get("/console/proposals"); res.StatusCode != http.StatusOK {
		t.Fatalf("the session before the reset applied: %d", res.StatusCode)
	}
	if _, err := svc.Approve(ctx, rex, prop.ID, "confirmed by phone"); err != nil {
		t.Fatal(err)
	}
	if pks, _ := svc.Passkeys(ctx, "alice"); len(pks) != 0 {
		t.Fatalf("alice's passkeys after the reset: %d", len(pks))
	}
	if res, _ := lost.get("/console/proposals"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/signin" {
		t.Fatalf("a session signed in with a reset passkey: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}
