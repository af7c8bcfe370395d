package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/console"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/memstore"
)

// registry is a registry with the console, on loopback, with alice (proposer), bob
// (approver) and carol (auditor). The registry runs on the console's clock (cfg.Now).
type registry struct {
	URL    string
	Svc    *trustregistry.Service
	Tokens map[string]string
}

func startRegistry(t testing.TB, authorityDID string, cfg console.Config) *registry {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := trustregistry.NewService(trustregistry.Config{Store: memstore.New(), Dev: true, Logger: log, Now: cfg.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	ctx := context.Background()
	r := &registry{Svc: svc, Tokens: map[string]string{}}
	for name, role := range map[string]trustregistry.Role{"alice": trustregistry.RoleProposer, "bob": trustregistry.RoleApprover, "carol": trustregistry.RoleAuditor} {
		_, tok, err := svc.CreateAccount(ctx, name, []trustregistry.Role{role})
		if err != nil {
			t.Fatal(err)
		}
		r.Tokens[name] = tok
	}
	alice, _ := svc.Authenticate(ctx, r.Tokens["alice"])
	bob, _ := svc.Authenticate(ctx, r.Tokens["bob"])
	p, err := svc.Propose(ctx, alice, demoseed.ChangeSet(authorityDID, time.Now().Add(-2*time.Hour)), "seed the demo", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, bob, p.ID, "ok"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Options{Console: &cfg}, log))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t    testing.TB
	c    *http.Client
	base string
}

func newBrowser(t testing.TB, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	res, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (b *browser) post(path string, form url.Values, origin string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, body string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf token in page:\n%s", body)
	}
	return m[1]
}

func (b *browser) signIn(token string) string {
	b.t.Helper()
	_, page := b.get("/console/signin")
	res, _ := b.post("/console/signin", url.Values{"csrf": {csrfOf(b.t, page)}, "token": {token}, "next": {"/console/"}}, b.base)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/" {
		b.t.Fatalf("sign-in: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, page = b.get("/console/")
	return csrfOf(b.t, page)
}

func TestSignInSessionCookieAndHeaders(t *testing.T) {
	reg := startRegistry(t, "did:example:sg", console.Config{})
	b := newBrowser(t, reg.URL)
	res, page := b.get("/console/signin")
	for h, want := range map[string]string{"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
		if !strings.Contains(res.Header.Get(h), want) {
			t.Errorf("%s = %q, want %q in it", h, res.Header.Get(h), want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	ck := res.Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || len(ck[0].Value) != 43 {
		t.Fatalf("session cookie %+v", ck)
	}
	before := ck[0].Value
	if res, _ := b.get("/console/"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/signin") {
		t.Fatalf("anonymous overview: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	// A wrong token is refused with the API's status for unauthorized.
	res, _ = b.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {"not-a-valid-token-at-all"}}, reg.URL)
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", res.StatusCode)
	}
	b.signIn(reg.Tokens["alice"])
	u, _ := url.Parse(reg.URL + "/console/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "idport_console" && c.Value == before {
			t.Fatal("the session id was not rotated at sign-in")
		}
	}
	res, page = b.get("/console/")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="whoami">alice<`) {
		t.Fatalf("overview: %d\n%s", res.StatusCode, page)
	}
	res, _ = b.post("/console/signout", url.Values{"csrf": {csrfOf(t, page)}}, reg.URL)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", res.StatusCode)
	}
	if res, _ = b.get("/console/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after sign-out the overview answered %d", res.StatusCode)
	}
}

func TestSessionTimeouts(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	reg := startRegistry(t, "did:example:sg", console.Config{Now: clock})
	b := newBrowser(t, reg.URL)
	b.signIn(reg.Tokens["alice"])
	now = now.Add(14 * time.Minute)
	if res, _ := b.get("/console/"); res.StatusCode != http.StatusOK {
		t.Fatalf("within the idle timeout: %d", res.StatusCode)
	}
	now = now.Add(16 * time.Minute)
	if res, _ := b.get("/console/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the idle timeout: %d", res.StatusCode)
	}
	b.signIn(reg.Tokens["alice"])
	for i := 0; i < 40; i++ { // active all along, but 8 h is the limit
		now = now.Add(14 * time.Minute)
		b.get("/console/")
	}
	if res, _ := b.get("/console/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the absolute timeout: %d", res.StatusCode)
	}
}

func TestCSRFAndOriginAreChecked(t *testing.T) {
	reg := startRegistry(t, "did:example:sg", console.Config{})
	b := newBrowser(t, reg.URL)
	csrf := b.signIn(reg.Tokens["alice"])
	form := url.Values{"csrf": {csrf}, "authority": {demoseed.AuthorityID}, "status": {"suspended"}, "reason": {"key leaked"}}
	if res, _ := b.post("/console/proposals/new/suspension", form, "https://evil.example"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %d", res.StatusCode)
	}
	bad := url.Values{"authority": {demoseed.AuthorityID}, "status": {"suspended"}, "reason": {"key leaked"}}
	if res, _ := b.post("/console/proposals/new/suspension", bad, reg.URL); res.StatusCode != http.StatusForbidden {
		t.Fatalf("no token: %d", res.StatusCode)
	}
	ps, _ := reg.Svc.ListProposals(context.Background(), trustregistry.ProposalFilter{Status: trustregistry.ProposalPending})
	if len(ps) != 0 {
		t.Fatalf("a forged form created %d proposals", len(ps))
	}
	res, _ := b.post("/console/proposals/new/suspension", form, reg.URL)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("same origin with token: %d", res.StatusCode)
	}
}

func TestMakerCheckerThroughTheConsole(t *testing.T) {
	reg := startRegistry(t, "did:example:sg", console.Config{})
	alice := newBrowser(t, reg.URL)
	csrf := alice.signIn(reg.Tokens["alice"])
	res, _ := alice.post("/console/proposals/new/suspension", url.Values{"csrf": {csrf}, "authority": {demoseed.AuthorityID},
		"status": {"suspended"}, "reason": {"key leaked"}, "effective_at": {time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")}}, reg.URL)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/proposals/p-") {
		t.Fatalf("propose: %d %s", res.StatusCode, loc)
	}
	_, page := alice.get(loc)
	if strings.Contains(page, `id="approve"`) || !strings.Contains(page, "suspended") {
		t.Fatalf("alice's view of her proposal:\n%s", page)
	}
	// Even a hand-made approval is refused by the Service's rules.
	if res, _ := alice.post(loc+"/approve", url.Values{"csrf": {csrf}}, reg.URL); res.StatusCode != http.StatusForbidden {
		t.Fatalf("alice approving: %d", res.StatusCode)
	}
	bob := newBrowser(t, reg.URL)
	bcsrf := bob.signIn(reg.Tokens["bob"])
	if res, _ := bob.post(loc+"/approve", url.Values{"csrf": {bcsrf}, "comment": {"confirmed"}}, reg.URL); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob approving: %d", res.StatusCode)
	}
	if s := reg.Svc.Index().State().Authorities[demoseed.AuthorityID].Statuses; s[len(s)-1].Status != trustregistry.StatusSuspended {
		t.Fatalf("statuses after approval: %+v", s)
	}
	_, page = bob.get("/console/objects/authorities/" + demoseed.AuthorityID)
	if !strings.Contains(page, "back-dated") {
		t.Fatalf("the back-dated suspension is not marked:\n%s", page)
	}
	for _, p := range []string{"/console/objects/jurisdictions", "/console/objects/schemes", "/console/objects/authorities?status=suspended",
		"/console/objects/agreements", "/console/objects/recognitions", "/console/graph", "/console/proposals", "/console/audit",
		"/console/objects/authorities?asof=1", "/console/proposals/new/authority", "/console/proposals/new/mapping"} {
		if res, body := bob.get(p); res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d\n%s", p, res.StatusCode, body)
		}
	}
}

func TestForeignNamesAreEscaped(t *testing.T) {
	reg := startRegistry(t, "did:example:sg", console.Config{})
	ctx := context.Background()
	alice, _ := reg.Svc.Authenticate(ctx, reg.Tokens["alice"])
	bob, _ := reg.Svc.Authenticate(ctx, reg.Tokens["bob"])
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	cs := trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpUpsertAuthority, Authority: &trustregistry.Authority{
		ID: "evil", Scheme: demoseed.ForeignScheme, LegalName: evil, DIDs: []string{"did:example:evil"}, CredentialTypes: []string{demoseed.Type}}}}}
	p, err := reg.Svc.Propose(ctx, alice, cs, evil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Svc.Approve(ctx, bob, p.ID, ""); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, reg.URL)
	b.signIn(reg.Tokens["carol"])
	for _, path := range []string{"/console/objects/authorities", "/console/objects/authorities/evil", "/console/graph", "/console/proposals/" + p.ID, "/console/audit"} {
		_, page := b.get(path)
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
			t.Errorf("%s renders the name as markup", path)
		}
	}
}

func TestLanguageFromHeaderAndSwitch(t *testing.T) {
	reg := startRegistry(t, "did:example:sg", console.Config{})
	b := newBrowser(t, reg.URL)
	req, _ := http.NewRequest(http.MethodGet, reg.URL+"/console/signin", nil)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `lang="zh-Hans"`) || !strings.Contains(string(body), "访问令牌") {
		t.Fatalf("Chinese sign-in page expected")
	}
	csrf := csrfOf(t, string(body))
	b.post("/console/lang", url.Values{"csrf": {csrf}, "lang": {"zh-Hans"}, "back": {"/console/signin"}}, reg.URL)
	_, page := b.get("/console/signin")
	if !strings.Contains(page, "登录") {
		t.Fatal("the language switch did not stick")
	}
}

func TestRequiredPasskeyHoldsTheConsoleBack(t *testing.T) {
	reg := startRegistry(t, "did:example:sg", console.Config{RequirePasskey: true})
	b := newBrowser(t, reg.URL)
	_, page := b.get("/console/signin")
	res, _ := b.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {reg.Tokens["bob"]}}, reg.URL)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/passkey") {
		t.Fatalf("sign-in with a required passkey: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	for _, p := range []string{"/console/", "/console/proposals", "/console/audit"} {
		if res, _ := b.get(p); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/passkey") {
			t.Errorf("%s before the passkey: %d %s", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if res, page := b.get("/console/passkey"); res.StatusCode != http.StatusOK || !strings.Contains(page, `id="passkey-register"`) {
		t.Fatalf("the passkey page does not offer enrolment: %d", res.StatusCode)
	}
}

// TestGuessingThroughTheConsoleIsLimitedButNeverLocksOutAValidToken: an attacker tries many
// forged tokens carrying alice's public token id from one address. Past the budget the console
// answers 429 with Retry-After, and the admin API (which shares the budget) does too for a
// forged token; yet alice's real token still signs her in, from the same address.
func TestGuessingThroughTheConsoleIsLimitedButNeverLocksOutAValidToken(t *testing.T) {
	reg := startRegistry(t, "did:example:sg", console.Config{})
	id, ok := trustregistry.TokenID(reg.Tokens["alice"])
	if !ok {
		t.Fatalf("alice's token %q has no public id", reg.Tokens["alice"])
	}
	attacker := newBrowser(t, reg.URL)
	var last *http.Response
	for i := 0; i < 30; i++ {
		_, page := attacker.get("/console/signin")
		forged := fmt.Sprintf("idp_%s_%043d", id, i)
		last, _ = attacker.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {forged}}, reg.URL)
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("after 30 forged tokens the console answered %d (Retry-After %q), want 429", last.StatusCode, last.Header.Get("Retry-After"))
	}
	req, _ := http.NewRequest(http.MethodGet, reg.URL+"/admin/v1/proposals", nil)
	req.Header.Set("Authorization", "Bearer "+fmt.Sprintf("idp_%s_%043d", id, 99))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the admin API does not share the console's budget: %d", res.StatusCode)
	}
	victim := newBrowser(t, reg.URL)
	victim.signIn(reg.Tokens["alice"])
	if res, page := victim.get("/console/"); res.StatusCode != http.StatusOK || !strings.Contains(page, `id="whoami">alice<`) {
		t.Fatalf("alice's valid token was locked out: %d", res.StatusCode)
	}
}

// A console session is worth no more than the token that opened it: once that token is
// revoked, replaced or expired, the session ends, as the API refuses the token at once.
func TestSessionEndsWithItsToken(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	reg := startRegistry(t, "did:example:sg", console.Config{Now: clock})
	ctx := context.Background()
	b := newBrowser(t, reg.URL)
	b.signIn(reg.Tokens["carol"])
	carol, err := reg.Svc.Authenticate(ctx, reg.Tokens["carol"])
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Svc.RevokeOwnToken(ctx, carol, "carol"); err != nil {
		t.Fatal(err)
	}
	if res, _ := b.get("/console/audit"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a session opened with a revoked token: %d", res.StatusCode)
	}

	// A token the owner replaced (it leaked) ends the sessions it opened too.
	b = newBrowser(t, reg.URL)
	b.signIn(reg.Tokens["bob"])
	bob, _ := reg.Svc.Authenticate(ctx, reg.Tokens["bob"])
	tok, _ := trustregistry.NewToken()
	en, _ := trustregistry.EnrolmentOf(tok)
	if _, err := reg.Svc.RotateOwnToken(ctx, bob, "bob", en); err != nil {
		t.Fatal(err)
	}
	if res, _ := b.get("/console/proposals"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a session opened with a replaced token: %d", res.StatusCode)
	}
	b.signIn(tok)
	if res, _ := b.get("/console/proposals"); res.StatusCode != http.StatusOK {
		t.Fatalf("a session of the new token: %d", res.StatusCode)
	}

	// And one whose token expired within the session's lifetime.
	now = now.Add(trustregistry.DefaultTokenTTL - time.Minute)
	b = newBrowser(t, reg.URL)
	b.signIn(reg.Tokens["alice"])
	now = now.Add(2 * time.Minute)
	if res, _ := b.get("/console/"); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a session past its token's expiry: %d", res.StatusCode)
	}
}

// A CSRF token of another session (the attacker's own, signed in or not) is refused.
func TestCSRFTokenOfAnotherSessionIsRefused(t *testing.T) {
	reg := startRegistry(t, "did:example:sg", console.Config{})
	victim := newBrowser(t, reg.URL)
	victim.signIn(reg.Tokens["alice"])
	attacker := newBrowser(t, reg.URL)
	_, page := attacker.get("/console/signin")
	anon := csrfOf(t, page)
	signed := attacker.signIn(reg.Tokens["carol"])
	for _, tok := range []string{anon, signed} {
		form := url.Values{"csrf": {tok}, "authority": {demoseed.AuthorityID}, "status": {"suspended"}, "reason": {"forged"}}
		if res, _ := victim.post("/console/proposals/new/suspension", form, reg.URL); res.StatusCode != http.StatusForbidden {
			t.Fatalf("another session's CSRF token: %d", res.StatusCode)
		}
	}
	if ps, _ := reg.Svc.ListProposals(context.Background(), trustregistry.ProposalFilter{Status: trustregistry.ProposalPending}); len(ps) != 0 {
		t.Fatalf("a forged form created %d proposals", len(ps))
	}
}
