package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
)

const demoUsage = `The demo starts the trust registry, an issuer and a verifier as three HTTP services on free
loopback ports, each with its own data directory, and walks through the Singapore -> Lingang
story: a Singapore authority issues a BusinessRegistration credential, Lingang's verifier accepts
it because the registry recognises the authority, two regulators suspend the authority
(maker-checker), and the verifier then rejects the credential with authority_suspended.
It exits non-zero if any step does not behave as expected.
`

// demoDeadline bounds the whole demo, so a broken step fails instead of hanging.
const demoDeadline = 90 * time.Second

func runDemo(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	keep := fs.Bool("keep", false, "leave the services running after the story and print a curl line for each public endpoint (Ctrl-C stops them)")
	data := fs.String("data", "", "data directory for the three services (default: a fresh temporary directory, removed at the end unless --keep)")
	if err := parseCommand(fs, args, env, demoUsage); err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		tmp, err := os.MkdirTemp("", "idport-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		dir = tmp
		if !*keep {
			defer os.RemoveAll(tmp)
		}
	}
	d := &demo{out: env.Stdout, dir: dir, keep: *keep, started: time.Now()}
	return d.run(ctx, env)
}

type demo struct {
	out     io.Writer
	dir     string
	keep    bool
	started time.Time
	step    int

	registryURL, issuerURL, verifierURL string
	alice, bob, carol                   *adminclient.Client
	apiKey, issuerDID                   string
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *demo) title(s string) {
	d.step++
	fmt.Fprintf(d.out, "\n[%d] %s  (t+%.1fs)\n", d.step, s, time.Since(d.started).Seconds())
}

func (d *demo) run(parent context.Context, env Env) error {
	logPath := filepath.Join(d.dir, "services.log")
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer logFile.Close()
	// The services log JSON to a file, so the story stays readable; their warnings go there too.
	svcEnv := Env{Stdout: logFile, Stderr: logFile, Lookup: func(string) (string, bool) { return "", false },
		Logger: slog.New(slog.NewJSONHandler(logFile, nil))}

	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	services := &serviceGroup{cancel: cancel}
	defer services.stop()

	d.say("idport demo: a Singapore company's BusinessRegistration credential, verified in Lingang.")
	d.say("Data directory: %s (service logs in services.log)", d.dir)

	storyCtx, storyCancel := context.WithTimeout(ctx, demoDeadline)
	defer storyCancel()
	if err := d.story(storyCtx, svcEnv, services); err != nil {
		if services.err() != nil {
			err = fmt.Errorf("%w (a service failed: %v)", err, services.err())
		}
		return fmt.Errorf("demo failed at step %d: %w\nsee %s", d.step, err, logPath)
	}
	d.say("\nThe story is complete in %.1fs: recognised while the authority was active, rejected once regulators suspended it.", time.Since(d.started).Seconds())
	if !d.keep {
		return nil
	}
	d.printCurls()
	<-parent.Done()
	return nil
}

