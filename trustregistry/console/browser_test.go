package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/pkg/nodetest"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/console"
	"github.com/idport/idport/verifier"
)

// TestConsoleInABrowser runs testdata/browser/console.mjs in headless Chromium against a real
// registry with the console on loopback, a real issuer and a verifier following the registry's
// signed snapshots: alice proposes a suspension and cannot approve it, a cross-origin form is
// refused, bob approves, the verifier then refuses the authority's credential; markup in a
// foreign authority's name stays text; the Chinese pages; a passkey sign-in with Chromium's
// virtual authenticator; axe-core finds no violations. IDPORT_SCREENSHOTS=1 saves the main
// pages into docs/images.
func TestConsoleInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	dir := nodetest.Peers(t, "browser")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	s, err := stack.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sg, err := s.StartIssuer(ctx, stack.IssuerOptions{Name: "sg-issuer"})
	if err != nil {
		t.Fatal(err)
	}
	reg := startRegistry(t, sg.DID, console.Config{})
	svc := reg.Svc
	// erin (approver) signs in with a passkey; "evil" is a foreign authority whose name is markup.
	_, erinTok, err := svc.CreateAccount(ctx, "erin", []trustregistry.Role{trustregistry.RoleApprover})
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := svc.Authenticate(ctx, reg.Tokens["alice"])
	bob, _ := svc.Authenticate(ctx, reg.Tokens["bob"])
	evilName := `<script>window.__xss=1</script>Evil & Co`
	p, err := svc.Propose(ctx, alice, trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpUpsertAuthority,
		Authority: &trustregistry.Authority{ID: "evil-registrar", Scheme: demoseed.ForeignScheme, LegalName: evilName,
			DIDs: []string{"did:example:evil"}, CredentialTypes: []string{demoseed.Type}}}}}, "a foreign authority", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, bob, p.ID, ""); err != nil {
		t.Fatal(err)
	}

	key, _ := svc.PublicKeyJWK()
	ver, err := s.StartVerifier(ctx, "lingang-verifier", &stack.Registry{URL: reg.URL, Key: key},
		verifier.Policy{LocalScheme: demoseed.LocalScheme}, 0)
	if err != nil {
		t.Fatal(err)
	}
	cred, _, err := sg.Issue(ctx, demoseed.Type, "vc+jwt", map[string]any{"uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
		"registeredAddress": "1 Marina Boulevard", "incorporationDate": "2019-04-02", "entityType": "Private Company"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, status, err := ver.VerifyCredential(ctx, cred); err != nil || status != http.StatusOK {
		t.Fatalf("before the suspension: %d %v %s", status, err, stack.Summary(res))
	}

	// Chromium accepts localhost, not an IP address, as a WebAuthn relying party.
	base := strings.Replace(reg.URL, "127.0.0.1", "localhost", 1)
	in := map[string]any{"base": base, "authority": demoseed.AuthorityID, "evilAuthority": "evil-registrar",
		"backdated": time.Now().UTC().Add(-30 * time.Minute).Format("2006-01-02T15:04"),
		"tokens":    map[string]string{"alice": reg.Tokens["alice"], "bob": reg.Tokens["bob"], "carol": reg.Tokens["carol"], "erin": erinTok}}
	if os.Getenv("IDPORT_SCREENSHOTS") == "1" {
		shots, err := filepath.Abs("../../docs/images")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
		in["screenshots"] = shots
	}
	out, err := nodetest.RunIn(t, dir, "console.mjs", in, 3*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Steps      []string `json:"steps"`
		Violations []struct {
			Page   string   `json:"page"`
			ID     string   `json:"id"`
			Impact string   `json:"impact"`
			Help   string   `json:"help"`
			Nodes  []string `json:"nodes"`
		} `json:"violations"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decoding the script's output: %v\n%s", err, out)
	}
	for _, s := range res.Steps {
		t.Log(s)
	}
	for _, v := range res.Violations {
		t.Errorf("axe: %s: %s (%s): %s at %v", v.Page, v.ID, v.Impact, v.Help, v.Nodes)
	}

	// bob's approval in the browser suspended the authority: the verifier now refuses.
	err = stack.Eventually(ctx, func() (bool, error) {
		r, _, err := ver.VerifyCredential(ctx, cred)
		return err == nil && stack.HasError(r, string(verifier.CodeAuthoritySuspended)), err
	})
	if err != nil {
		t.Fatalf("the verifier did not refuse the suspended authority's credential: %v", err)
	}
}
