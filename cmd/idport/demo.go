package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/verifier/httpapi"
)

const demoUsage = `The demo starts the trust registry, an issuer and a verifier as three HTTP services on free
loopback ports, each with its own data directory, and walks through the Singapore -> Lingang
story: a Singapore authority issues a BusinessRegistration credential, Lingang's verifier accepts
it because the registry recognises the authority, the company's wallet receives the credential
through OpenID4VCI and presents only its legal name and uen through OpenID4VP, two regulators suspend the authority
(maker-checker), and the verifier then rejects the credential with authority_suspended.
It exits non-zero if any step does not behave as expected. With --keep the services keep
serving after the story until interrupted (Ctrl-C).
`

// The relying party's OpenID4VP API key and the verifier's request-signing secret: demo values
// only (a real deployment reads them from IDPORT_OPENID4VP_API_KEY and
// IDPORT_OPENID4VP_SIGNING_SECRET).
const (
	demoRPKey                = "lingang-rp-demo-key-0123456789"
	demoRequestSigningSecret = "demo request-signing secret, never a constant in production"
)

// demoDeadline bounds the story (not the services --keep leaves running), so a broken step
// fails instead of hanging.
const demoDeadline = 90 * time.Second

// runDemo tells the story with the real subcommands run in-process, as three services of one
// stack.Stack: the harness the examples use.
func runDemo(ctx context.Context, args []string, env Env) (err error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	keep := fs.Bool("keep", false, "leave the services running after the story and print a curl line for each public endpoint (Ctrl-C stops them)")
	data := fs.String("data", "", "data directory for the three services (default: a fresh temporary directory, removed at the end unless --keep or a failure)")
	if err := parseCommand(fs, args, env, demoUsage); err != nil {
		return err
	}
	// The stack never removes the directory: the demo removes its temporary one only after a
	// story that succeeded without --keep, so a failure leaves services.log to read.
	s, err := stack.Open(ctx, stack.Options{Dir: *data, Name: "demo", Keep: true})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if *data == "" && !*keep {
		defer func() {
			if err == nil {
				os.RemoveAll(s.Dir)
			}
		}()
	}
	logPath := filepath.Join(s.Dir, "services.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.Close()
		return fmt.Errorf("demo: %w", err)
	}
	defer logFile.Close()
	defer s.Close() // the services stop before their log file closes
	// The services log JSON to a file, so the story stays readable; their warnings go there too.
	s.Logger = slog.New(slog.NewJSONHandler(logFile, nil))
	d := &demo{stack: s, keep: *keep, logPath: logPath, story: stack.Teller{W: env.Stdout, Started: time.Now()},
		env: Env{Stdout: logFile, Stderr: logFile, Lookup: func(string) (string, bool) { return "", false }, Logger: s.Logger}}
	return d.run()
}

// demo is the state of one telling of the story.
type demo struct {
	stack   *stack.Stack
	env     Env // the services': no environment variables, output to services.log
	keep    bool
	logPath string
	story   stack.Teller

	registryURL, registryKey  string
	regAddr, issAddr, verAddr string
	alice, bob, carol         *adminclient.Client
	issuer                    *stack.Issuer
	verifier                  *stack.Verifier
	recognisedAt              uint64          // the registry version of the recognition
	suspendedAt               time.Time       // when bob's approval of the suspension was sent
	credential                json.RawMessage // the company's credential
}

func (d *demo) dataDir(name string) string { return filepath.Join(d.stack.Dir, name) }