func (d *demo) story(ctx context.Context, env Env, services *serviceGroup) error {
	regAddr, issAddr, verAddr, err := freeAddrs()
	if err != nil {
		return err
	}
	d.registryURL, d.issuerURL, d.verifierURL = "http://"+regAddr, "http://"+issAddr, "http://"+verAddr
	regData, issData, verData := filepath.Join(d.dir, "registry"), filepath.Join(d.dir, "issuer"), filepath.Join(d.dir, "verifier")
	keyFile := filepath.Join(d.dir, "registry.jwk")

	d.title("Regulators get accounts in the Lingang trust registry (offline bootstrap)")
	aliceTok, err := runCapture(ctx, env, "admin", "bootstrap", "--data", regData, "--account", "alice", "--role", "proposer")
	if err != nil {
		return err
	}
	bobTok, err := runCapture(ctx, env, "admin", "bootstrap", "--data", regData, "--account", "bob", "--role", "approver")
	if err != nil {
		return err
	}
	carolTok, err := runCapture(ctx, env, "admin", "bootstrap", "--data", regData, "--account", "carol", "--role", "auditor")
	if err != nil {
		return err
	}
	d.alice, d.bob, d.carol = adminclient.New(d.registryURL, aliceTok), adminclient.New(d.registryURL, bobTok), adminclient.New(d.registryURL, carolTok)
	d.say("alice may propose changes, bob may approve them: no one changes the registry alone. carol audits.")
	d.say("Their bearer tokens were shown once; the registry keeps only their SHA-256 hashes.")

	d.title("The trust registry starts")
	services.start(ctx, env, "registry", "--addr", regAddr, "--data", regData, "--dev", "--export-key", keyFile)
	if err := waitReady(ctx, d.registryURL); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	d.say("registry %s: signs snapshots of its state; verifiers pin its public key (%s).", d.registryURL, filepath.Base(keyFile))

	d.title("The Singapore authority's issuer starts")
	d.apiKey, err = runCapture(ctx, env, "issuer", "apikey", "create", "--data", issData, "--dev", "--did-method", "did:key",
		"--scope", demoseed.Type, "--name", "sg-demo-company-portal")
	if err != nil {
		return err
	}
	services.start(ctx, env, "issuer", "--addr", issAddr, "--data", issData, "--dev", "--did-method", "did:key", "--registry", d.registryURL)
	if err := waitReady(ctx, d.issuerURL); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	var didDoc struct {
		ID string `json:"id"`
	}
	if _, err := call(ctx, http.MethodGet, d.issuerURL+"/.well-known/did.json", "", nil, &didDoc, http.StatusOK); err != nil {
		return fmt.Errorf("issuer DID document: %w", err)
	}
	d.issuerDID = didDoc.ID
	d.say("issuer %s signs as %s", d.issuerURL, shorten(d.issuerDID))

	d.title("alice proposes, bob approves: Lingang recognises Singapore's corporate scheme")
	effective := time.Now().Add(-time.Hour)
	p, err := d.alice.Propose(ctx, demoseed.ChangeSet(d.issuerDID, effective), "Recognise Singapore corporate registry under the SG-Lingang MoU", "")
	if err != nil {
		return fmt.Errorf("propose seed: %w", err)
	}
	d.say("alice proposed %s (%d operations: jurisdictions SG and CN-SH-LG, schemes, the authority, the agreement, the recognition).", p.ID, len(demoseed.ChangeSet("", effective).Ops))
	p, err = d.bob.Approve(ctx, p.ID, "checked against the signed MoU")
	if err != nil {
		return fmt.Errorf("approve seed: %w", err)
	}
	d.say("bob approved it: applied atomically as registry version %d.", p.AppliedVersion)
	d.say("Recognition %s: %s -> %s for %s, claim mapping uen -> registrationNumber, legalName -> enterpriseName, ...", demoseed.RecognitionID, demoseed.LocalScheme, demoseed.ForeignScheme, demoseed.Type)

	d.title("Lingang's verifier starts and syncs the registry's signed snapshot")
	services.start(ctx, env, "verifier", "--addr", verAddr, "--data", verData, "--registry", d.registryURL, "--registry-key", keyFile,
		"--local-scheme", demoseed.LocalScheme, "--allow-hosts", "127.0.0.1", "--allow-http")
	if err := waitReady(ctx, d.verifierURL); err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	d.say("verifier %s is ready: it holds a verified snapshot (registry version >= %d).", d.verifierURL, p.AppliedVersion)

	d.title("A Singapore company gets its BusinessRegistration credential (VC-JOSE-COSE, EdDSA)")
	subject := map[string]any{"id": "did:example:sg-company-acme", "uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
		"registeredAddress": "1 Marina Boulevard, Singapore 018989", "incorporationDate": "2019-04-02", "entityType": "Private Company Limited by Shares"}
	var issued struct {
		VerifiableCredential json.RawMessage `json:"verifiableCredential"`
	}
	if _, err := call(ctx, http.MethodPost, d.issuerURL+"/credentials/issue", d.apiKey,
		map[string]any{"type": demoseed.Type, "format": "vc+jwt", "credentialSubject": subject}, &issued, http.StatusCreated); err != nil {
		return fmt.Errorf("issue: %w", err)
	}
	d.say("POST %s/credentials/issue -> 201, an enveloped vc+jwt credential of %d bytes with a revocation status entry.", d.issuerURL, len(issued.VerifiableCredential))

	d.title("The company presents it to the Lingang verifier")
	res, status, err := d.verify(ctx, issued.VerifiableCredential)
	if err != nil {
		return err
	}
	if status != http.StatusOK || !res.Verified {
		return fmt.Errorf("expected the credential to verify, got HTTP %d: %s", status, res.summary())
	}
	d.say("POST %s/credentials/verify -> 200 verified", d.verifierURL)
	d.say("  grounds: authority %s, scheme %s (%s), agreement %s, local assurance %s, registry version %d",
		res.Recognition.Authority, res.Recognition.Scheme, res.Recognition.Jurisdiction, res.Recognition.Agreement,
		res.Recognition.LocalAssurance, res.Recognition.RegistryVersion)
	d.say("  claims under Lingang's names: %s", compactJSON(res.Claims))
	if !strings.Contains(string(res.Claims), `"registrationNumber"`) {
		return fmt.Errorf("expected the uen claim mapped to registrationNumber, got %s", res.Claims)
	}

	d.title("A regulator acts: alice proposes suspending the authority, bob approves")
	susp, err := d.alice.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "signing key reported compromised", time.Now()),
		"Suspend pending investigation of a key compromise", "")
	if err != nil {
		return fmt.Errorf("propose suspension: %w", err)
	}
	d.say("alice proposed %s; it changes nothing until someone else approves.", susp.ID)
	approvedAt := time.Now()
	susp, err = d.bob.Approve(ctx, susp.ID, "confirmed with the Singapore registrar")
	if err != nil {
		return fmt.Errorf("approve suspension: %w", err)
	}
	d.say("bob approved: registry version %d. The audit log records who proposed, who approved, when and why.", susp.AppliedVersion)

	d.title("The verifier sees the change and rejects the credential")
	for {
		res, status, err = d.verify(ctx, issued.VerifiableCredential)
		if err != nil {
			return err
		}
		if res.hasCode("authority_suspended") {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the verifier did not see the suspension in time; last answer HTTP %d: %s", status, res.summary())
		case <-time.After(100 * time.Millisecond):
		}
	}
	d.say("The suspension reached the verifier %.2fs after approval (signed snapshot, long-poll).", time.Since(approvedAt).Seconds())
	if status != http.StatusBadRequest || res.Verified {
		return fmt.Errorf("expected HTTP 400 not verified, got HTTP %d: %s", status, res.summary())
	}
	d.say("POST %s/credentials/verify -> %d, verified=false, error code authority_suspended", d.verifierURL, status)

	d.title("carol, the auditor, checks the audit chain")
	report, err := d.carol.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	if !report.OK {
		return fmt.Errorf("audit chain broken: %+v", report)
	}
	d.say("GET %s/admin/v1/audit/verify: %d records, hash chain intact.", d.registryURL, report.Records)
	return nil
}

