package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idport/idport/internal/etcdtest"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/etcdstore"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// subprocessArgs names the environment variable that turns this test binary into the idport
// binary: TestMain runs the command its JSON array holds, so that tests start real processes
// (which they can SIGKILL) without building the binary first.
const subprocessArgs = "IDPORT_TEST_SUBPROCESS_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(subprocessArgs); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(exitCode(runMain(args)))
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

// TestVerifierReplicasOnEtcd runs three verifier processes on one embedded etcd behind a
// round-robin proxy: an OpenID4VP request created through one process is served (request
// object, outcome) by the others, signed with the one shared key.
func TestVerifierReplicasOnEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and three verifier processes")
	}
	srv, err := etcdtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addrs := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	proxy := httptest.NewServer(roundRobin(addrs))
	defer proxy.Close()
	procs := make([]*exec.Cmd, 3)
	for i := range procs {
		procs[i] = idportProcess(t, nil, "verifier", "--dev", "--addr", addrs[i], "--data", t.TempDir(),
			"--store", "etcd", "--etcd-endpoints", srv.Endpoint, "--public-url", proxy.URL,
			"--openid4vp-api-key", "rp-key", "--openid4vp-signing-secret", "a signing secret of enough bytes")
		waitHealthy(t, addrs[i])
	}
	defer func() {
		for _, p := range procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
	}()
	call := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, proxy.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer rp-key")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, b := call(http.MethodPost, "/openid4vp/requests", `{"dcql_query":{"credentials":[{"id":"c","format":"dc+sd-jwt","meta":{"vct_values":["https://example.test/T"]}}]}}`)
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("create request: %d %s", code, b)
	}
	var created struct {
		TransactionID string `json:"transaction_id"`
		ClientID      string `json:"client_id"`
	}
	if err := json.Unmarshal(b, &created); err != nil || created.TransactionID == "" {
		t.Fatalf("created: %s", b)
	}
	for i := range 3 { // every process answers for the transaction
		if code, b := call(http.MethodGet, "/openid4vp/request-objects/"+created.TransactionID, ""); code != http.StatusOK {
			t.Fatalf("request object on replica %d: %d %s", i, code, b)
		}
		if code, b := call(http.MethodGet, "/openid4vp/requests/"+created.TransactionID, ""); code != http.StatusAccepted || !strings.Contains(string(b), "pending") {
			t.Fatalf("outcome on replica %d: %d %s", i, code, b)
		}
	}
	// A second request, created on another process, names the same verifier.
	_, b = call(http.MethodPost, "/openid4vp/requests", `{"dcql_query":{"credentials":[{"id":"c","format":"dc+sd-jwt","meta":{"vct_values":["https://example.test/T"]}}]}}`)
	var second struct {
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal(b, &second); err != nil || second.ClientID != created.ClientID {
		t.Fatalf("replicas sign as different verifiers: %q and %q", created.ClientID, second.ClientID)
	}
}
