package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/etcdtest"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/internal/wallet"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/etcdstore"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// subprocessArgs names the environment variable that turns this test binary into the idport
// binary: TestMain runs the command its JSON array holds, so that tests start real processes
// (which they can SIGKILL) without building the binary first.
const subprocessArgs = "IDPORT_TEST_SUBPROCESS_ARGS"

func TestMain(m *testing.M) {
	if os.Getenv(asIdport) == "1" && filepath.Base(os.Args[0]) == "idport" {
		os.Exit(idportMain(os.Args[1:]))
	}
	if a := os.Getenv(subprocessArgs); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(idportMain(args))
	}
	os.Exit(m.Run())
}

// idportProcess starts this test binary as `idport args...` with extra environment variables.
func idportProcess(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), subprocessArgs+"="+string(a)), env...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	for range 300 {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s not healthy", addr)
}

var jwtRE = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.(eyJ[A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+`)

// issuedEntry decodes the credential id and its status entry (set, index) from an issuance
// answer holding a VC-JOSE-COSE credential.
func issuedEntry(body []byte) (string, issuer.StatusRef, error) {
	m := jwtRE.FindSubmatch(body)
	if m == nil {
		return "", issuer.StatusRef{}, fmt.Errorf("no JWT in %s", body)
	}
	raw, err := base64.RawURLEncoding.DecodeString(string(m[1]))
	if err != nil {
		return "", issuer.StatusRef{}, err
	}
	var c struct {
		ID     string `json:"id"`
		Status []struct {
			Index string `json:"statusListIndex"`
			List  string `json:"statusListCredential"`
		} `json:"credentialStatus"`
	}
	if err := json.Unmarshal(raw, &c); err != nil || len(c.Status) == 0 {
		return "", issuer.StatusRef{}, fmt.Errorf("credential without status: %s", raw)
	}
	var ref issuer.StatusRef
	list := c.Status[0].List
	if _, err := fmt.Sscan(list[strings.LastIndexAny(list, "/-")+1:], &ref.Set); err != nil {
		return "", ref, fmt.Errorf("status list URL %q: %w", list, err)
	}
	if _, err := fmt.Sscan(c.Status[0].Index, &ref.Index); err != nil {
		return "", ref, err
	}
	return c.ID, ref, nil
}

// TestIssuerReplicasOnEtcd runs three issuer processes on one embedded etcd under concurrent
// issuance load, SIGKILLs one of them twice during the load (restarting it each time), and then
// checks the store: every credential handed out has its own status entry and is recorded, and
// every allocated entry belongs to a recorded credential.
func TestIssuerReplicasOnEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and three issuer processes")
	}
	srv, err := etcdtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	prefix := "/idport-test/issuers/"
	storeArgs := []string{"--store", "etcd", "--etcd-endpoints", srv.Endpoint, "--etcd-prefix", prefix}
	secret := "IDPORT_KEY_SECRET=a secret of enough bytes for sealing the keys"
	ctx := context.Background()

	// The first key and the API key, made once before the replicas start.
	env, out, _ := issuerTestEnv(map[string]string{"IDPORT_KEY_SECRET": "a secret of enough bytes for sealing the keys"})
	if err := runIssuer(ctx, append([]string{"apikey", "create", "--scope", "*", "--name", "load"}, storeArgs...), env); err != nil {
		t.Fatal(err)
	}
	token := lastLine(out.String())

	base := "http://" + freeAddr(t) // one public identity for the three replicas
	addrs := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	start := func(i int) *exec.Cmd {
		return idportProcess(t, []string{secret}, append([]string{"issuer", "--addr", addrs[i], "--base-url", base, "--refresh-interval", "200ms"}, storeArgs...)...)
	}
	var mu sync.Mutex
	procs := make([]*exec.Cmd, 3)
	for i := range procs {
		procs[i] = start(i)
		waitHealthy(t, addrs[i])
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}()

	type issued struct {
		id  string
		ref issuer.StatusRef
	}
	var (
		got      []issued
		failures atomic.Int64
		next     atomic.Int64
	)
	body := `{"type":"BusinessRegistration","credentialSubject":{"uen":"1","legalName":"A","registeredAddress":"B","incorporationDate":"2020-01-01","entityType":"C"}}`
	deadline := time.Now().Add(4 * time.Second)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				addr := addrs[next.Add(1)%3]
				req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/credentials/issue", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					failures.Add(1) // the killed process
					time.Sleep(5 * time.Millisecond)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					failures.Add(1)
					continue
				}
				id, ref, err := issuedEntry(b)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got = append(got, issued{id, ref})
				mu.Unlock()
			}
		})
	}
	for _, at := range []time.Duration{time.Second, 2500 * time.Millisecond} {
		time.Sleep(at - time.Since(deadline.Add(-4*time.Second)))
		mu.Lock()
		_ = procs[1].Process.Kill() // SIGKILL during load
		_ = procs[1].Wait()
		procs[1] = start(1)
		mu.Unlock()
	}
	wg.Wait()

	st, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: []string{srv.Endpoint}, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seen := map[issuer.StatusRef]string{}
	for _, c := range got {
		if other, dup := seen[c.ref]; dup {
			t.Fatalf("status entry %d/%d handed out twice: %s and %s", c.ref.Set, c.ref.Index, other, c.id)
		}
		seen[c.ref] = c.id
		rec, ok, err := st.Credential(ctx, c.id)
		if err != nil || !ok || rec.Status != c.ref {
			t.Fatalf("credential %s handed out but recorded as %+v (ok=%v err=%v)", c.id, rec, ok, err)
		}
	}
	// Every allocated entry belongs to a recorded credential that holds it.
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{srv.Endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	allocs, err := cli.Get(ctx, prefix+"d/alloc/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	allocated := len(allocs.Kvs)
	for _, kv := range allocs.Kvs {
		rec, ok, err := st.Credential(ctx, string(kv.Value))
		if err != nil || !ok || prefix+"d/alloc/"+fmt.Sprintf("%010d/%010d", rec.Status.Set, rec.Status.Index) != string(kv.Key) {
			t.Fatalf("allocated entry %s of %s: record %+v ok=%v err=%v", kv.Key, kv.Value, rec, ok, err)
		}
	}
	// Every allocation was written with its credential record in one transaction; an entry
	// with no record would be a gap. The extra records are credentials whose answer the kill
	// cut off after they were recorded.
	if allocated < len(got) {
		t.Fatalf("%d allocated entries for %d credentials handed out", allocated, len(got))
	}
	t.Logf("%d credentials handed out by 3 issuer processes (2 SIGKILLs), %d entries recorded, %d refused or cut off requests", len(got), allocated, failures.Load())
	if len(got) < 100 {
		t.Fatalf("only %d credentials issued under load", len(got))
	}
}

// roundRobin is a reverse proxy that sends each request to the next of addrs.
func roundRobin(addrs []string) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := addrs[n.Add(1)%int64(len(addrs))]
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+addr+r.URL.RequestURI(), r.Body)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
}

// verifierReplicas are three verifier processes on one embedded etcd, following one registry
// process, behind a round-robin proxy that is their public URL. The registry recognises a
// did:key issuer (the demo authority); holder is a wallet its credentials are bound to.
type verifierReplicas struct {
	addrs      []string // each process's own address
	proxy      *httptest.Server
	alice, bob *adminclient.Client // the regulator's proposer and approver
	issuer     *keys.Key
	issuerDID  string
	holder     *wallet.Wallet
}

// replicaVCT is the SD-JWT VC type of the replicas' issuer, recognised beside BusinessRegistration.
const replicaVCT = "https://issuer.example.sg/types/BusinessRegistration"

// startVerifierReplicas starts etcd, the registry (seeded with the demo recognition of a fresh
// did:key issuer) and the three verifiers, and waits until each is ready. Everything stops
// when the test ends.
func startVerifierReplicas(t *testing.T) *verifierReplicas {
	t.Helper()
	srv, err := etcdtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r := &verifierReplicas{addrs: []string{freeAddr(t), freeAddr(t), freeAddr(t)}}
	r.issuer, r.issuerDID = didKeyIssuer(t)
	if r.holder, err = wallet.New(keys.ES256); err != nil {
		t.Fatal(err)
	}
	regURL, keyFile := r.startRegistry(t)
	r.proxy = httptest.NewServer(roundRobin(r.addrs))
	t.Cleanup(r.proxy.Close)
	for _, addr := range r.addrs {
		p := idportProcess(t, nil, "verifier", "--addr", addr, "--data", t.TempDir(),
			"--registry", regURL, "--registry-key", keyFile, "--local-scheme", demoseed.LocalScheme,
			"--store", "etcd", "--etcd-endpoints", srv.Endpoint, "--public-url", r.proxy.URL,
			"--openid4vp-api-key", "rp-key", "--openid4vp-signing-secret", "a signing secret of enough bytes")
		t.Cleanup(func() { _ = p.Process.Kill(); _ = p.Wait() })
	}
	for _, addr := range r.addrs {
		waitStatus(t, http.DefaultClient, "http://"+addr+"/readyz", http.StatusOK)
	}
	return r
}

// startRegistry starts `idport registry` as a process with a proposer (alice) and an approver
// (bob), seeds the demo recognition of r's issuer and returns its URL and pinned key file.
func (r *verifierReplicas) startRegistry(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	data, secret, keyFile := filepath.Join(dir, "registry"), filepath.Join(dir, "secret"), filepath.Join(dir, "registry.jwk")
	if err := os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, a := range [][2]string{{"alice", "proposer"}, {"bob", "approver"}} {
		out, err := adminCmd(t, nil, "bootstrap", "--data", data, "--account", a[0], "--role", a[1])
		if err != nil {
			t.Fatal(err)
		}
		tokens[a[0]] = regLastLine(out)
	}
	addr := freeAddr(t)
	p := idportProcess(t, nil, "registry", "--addr", addr, "--data", data, "--key-secret-file", secret, "--export-key", keyFile)
	t.Cleanup(func() { _ = p.Process.Kill(); _ = p.Wait() })
	url := "http://" + addr
	waitStatus(t, http.DefaultClient, url+"/readyz", http.StatusOK)
	r.alice, r.bob = adminclient.New(url, tokens["alice"]), adminclient.New(url, tokens["bob"])
	if _, err := demoseed.Seed(context.Background(), r.alice, r.bob, r.issuerDID, time.Now().Add(-time.Hour), replicaVCT); err != nil {
		t.Fatal(err)
	}
	return url, keyFile
}

// process is the verifier process i, reached at its own address.
func (r *verifierReplicas) process(i int) *stack.Verifier {
	return &stack.Verifier{URL: "http://" + r.addrs[i], OpenID4VPAPIKey: "rp-key"}
}

// credential is a BusinessRegistration of r's issuer (VC-JOSE-COSE) whose subject is the holder.
func (r *verifierReplicas) credential(t *testing.T) string {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"@context": []any{"https://www.w3.org/ns/credentials/v2"},
		"type": []any{"VerifiableCredential", demoseed.Type}, "issuer": r.issuerDID,
		"validFrom":         time.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
		"credentialSubject": map[string]any{"id": r.holder.DID, "uen": "201912345K"}})
	c, err := vc.ParseCredential(b)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := vcjwt.SignVCJOSE(r.issuer, c)
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

// sdJWT is an SD-JWT VC of r's issuer bound to the holder's key (cnf), as the wallet holds it.
func (r *verifierReplicas) sdJWT(t *testing.T) wallet.Credential {
	t.Helper()
	sd, err := vcjwt.SignSDJWT(r.issuer, vcjwt.SDJWTParams{Issuer: r.issuerDID, VCT: replicaVCT, HolderKey: r.holder.Key.Public,
		Claims: map[string]any{"uen": "201912345K", "legalName": "Acme Trading Pte. Ltd."}, Disclose: []string{"uen", "legalName"}})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(sd)
	return wallet.Credential{ConfigurationID: demoseed.Type, Format: "dc+sd-jwt", Raw: raw}
}

// TestVerifierReplicasOnEtcd runs three verifier processes on one embedded etcd, following one
// registry process, and checks from outside that they behave as one verifier: an OpenID4VP
// request created through one is served by all and signed as one client; a challenge is used
// once across all; an OpenID4VP response is accepted once across all; and a regulator's change
// reaches every one within a second.
func TestVerifierReplicasOnEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd, a registry and three verifier processes")
	}
	r := startVerifierReplicas(t)
	t.Run("one transaction store and signing key", r.checkSharedRequests)
	t.Run("challenges single use across processes", r.checkChallenges)
	t.Run("OpenID4VP response accepted once across processes", r.checkOpenID4VP)
	t.Run("registry change visible on every process", r.checkRegistryChange) // last: suspends the issuer
}

// checkSharedRequests: a request created through the proxy is served (request object, outcome)
// by every process, and a request created on another process names the same client.
func (r *verifierReplicas) checkSharedRequests(t *testing.T) {
	ctx := context.Background()
	query := stack.LegalNameAndUENQuery(replicaVCT)
	created, err := (&stack.Verifier{URL: r.proxy.URL, OpenID4VPAPIKey: "rp-key"}).RequestPresentation(ctx, query, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.addrs {
		if code, body := getWith(t, http.DefaultClient, "http://"+r.addrs[i]+"/openid4vp/request-objects/"+created.TransactionID, ""); code != http.StatusOK {
			t.Fatalf("request object on process %d: %d %s", i, code, body)
		}
		if _, code, err := r.process(i).Outcome(ctx, created.TransactionID, 0); err != nil || code != http.StatusAccepted {
			t.Fatalf("outcome on process %d: %d %v", i, code, err)
		}
	}
	second, err := r.process(2).RequestPresentation(ctx, query, "", "")
	if err != nil || second.ClientID != created.ClientID {
		t.Fatalf("processes sign as different verifiers: %q and %+v (%v)", created.ClientID, second, err)
	}
}

// checkChallenges: a presentation for a challenge issued by process 0 verifies on process 1;
// the same presentation replayed on process 2 is refused with challenge_reused.
func (r *verifierReplicas) checkChallenges(t *testing.T) {
	ctx := context.Background()
	challenge, err := r.process(0).Challenge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const domain = "https://rp.example.cn"
	vp, err := vcjwt.SignVPJWT(r.holder.Key, vcjwt.VPParams{Version: 2, Holder: r.holder.DID,
		Credentials: []string{r.credential(t)}, Nonce: challenge, Audience: domain})
	if err != nil {
		t.Fatal(err)
	}
	res, code, err := r.process(1).VerifyPresentation(ctx, vp, domain)
	if err != nil || code != http.StatusOK || !res.Verified {
		t.Fatalf("presentation for process 0's challenge on process 1: %d %v %v", code, summary(res), err)
	}
	res, code, err = r.process(2).VerifyPresentation(ctx, vp, domain)
	if err != nil || code != http.StatusBadRequest || !stack.HasError(res, string(verifier.CodeChallengeReused)) {
		t.Fatalf("replay on process 2: %d %v %v, want 400 %s", code, summary(res), err, verifier.CodeChallengeReused)
	}
}

func summary(res *httpapi.Response) string {
	if res == nil {
		return "no answer"
	}
	return stack.Summary(res)
}

// pinned is the wallet's transport: it sends every request to the process at addr, whatever
// host the URL names (the proxy, in request and response URIs), and keeps the last body posted.
type pinned struct {
	addr   string
	posted []byte
}

func (p *pinned) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Host, req.Host = p.addr, ""
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		p.posted, req.Body = b, io.NopCloser(bytes.NewReader(b))
	}
	return http.DefaultTransport.RoundTrip(req)
}

// checkOpenID4VP: a request created on process 0 is answered by the wallet's direct_post on
// process 1, its outcome is verified on process 2, and the same response posted again on
// process 0 is refused (409 openid4vp_transaction_done).
func (r *verifierReplicas) checkOpenID4VP(t *testing.T) {
	ctx := context.Background()
	created, err := r.process(0).RequestPresentation(ctx, stack.LegalNameAndUENQuery(replicaVCT), "direct_post", "")
	if err != nil {
		t.Fatal(err)
	}
	tr := &pinned{addr: r.addrs[2]}
	r.holder.HTTP = &http.Client{Timeout: 10 * time.Second, Transport: tr}
	req, err := r.holder.Resolve(ctx, created.DeepLink)
	if err != nil {
		t.Fatal(err)
	}
	tr.addr = r.addrs[1]
	if err := r.holder.Present(ctx, req, r.sdJWT(t), req.Asked()); err != nil {
		t.Fatalf("direct_post on process 1: %v", err)
	}
	res, code, err := r.process(2).Outcome(ctx, created.TransactionID, 0)
	if err != nil || code != http.StatusOK || !res.Verified {
		t.Fatalf("outcome on process 2: %d %v %v", code, summary(res), err)
	}
	u, _ := url.Parse(req.ResponseURI)
	again, _ := http.NewRequest(http.MethodPost, "http://"+r.addrs[0]+u.Path, bytes.NewReader(tr.posted))
	again.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if code, b := send(t, again); code != http.StatusConflict || !strings.Contains(string(b), "openid4vp_transaction_done") {
		t.Fatalf("the same response again on process 0: %d %s, want 409 openid4vp_transaction_done", code, b)
	}
}

// maxRegistryLag is how long a regulator's approved change may take to reach every verifier;
// registryLagGiveUp is how long a process is polled for it.
const (
	maxRegistryLag    = time.Second
	registryLagGiveUp = 5 * time.Second
)

// checkRegistryChange: the regulator suspends the issuer's authority; every process's verdict
// on the issuer's credential turns to authority_suspended within maxRegistryLag of the
// approval's answer.
func (r *verifierReplicas) checkRegistryChange(t *testing.T) {
	ctx := context.Background()
	cred, _ := json.Marshal(r.credential(t))
	for i := range r.addrs {
		if res, code, err := r.process(i).VerifyCredential(ctx, cred); err != nil || !res.Verified {
			t.Fatalf("before the change, process %d: %d %v %v", i, code, summary(res), err)
		}
	}
	p, err := r.alice.Propose(ctx, trustregistry.SuspendAuthority(demoseed.AuthorityID, "licence under review", time.Now()), "licence under review", "")
	if err != nil {
		t.Fatal(err)
	}
	asked := time.Now()
	if _, err := r.bob.Approve(ctx, p.ID, ""); err != nil {
		t.Fatal(err)
	}
	approved := time.Now()
	t.Logf("the approval answered in %s", approved.Sub(asked).Round(time.Millisecond))
	lags := make([]time.Duration, len(r.addrs))
	var wg sync.WaitGroup
	for i := range r.addrs {
		wg.Go(func() { lags[i] = r.suspendedAfter(ctx, i, cred, approved) })
	}
	wg.Wait()
	for i, lag := range lags {
		switch {
		case lag < 0:
			t.Errorf("process %d never saw the suspension (polled %s): registry changes do not reach every replica", i, registryLagGiveUp)
		case lag > maxRegistryLag:
			t.Errorf("process %d saw the suspension %s after the approval (limit %s): registry changes do not reach every replica in time", i, lag, maxRegistryLag)
		default:
			t.Logf("process %d: verdict authority_suspended %s after the approval's answer", i, lag.Round(time.Millisecond))
		}
	}
}

// suspendedAfter polls process i with the issuer's credential until its verdict is
// authority_suspended and returns how long after since that was (-1 when it never was within
// registryLagGiveUp).
func (r *verifierReplicas) suspendedAfter(ctx context.Context, i int, cred json.RawMessage, since time.Time) time.Duration {
	for time.Since(since) < registryLagGiveUp {
		if res, _, err := r.process(i).VerifyCredential(ctx, cred); err == nil && stack.HasError(res, string(verifier.CodeAuthoritySuspended)) {
			return time.Since(since)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return -1
}
