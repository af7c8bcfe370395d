package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/trustregistry"
)

// syncBuf is a goroutine-safe buffer for a running command's output.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func regEnv(vars map[string]string) (Env, *syncBuf, *syncBuf) {
	out, errb := new(syncBuf), new(syncBuf)
	return Env{Stdout: out, Stderr: errb, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}, out, errb
}

// adminCmd runs 'idport admin args...' and returns stdout.
func adminCmd(t *testing.T, vars map[string]string, args ...string) (string, error) {
	t.Helper()
	env, out, errb := regEnv(vars)
	err := run(context.Background(), append([]string{"admin"}, args...), env)
	if err != nil {
		t.Logf("admin %v: %v\nstderr: %s", args, err, errb.String())
	}
	return out.String(), err
}

func regLastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func regFreeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestRegistryAndAdminCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "registry")
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte("0123456789abcdef0123456789abcdef\n"), 0o600)

	tokens := map[string]string{}
	for name, role := range map[string]string{"alice": "proposer", "bob": "approver", "audrey": "auditor,admin", "root": "admin"} {
		out, err := adminCmd(t, nil, "bootstrap", "--data", data, "--account", name, "--role", role)
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = regLastLine(out)
		if _, ok := trustregistry.TokenID(tokens[name]); !ok {
			t.Fatalf("bootstrap output %q: last line is not the token", out)
		}
	}
	if _, err := adminCmd(t, nil, "bootstrap", "--data", data, "--account", "x", "--role", "king"); err == nil {
		t.Fatal("bootstrap accepted an unknown role")
	}

	addr := regFreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	env, _, errb := regEnv(map[string]string{"IDPORT_KEY_SECRET_FILE": secretFile, "IDPORT_QUORUM": "2"})
	done := make(chan error, 1)
	keyFile := filepath.Join(dir, "registry.jwk")
	go func() {
		done <- run(ctx, []string{"registry", "--addr", addr, "--data", data, "--export-key", keyFile}, env)
	}()
	url := "http://" + addr
	for i := 0; ; i++ {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i > 500 {
			t.Fatalf("registry did not start: %v %s", err, errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if b, err := os.ReadFile(keyFile); err != nil || !bytes.Contains(b, []byte(`"kty"`)) {
		t.Fatalf("exported key: %s %v", b, err)
	}
	as := func(who string) map[string]string {
		return map[string]string{"IDPORT_REGISTRY": url, "IDPORT_TOKEN": tokens[who]}
	}

	seed := filepath.Join(dir, "seed.json")
	b, _ := json.Marshal(demoseed.ChangeSet("did:web:registrar.example.sg", time.Now().Add(-time.Hour)))
	os.WriteFile(seed, b, 0o644)
	out, err := adminCmd(t, as("alice"), "propose", "--file", seed, "--reason", "seed the demo", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var p trustregistry.Proposal
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.ID == "" {
		t.Fatalf("propose --json: %q %v", out, err)
	}
	if _, err := adminCmd(t, as("alice"), "approve", p.ID); err == nil {
		t.Fatal("alice (proposer only) approved")
	}
	out, err = adminCmd(t, as("bob"), "approve", p.ID, "--comment", "checked")
	if err != nil || !strings.Contains(out, "applied as registry version 6") { // after 4 audited bootstraps and its filing
		t.Fatalf("approve: %q %v", out, err)
	}
	out, err = adminCmd(t, as("alice"), "suspend", "--authority", demoseed.AuthorityID, "--reason", "licence under review", "--json")
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(out), &p)
	if out, err = adminCmd(t, as("bob"), "proposals", "--status", "pending"); err != nil || !strings.Contains(out, p.ID) {
		t.Fatalf("proposals: %q %v", out, err)
	}
	if out, err = adminCmd(t, as("bob"), "proposals", "show", p.ID); err != nil || !strings.Contains(out, "set_authority_status") {
		t.Fatalf("show: %q %v", out, err)
	}
	if out, err = adminCmd(t, as("bob"), "approve", p.ID, "--json"); err != nil || !strings.Contains(out, `"applied_version": 8`) {
		t.Fatalf("approve suspension: %q %v", out, err)
	}
	if out, err = adminCmd(t, as("bob"), "history", "authority", demoseed.AuthorityID); err != nil || strings.Count(out, "\n") != 3 {
		t.Fatalf("history: %q %v", out, err)
	}
	if out, err = adminCmd(t, as("audrey"), "audit", "export"); err != nil || strings.Count(out, "\n") != 8 || !strings.Contains(out, "licence under review") {
		t.Fatalf("audit export: %q %v", out, err)
	}
	if out, err = adminCmd(t, as("audrey"), "audit", "verify"); err != nil || !strings.Contains(out, "audit chain OK: 8 records") {
		t.Fatalf("audit verify: %q %v", out, err)
	}
	// carol generates her token; audrey proposes her account with its enrolment; root approves.
	enrol := filepath.Join(dir, "carol.enrol.json")
	out, err = adminCmd(t, nil, "token", "new", "--enrolment", enrol)
	if err != nil || !strings.Contains(out, "fingerprint:") {
		t.Fatalf("token new: %q %v", out, err)
	}
	carolTok := regLastLine(out)
	approveAsRoot := func(out string) {
		t.Helper()
		var p trustregistry.Proposal
		if err := json.Unmarshal([]byte(out), &p); err != nil || p.ID == "" {
			t.Fatalf("proposal: %q %v", out, err)
		}
		if out, err := adminCmd(t, as("root"), "approve", p.ID); err != nil || !strings.Contains(out, "applied") {
			t.Fatalf("root approves %s: %q %v", p.ID, out, err)
		}
	}
	out, err = adminCmd(t, as("audrey"), "account", "create", "--name", "carol", "--role", "approver", "--enrolment", enrol, "--reason", "new approver", "--json")
	if err != nil || strings.Contains(out, carolTok) {
		t.Fatalf("account create: %q %v", out, err)
	}
	approveAsRoot(out)
	if out, err = adminCmd(t, map[string]string{"IDPORT_REGISTRY": url, "IDPORT_TOKEN": carolTok}, "whoami", "--json"); err != nil || !strings.Contains(out, `"carol"`) {
		t.Fatalf("whoami: %q %v", out, err)
	}
	out, err = adminCmd(t, as("bob"), "account", "rotate-token")
	if _, ok := trustregistry.TokenID(regLastLine(out)); err != nil || !ok {
		t.Fatalf("rotate-token: %q %v", out, err)
	}
	tokens["bob"] = regLastLine(out)
	if _, err = adminCmd(t, as("bob"), "whoami"); err != nil {
		t.Fatalf("new token: %v", err)
	}
	if out, err = adminCmd(t, as("bob"), "token", "list"); err != nil || !strings.Contains(out, "bob") || strings.Contains(out, "alice") {
		t.Fatalf("token list (own): %q %v", out, err)
	}
	if out, err = adminCmd(t, as("audrey"), "account", "disable", "--name", "carol", "--reason", "left", "--json"); err != nil {
		t.Fatalf("disable: %q %v", out, err)
	}
	approveAsRoot(out)
	if _, err := adminCmd(t, map[string]string{"IDPORT_REGISTRY": url, "IDPORT_TOKEN": carolTok}, "whoami"); err == nil {
		t.Fatal("disabled account still works")
	}
	if out, err = adminCmd(t, as("audrey"), "rotate-key", "--reason", "yearly", "--json"); err != nil {
		t.Fatalf("rotate-key: %q %v", out, err)
	}
	approveAsRoot(out)
	if out, err = adminCmd(t, as("audrey"), "policy", "set", "--quorum", "3", "--reason", "three eyes", "--json"); err != nil {
		t.Fatalf("policy set: %q %v", out, err)
	}
	approveAsRoot(out)
	if out, err = adminCmd(t, as("bob"), "policy", "show"); err != nil || !strings.Contains(out, "3") {
		t.Fatalf("policy show: %q %v", out, err)
	}
	if _, err := adminCmd(t, as("bob"), "frobnicate"); err == nil {
		t.Fatal("unknown command accepted")
	}
	if _, err := adminCmd(t, map[string]string{"IDPORT_REGISTRY": url, "IDPORT_TOKEN": "wrong-token-wrong-token"}, "whoami"); err == nil || !strings.Contains(err.Error(), "unauthorized") {
		t.Fatalf("bad token: %v", err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("registry exit: %v", err)
	}
	// Offline verification after the service stopped.
	if out, err = adminCmd(t, nil, "audit", "verify", "--data", data, "--json"); err != nil || !strings.Contains(out, `"ok": true`) {
		t.Fatalf("offline verify: %q %v", out, err)
	}
}

func TestRegistryFlagErrors(t *testing.T) {
	env, _, _ := regEnv(nil)
	ctx := context.Background()
	if err := run(ctx, []string{"registry", "--data", t.TempDir(), "--addr", regFreeAddr(t)}, env); err == nil || !strings.Contains(err.Error(), "key secret") {
		t.Fatalf("no secret: %v", err)
	}
	if err := run(ctx, []string{"registry", "--dev", "--data", t.TempDir(), "--quorum", "1"}, env); err == nil {
		t.Fatal("quorum 1 accepted")
	}
	if err := run(ctx, []string{"registry", "--dev", "--cert-accounts", "nope"}, env); err == nil {
		t.Fatal("bad --cert-accounts accepted")
	}
	if err := run(ctx, []string{"registry", "--help"}, env); err != errUsage {
		t.Fatalf("--help: %v", err)
	}
	if _, err := adminCmd(t, nil, "bootstrap", "--data", t.TempDir()); err == nil {
		t.Fatal("bootstrap without account")
	}
}
