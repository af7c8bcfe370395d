package issuer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/idport/idport/issuer"
)

const crashChildEnv = "IDPORT_ISSUER_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	if spec := os.Getenv(loadChildEnv); spec != "" {
		os.Exit(loadChild(spec))
	}
	os.Exit(m.Run())
}

const crashBaseURL = "https://issuer.crash.example"

// crashChild serves the issuer over loopback until it is killed; it prints its address.
func crashChild(dir string) {
	svc, err := open(config{DataDir: dir, Config: issuer.Config{BaseURL: crashBaseURL, Secret: secret,
		Logger: slog.New(slog.DiscardHandler)}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.Exit(4)
	}
	fmt.Printf("ADDR %s\n", ln.Addr())
	_ = http.Serve(ln, svc.Handler())
}

// acked records what the child acknowledged.
type acked struct {
	mu      sync.Mutex
	issued  map[string]string // credential id -> "set/index"
	revoked map[string]bool
}

func statusEntryOf(t *testing.T, vcJSON []byte) string {
	var r struct {
		VC struct {
			ID string `json:"id"`
		} `json:"verifiableCredential"`
	}
	if err := json.Unmarshal(vcJSON, &r); err != nil {
		t.Errorf("decode 201 body: %v", err)
		return ""
	}
	tok := strings.TrimPrefix(r.VC.ID, "data:application/vc+jwt,")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Errorf("not a JWS: %q", tok)
		return ""
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Status []struct {
			Index string `json:"statusListIndex"`
			List  string `json:"statusListCredential"`
		} `json:"credentialStatus"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || len(c.Status) == 0 {
		t.Errorf("payload without status: %v %s", err, payload)
		return ""
	}
	set := c.Status[0].List[strings.LastIndexByte(c.Status[0].List, '-')+1:]
	return set + "/" + c.Status[0].Index
}

// TestCrashNeverReusesIndexOrLosesStatus kills a real issuer process with SIGKILL while
// clients issue and revoke, restarts it, and checks that no status index was handed out
// twice and that every acknowledged issuance and revocation survived.
func TestCrashNeverReusesIndexOrLosesStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test starts child processes")
	}
	dir := t.TempDir()
	svc, err := open(config{DataDir: dir, Config: issuer.Config{BaseURL: crashBaseURL, Secret: secret, Logger: slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	token, err := svc.CreateAPIKey(context.Background(), "crash", "*")
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()

	a := &acked{issued: map[string]string{}, revoked: map[string]bool{}}
	seenEntries := map[string]string{}
	client := &http.Client{Timeout: 2 * time.Second}
	const rounds = 6
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		stdout, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "ADDR ") {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("round %d: child did not start: %v %q %s", round, err, line, stderr.String())
		}
		base := "http://" + strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []string
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if i%3 == 2 && len(mine) > 0 {
						id := mine[rand.IntN(len(mine))]
						body := fmt.Sprintf(`{"credentialId":%q,"action":"revoke"}`, id)
						if post(client, base+"/credentials/status", token, body) == http.StatusOK {
							a.mu.Lock()
							a.revoked[id] = true
							a.mu.Unlock()
						}
						continue
					}
					body := fmt.Sprintf(`{"type":"BusinessRegistration","credentialSubject":{"uen":"%d-%d","legalName":"A","registeredAddress":"B","incorporationDate":"2020-01-01","entityType":"C"}}`, w, i)
					req, _ := http.NewRequest(http.MethodPost, base+"/credentials/issue", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+token)
					resp, err := client.Do(req)
					if err != nil {
						continue
					}
					b, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated || rerr != nil {
						continue
					}
					id := resp.Header.Get("Idport-Credential-Id")
					entry := statusEntryOf(t, b)
					a.mu.Lock()
					if other, dup := seenEntries[entry]; dup {
						t.Errorf("status entry %s handed out twice: %s and %s", entry, other, id)
					}
					seenEntries[entry] = id
					a.issued[id] = entry
					a.mu.Unlock()
					mine = append(mine, id)
				}
			}()
		}
		time.Sleep(time.Duration(100+rand.IntN(200)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		close(stop)
		_ = cmd.Wait()
		wg.Wait()
	}

	svc, err = open(config{DataDir: dir, Config: issuer.Config{BaseURL: crashBaseURL, Secret: secret, Logger: slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if len(a.issued) < rounds || len(a.revoked) == 0 {
		t.Fatalf("too little work to mean anything: %d issued, %d revoked", len(a.issued), len(a.revoked))
	}
	for id, entry := range a.issued {
		st, err := svc.Issuer().Status(context.Background(), id)
		if err != nil {
			t.Fatalf("acknowledged credential %s lost: %v", id, err)
		}
		if got := fmt.Sprint(st.Status.Set, "/", st.Status.Index); got != entry {
			t.Fatalf("credential %s: entry %s in the log, %s handed out", id, got, entry)
		}
		if a.revoked[id] && st.State != "revoked" {
			t.Fatalf("acknowledged revocation of %s lost (state %s)", id, st.State)
		}
	}
	t.Logf("%d rounds killed with SIGKILL: %d acknowledged issuances, %d acknowledged revocations, all durable and unique", rounds, len(a.issued), len(a.revoked))
}

func post(c *http.Client, url, token, body string) int {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