func (d *demo) verify(ctx context.Context, cred json.RawMessage) (*verifyResult, int, error) {
	var res verifyResult
	status, err := call(ctx, http.MethodPost, d.verifierURL+"/credentials/verify", "",
		map[string]any{"verifiableCredential": cred}, &res, http.StatusOK, http.StatusBadRequest)
	if err != nil {
		return nil, status, fmt.Errorf("verify: %w", err)
	}
	return &res, status, nil
}

func (d *demo) printCurls() {
	d.say("\nThe services keep running (Ctrl-C stops them); the authority stays suspended, so the registry now answers authorized=false. Public endpoints:")
	for _, l := range []string{
		"curl -s " + d.registryURL + "/v1/registry",
		"curl -s " + d.registryURL + "/v1/authorities",
		"curl -s " + d.registryURL + "/v1/snapshot",
		"curl -s " + d.registryURL + "/v1/snapshot/key",
		"curl -s -X POST -H 'Content-Type: application/json' " + d.registryURL + "/authorization -d '{\"entity_id\":\"" + d.issuerDID + "\",\"authority_id\":\"" + demoseed.LocalScheme + "\",\"action\":\"issue\",\"resource\":\"" + demoseed.Type + "\"}'",
		"curl -s " + d.issuerURL + "/.well-known/did.json",
		"curl -s " + d.issuerURL + "/.well-known/jwks.json",
		"curl -s " + d.issuerURL + "/credential-types",
		"curl -s -X POST -H 'Authorization: Bearer " + d.apiKey + "' -H 'Content-Type: application/json' " + d.issuerURL + "/credentials/issue -d '{\"type\":\"BusinessRegistration\",\"credentialSubject\":{\"uen\":\"201912345K\",\"legalName\":\"Acme\",\"registeredAddress\":\"1 Marina Blvd\",\"incorporationDate\":\"2019-04-02\",\"entityType\":\"Private Company\"}}'",
		"curl -s -X POST " + d.verifierURL + "/challenges",
		"curl -s " + d.verifierURL + "/readyz",
	} {
		d.say("  %s", l)
	}
	d.say("Regulator tokens (demo only): alice %s  bob %s  carol %s", d.alice.Token, d.bob.Token, d.carol.Token)
}