func (d *demo) run() error {
	d.story.Line("idport demo: a Singapore company's BusinessRegistration credential, verified in Lingang.")
	d.story.Line("Data directory: %s (service logs in services.log)", d.stack.Dir)
	ctx, cancel := context.WithTimeout(d.stack.Context(), demoDeadline)
	err := d.tell(ctx)
	cancel() // the story's deadline ends with the story; the services live as long as the stack
	if err != nil {
		if failed := d.stack.Err(); failed != nil {
			err = fmt.Errorf("%w (a service failed: %v)", err, failed)
		}
		return fmt.Errorf("demo failed at step %d: %w\nsee %s", d.story.Steps(), err, d.logPath)
	}
	d.story.Line("\nThe story is complete in %.1fs: recognised while the authority was active, rejected once regulators suspended it.", time.Since(d.story.Started).Seconds())
	if !d.keep {
		return nil
	}
	d.printCurls()
	<-d.stack.Context().Done() // interrupted, or a service failed
	return d.stack.Err()
}

// tell runs the story's steps in order and stops at the first that does not go as told.
func (d *demo) tell(ctx context.Context) error {
	addrs, err := stack.FreeAddrs(3)
	if err != nil {
		return err
	}
	d.regAddr, d.issAddr, d.verAddr = addrs[0], addrs[1], addrs[2]
	d.registryURL, d.registryKey = "http://"+d.regAddr, filepath.Join(d.stack.Dir, "registry.jwk")
	for _, step := range []struct {
		title string
		run   func(context.Context) error
	}{
		{"Regulators get accounts in the Lingang trust registry (offline bootstrap)", d.bootstrap},
		{"The trust registry starts", d.startRegistry},
		{"The Singapore authority's issuer starts", d.startIssuer},
		{"alice proposes, bob approves: Lingang recognises Singapore's corporate scheme", d.recognise},
		{"Lingang's verifier starts and syncs the registry's signed snapshot", d.startVerifier},
		{"A Singapore company gets its BusinessRegistration credential (VC-JOSE-COSE, EdDSA)", d.issue},
		{"The issuer asks the registry before signing: it refuses a type it is not recognised for", d.issueRefused},
		{"The company presents it to the Lingang verifier", d.verifyAccepted},
		{"", d.walletPath}, // its own steps: OpenID4VCI issuance, OpenID4VP presentation
		{"A regulator acts: alice proposes suspending the authority, bob approves", d.suspend},
		{"The verifier sees the change and rejects the credential", d.verifyRejected},
		{"carol, the auditor, checks the audit chain", d.audit},
	} {
		if step.title != "" {
			d.story.Step("%s", step.title)
		}
		if err := step.run(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) bootstrap(ctx context.Context) error {
	tokens := map[string]string{}
	for _, a := range [][2]string{{"alice", "proposer"}, {"bob", "approver"}, {"carol", "auditor"}} {
		tok, err := d.runCapture(ctx, "admin", "bootstrap", "--data", d.dataDir("registry"), "--account", a[0], "--role", a[1])
		if err != nil {
			return err
		}
		tokens[a[0]] = tok
	}
	d.alice, d.bob, d.carol = adminclient.New(d.registryURL, tokens["alice"]), adminclient.New(d.registryURL, tokens["bob"]), adminclient.New(d.registryURL, tokens["carol"])
	d.story.Line("alice may propose changes, bob may approve them: no one changes the registry alone. carol audits.")
	d.story.Line("Their bearer tokens were shown once; the registry keeps only their SHA-256 hashes. Each creation is in the audit log (versions 1-3).")
	return nil
}

func (d *demo) startRegistry(ctx context.Context) error {
	if err := d.serve(ctx, d.registryURL, "registry", "--addr", d.regAddr, "--data", d.dataDir("registry"), "--dev", "--export-key", d.registryKey); err != nil {
		return err
	}
	d.story.Line("registry %s: signs snapshots of its state; verifiers pin its public key (%s).", d.registryURL, filepath.Base(d.registryKey))
	return nil
}

func (d *demo) startIssuer(ctx context.Context) error {
	apiKey, err := d.runCapture(ctx, "issuer", "apikey", "create", "--data", d.dataDir("issuer"), "--dev", "--did-method", "did:key",
		"--scope", demoseed.Type, "--scope", "PersonIdentity", "--name", "sg-demo-company-portal")
	if err != nil {
		return err
	}
	url := "http://" + d.issAddr
	if err := d.serve(ctx, url, "issuer", "--addr", d.issAddr, "--data", d.dataDir("issuer"), "--dev", "--did-method", "did:key", "--registry", d.registryURL,
		"--registry-key", d.registryKey, "--registry-check", "enforce"); err != nil {
		return err
	}
	if d.issuer, err = stack.ConnectIssuer(ctx, url, apiKey); err != nil {
		return err
	}
	d.story.Line("issuer %s signs as %s", d.issuer.URL, stack.Short(d.issuer.DID))
	return nil
}

func (d *demo) recognise(ctx context.Context) error {
	effective := time.Now().Add(-time.Hour)
	p, err := d.alice.Propose(ctx, demoseed.ChangeSet(d.issuer.DID, effective, demoseed.VCT(d.issuer.URL)), "Recognise Singapore corporate registry under the SG-Lingang MoU", "")
	if err != nil {
		return fmt.Errorf("propose seed: %w", err)
	}
	d.story.Line("alice proposed %s (%d operations: jurisdictions SG and CN-SH-LG, schemes, the authority, the agreement, the recognition).", p.ID, len(demoseed.ChangeSet("", effective).Ops))
	p, err = d.bob.Approve(ctx, p.ID, "checked against the signed MoU")
	if err != nil {
		return fmt.Errorf("approve seed: %w", err)
	}
	d.recognisedAt = p.AppliedVersion
	d.story.Line("bob approved it: applied atomically as registry version %d.", p.AppliedVersion)
	d.story.Line("Recognition %s: %s -> %s for %s, claim mapping uen -> registrationNumber, legalName -> enterpriseName, ...", demoseed.RecognitionID, demoseed.LocalScheme, demoseed.ForeignScheme, demoseed.Type)
	return nil
}

func (d *demo) startVerifier(ctx context.Context) error {
	d.verifier = &stack.Verifier{URL: "http://" + d.verAddr, OpenID4VPAPIKey: demoRPKey}
	if err := d.serve(ctx, d.verifier.URL, "verifier", "--addr", d.verAddr, "--data", d.dataDir("verifier"), "--registry", d.registryURL,
		"--registry-key", d.registryKey, "--local-scheme", demoseed.LocalScheme, "--allow-hosts", "127.0.0.1", "--allow-http",
		"--openid4vp-api-key", demoRPKey, "--openid4vp-signing-secret", demoRequestSigningSecret); err != nil {
		return err
	}
	d.story.Line("verifier %s is ready: it holds a verified snapshot (registry version >= %d).", d.verifier.URL, d.recognisedAt)
	return nil
}

func (d *demo) issue(ctx context.Context) error {
	subject := map[string]any{"id": "did:example:sg-company-acme", "uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
		"registeredAddress": "1 Marina Boulevard, Singapore 018989", "incorporationDate": "2019-04-02", "entityType": "Private Company Limited by Shares"}
	// The issuer's registry replica follows the registry: until it holds the recognition, the
	// registry check refuses (issuer_not_authorised).
	var cred json.RawMessage
	err := stack.Eventually(ctx, func() (bool, error) {
		var err error
		cred, _, err = d.issuer.Issue(ctx, demoseed.Type, "vc+jwt", subject, nil)
		if err != nil && strings.Contains(err.Error(), "issuer_not_authorised") {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return err
	}
	d.credential = cred
	d.story.Line("POST %s/credentials/issue -> 201, an enveloped vc+jwt credential of %d bytes with a revocation status entry.", d.issuer.URL, len(cred))
	return nil
}

// issueRefused asks the issuer for a type its registry entry does not list: the registry check
// refuses it before anything is signed or stored.
func (d *demo) issueRefused(ctx context.Context) error {
	var prob struct {
		Code, Detail string
	}
	subject := map[string]any{"givenName": "Mei Ling", "familyName": "Chan", "birthDate": "1990-02-03", "nationality": "SG"}
	status, _, err := stack.Call(ctx, http.MethodPost, d.issuer.URL+"/credentials/issue", d.issuer.APIKey,
		map[string]any{"type": "PersonIdentity", "credentialSubject": subject}, &prob, http.StatusForbidden)
	if err != nil {
		return err
	}
	if prob.Code != "issuer_not_authorised" {
		return fmt.Errorf("expected 403 issuer_not_authorised for PersonIdentity, got %d %s", status, prob.Code)
	}
	d.story.Line("POST %s/credentials/issue PersonIdentity -> %d %s: the registry lists %s for %s only.", d.issuer.URL, status, prob.Code, demoseed.Type, demoseed.AuthorityID)
	return nil
}

func (d *demo) verifyAccepted(ctx context.Context) error {
	res, status, err := d.verify(ctx)
	if err != nil {
		return err
	}
	if status != http.StatusOK || !res.Verified || res.Recognition == nil {
		return fmt.Errorf("expected the credential to verify with recognition grounds, got HTTP %d: %s", status, stack.Summary(res))
	}
	d.story.Line("POST %s/credentials/verify -> 200 verified", d.verifier.URL)
	g := res.Recognition
	d.story.Line("  grounds: authority %s, scheme %s (%s), agreement %s, local assurance %s, registry version %d",
		g.Authority, g.Scheme, g.Jurisdiction, g.Agreement, g.LocalAssurance, g.RegistryVersion)
	claims, err := json.Marshal(res.Claims)
	if err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	d.story.Line("  claims under Lingang's names: %s", claims)
	if _, ok := res.Claims["registrationNumber"]; !ok {
		return fmt.Errorf("expected the uen claim mapped to registrationNumber, got %s", claims)
	}
	return nil
}

// walletPath tells the wallet path (stack.WalletStory): the company's wallet receives the
// credential through OpenID4VCI and presents the legal name and uen through OpenID4VP.
func (d *demo) walletPath(ctx context.Context) error {
	res, err := stack.WalletStory(ctx, &d.story, d.issuer, d.verifier)
	if err != nil {
		return err
	}
	d.story.Line("The wallet path ends as the VC-API one did: recognised as %s; the registered address was never disclosed (over-disclosure: %s).",
		res.Accepted.Recognition.Authority, res.Refused)
	return nil
}

func (d *demo) suspend(ctx context.Context) error {
	susp, err := d.alice.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "signing key reported compromised", time.Now()),
		"Suspend pending investigation of a key compromise", "")
	if err != nil {
		return fmt.Errorf("propose suspension: %w", err)
	}
	d.story.Line("alice proposed %s; it changes nothing until someone else approves.", susp.ID)
	d.suspendedAt = time.Now()
	susp, err = d.bob.Approve(ctx, susp.ID, "confirmed with the Singapore registrar")
	if err != nil {
		return fmt.Errorf("approve suspension: %w", err)
	}
	d.story.Line("bob approved: registry version %d. The audit log records who proposed, who approved, when and why.", susp.AppliedVersion)
	return nil
}

func (d *demo) verifyRejected(ctx context.Context) error {
	var res *httpapi.Response
	var status int
	err := stack.Eventually(ctx, func() (bool, error) {
		var err error
		res, status, err = d.verify(ctx)
		return err == nil && stack.HasError(res, "authority_suspended"), err
	})
	if err != nil {
		last := "no answer"
		if res != nil {
			last = fmt.Sprintf("HTTP %d: %s", status, stack.Summary(res))
		}
		return fmt.Errorf("the verifier did not see the suspension (last answer %s): %w", last, err)
	}
	d.story.Line("The suspension reached the verifier %.2fs after approval (signed snapshot, long-poll).", time.Since(d.suspendedAt).Seconds())
	if status != http.StatusBadRequest || res.Verified {
		return fmt.Errorf("expected HTTP 400 not verified, got HTTP %d: %s", status, stack.Summary(res))
	}
	d.story.Line("POST %s/credentials/verify -> %d, verified=false, error code authority_suspended", d.verifier.URL, status)
	return nil
}

func (d *demo) audit(ctx context.Context) error {
	report, err := d.carol.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	if !report.OK {
		return fmt.Errorf("audit chain broken: %+v", report)
	}
	d.story.Line("GET %s/admin/v1/audit/verify: %d records, hash chain intact.", d.registryURL, report.Records)
	return nil
}

func (d *demo) verify(ctx context.Context) (*httpapi.Response, int, error) {
	res, status, err := d.verifier.VerifyCredential(ctx, d.credential)
	if err != nil {
		return nil, status, fmt.Errorf("verify: %w", err)
	}
	return res, status, nil
}

func (d *demo) printCurls() {
	d.story.Line("\nThe services keep running (Ctrl-C stops them); the authority stays suspended, so the registry now answers authorized=false. Public endpoints:")
	reg, iss, ver := d.registryURL, d.issuer.URL, d.verifier.URL
	for _, l := range []string{
		"curl -s " + reg + "/v1/registry",
		"curl -s " + reg + "/v1/authorities",
		"curl -s " + reg + "/v1/snapshot",
		"curl -s " + reg + "/v1/snapshot/key",
		"curl -s -X POST -H 'Content-Type: application/json' " + reg + "/authorization -d '{\"entity_id\":\"" + d.issuer.DID + "\",\"authority_id\":\"" + demoseed.LocalScheme + "\",\"action\":\"issue\",\"resource\":\"" + demoseed.Type + "\"}'",
		"curl -s " + iss + "/.well-known/did.json",
		"curl -s " + iss + "/.well-known/jwks.json",
		"curl -s " + iss + "/credential-types",
		"curl -s -X POST -H 'Authorization: Bearer " + d.issuer.APIKey + "' -H 'Content-Type: application/json' " + iss + "/credentials/issue -d '{\"type\":\"BusinessRegistration\",\"credentialSubject\":{\"uen\":\"201912345K\",\"legalName\":\"Acme\",\"registeredAddress\":\"1 Marina Blvd\",\"incorporationDate\":\"2019-04-02\",\"entityType\":\"Private Company\"}}'",
		"curl -s -X POST " + ver + "/challenges",
		"curl -s " + ver + "/readyz",
	} {
		d.story.Line("  %s", l)
	}
	d.story.Line("Regulator tokens (demo only): alice %s  bob %s  carol %s", d.alice.Token, d.bob.Token, d.carol.Token)
	d.story.Line("Regulators' web console: %s (sign in with one of the tokens above; localhost, not 127.0.0.1, lets passkeys work)", consoleURL(d.regAddr))
}

// consoleURL is the console's address on a loopback registry, named localhost so that the
// browser accepts it as a WebAuthn relying party.
func consoleURL(addr string) string {
	if _, port, err := net.SplitHostPort(addr); err == nil {
		return "http://localhost:" + port + "/console/"
	}
	return "http://" + addr + "/console/"
}

// serve starts `idport <args>` in-process as one of the stack's services (it runs until the
// stack stops; a failure stops the stack) and waits until base answers ready.
func (d *demo) serve(ctx context.Context, base string, args ...string) error {
	d.stack.Go(args[0], func(ctx context.Context) error { return run(ctx, args, d.env) })
	if err := stack.WaitReady(ctx, base); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	return nil
}

// runCapture runs a subcommand to its end and returns the last line it printed (the token
// convention of `admin bootstrap` and `issuer apikey create`).
func (d *demo) runCapture(ctx context.Context, args ...string) (string, error) {
	var out bytes.Buffer
	sub := d.env
	sub.Stdout = &out
	if err := run(ctx, args, sub); err != nil {
		return "", fmt.Errorf("idport %s: %w", strings.Join(args, " "), err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return "", fmt.Errorf("idport %s printed no token", strings.Join(args, " "))
	}
	return last, nil
}
