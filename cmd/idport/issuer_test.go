package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func issuerTestEnv(vars map[string]string) (Env, *syncBuffer, *syncBuffer) {
	out, errb := &syncBuffer{}, &syncBuffer{}
	return Env{Stdout: out, Stderr: errb, Logger: slog.New(slog.DiscardHandler),
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}, out, errb
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestIssuerNeedsSecret(t *testing.T) {
	env, _, _ := issuerTestEnv(nil)
	err := runIssuer(context.Background(), []string{"--data", t.TempDir()}, env)
	if err == nil || !strings.Contains(err.Error(), "--key-secret-file") || !strings.Contains(err.Error(), "IDPORT_KEY_SECRET") {
		t.Fatalf("missing secret: %v", err)
	}
}

func TestIssuerToolsAndService(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("a secret of enough bytes for sealing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	env, out, _ := issuerTestEnv(map[string]string{"IDPORT_KEY_SECRET_FILE": secretFile, "IDPORT_DATA": dir})
	if err := runIssuer(ctx, []string{"apikey", "create", "--scope", "BusinessRegistration", "--name", "acra"}, env); err != nil {
		t.Fatal(err)
	}
	token := lastLine(out.String())
	if !strings.HasPrefix(token, "idpi_") {
		t.Fatalf("API key line %q", token)
	}
	if err := runIssuer(ctx, []string{"keys", "rotate"}, env); err != nil {
		t.Fatal(err)
	}
	env2, out2, _ := issuerTestEnv(map[string]string{"IDPORT_KEY_SECRET_FILE": secretFile})
	if err := runIssuer(ctx, []string{"keys", "list", "--data", dir}, env2); err != nil {
		t.Fatal(err)
	}
	var ks []struct {
		KID     string `json:"kid"`
		Current bool   `json:"current"`
	}
	if err := json.Unmarshal([]byte(out2.String()), &ks); err != nil || len(ks) != 2 {
		t.Fatalf("keys list: %v %s", err, out2.String())
	}

	// The service: a free port, the API key created above, one issuance over HTTP.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runIssuer(sctx, []string{"--addr", addr}, env) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("issuer exit: %v", err)
		}
	}()
	var resp *http.Response
	for i := 0; i < 100; i++ {
		if resp, err = http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body := `{"type":"BusinessRegistration","credentialSubject":{"uen":"1","legalName":"A","registeredAddress":"B","incorporationDate":"2020-01-01","entityType":"C"}}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/credentials/issue", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if code, b := send(t, req); code != http.StatusCreated || !strings.Contains(string(b), "EnvelopedVerifiableCredential") {
		t.Fatalf("issue: %d %s", code, b)
	}
}

func TestIssuerDevPrintsKey(t *testing.T) {
	dir := t.TempDir()
	env, out, errb := issuerTestEnv(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runIssuer(ctx, []string{"--dev", "--data", dir, "--addr", "127.0.0.1:0", "--did-method", "did:key"}, env)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.HasPrefix(lastLine(out.String()), "idpi_") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(lastLine(out.String()), "idpi_") || !strings.Contains(errb.String(), "WARNING") {
		t.Fatalf("dev output %q / %q", out.String(), errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, devSecretFile)); err != nil {
		t.Fatal(err)
	}
}

func TestIssuerTypesFileAndBadConfig(t *testing.T) {
	dir := t.TempDir()
	types := filepath.Join(dir, "types.yaml")
	if err := os.WriteFile(types, []byte("types:\n  - name: TradeLicence\n    validity: 30d\n    claims:\n      - {name: licenceNo, type: string, required: true}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"IDPORT_KEY_SECRET": "a secret of enough bytes for sealing"}
	env, out, _ := issuerTestEnv(vars)
	ctx := context.Background()
	if err := runIssuer(ctx, []string{"apikey", "create", "--data", dir, "--types-file", types, "--scope", "TradeLicence"}, env); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(lastLine(out.String()), "idpi_") {
		t.Fatalf("output %q", out.String())
	}
	for _, args := range [][]string{
		{"--data", dir, "--types-file", filepath.Join(dir, "missing.yaml")},
		{"--data", dir, "--did-method", "did:example"},
		{"--data", dir, "--alg", "RS256"},
		{"keys", "spin", "--data", dir},
		{"apikey", "create", "--data", dir},
		{"--data", dir, "extra-argument"},
	} {
		env, _, _ := issuerTestEnv(vars)
		if err := runIssuer(ctx, args, env); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