// verifyResult is the part of the verifier's VC-API answer the demo reads.
type verifyResult struct {
	Verified bool `json:"verified"`
	Errors   []struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
	} `json:"errors"`
	Recognition struct {
		Authority       string `json:"authority"`
		Scheme          string `json:"scheme"`
		Jurisdiction    string `json:"jurisdiction"`
		Agreement       string `json:"agreement"`
		LocalAssurance  string `json:"localAssurance"`
		RegistryVersion uint64 `json:"registryVersion"`
	} `json:"recognition"`
	Claims json.RawMessage `json:"claims"`
}

func (r *verifyResult) hasCode(code string) bool {
	for _, e := range r.Errors {
		if e.Code == code {
			return true
		}
	}
	return false
}

func (r *verifyResult) summary() string {
	var codes []string
	for _, e := range r.Errors {
		codes = append(codes, e.Code+": "+e.Detail)
	}
	return fmt.Sprintf("verified=%v errors=[%s]", r.Verified, strings.Join(codes, "; "))
}

// serviceGroup runs subcommands as in-process services until stopped.
type serviceGroup struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	lastErr error
}

func (g *serviceGroup) start(ctx context.Context, env Env, args ...string) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := run(ctx, args, env); err != nil && ctx.Err() == nil {
			g.mu.Lock()
			g.lastErr = fmt.Errorf("%s: %w", args[0], err)
			g.mu.Unlock()
			g.cancel()
		}
	}()
}

func (g *serviceGroup) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lastErr
}

func (g *serviceGroup) stop() {
	g.cancel()
	g.wg.Wait()
}

// runCapture runs a subcommand and returns the last line it printed (the token convention).
func runCapture(ctx context.Context, env Env, args ...string) (string, error) {
	var out bytes.Buffer
	sub := env
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

// freeAddrs picks three free loopback ports.
func freeAddrs() (string, string, string, error) {
	var addrs []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", "", "", fmt.Errorf("pick a free port: %w", err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs[0], addrs[1], addrs[2], nil
}

var demoHTTP = &http.Client{Timeout: 10 * time.Second}

// waitReady polls base/readyz until it answers 200.
func waitReady(ctx context.Context, base string) error {
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		resp, err := demoHTTP.Do(req)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d %s", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready in time (last: %s)", last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// call sends a JSON request and decodes the answer into out when its status is one of want.
func call(ctx context.Context, method, url, token string, in, out any, want ...int) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := demoHTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	for _, w := range want {
		if resp.StatusCode == w {
			if out != nil {
				if err := json.Unmarshal(b, out); err != nil {
					return resp.StatusCode, fmt.Errorf("%s %s: decode answer: %w", method, url, err)
				}
			}
			return resp.StatusCode, nil
		}
	}
	return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, b)
}

func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

func shorten(s string) string {
	if len(s) <= 60 {
		return s
	}
	return s[:40] + "..." + s[len(s)-12:]
}
