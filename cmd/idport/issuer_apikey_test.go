package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSecret writes a secret file in a fresh directory.
func writeSecret(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(s+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type listedKey struct {
	ID, Name, Principal, State string
	Scopes                     []string
	Expires                    time.Time
}

func listKeys(t *testing.T, dir, secretFile string) []listedKey {
	t.Helper()
	env, out, _ := issuerTestEnv(nil)
	if err := runIssuer(context.Background(), []string{"apikey", "list", "--json", "--data", dir, "--key-secret-file", secretFile}, env); err != nil {
		t.Fatal(err)
	}
	var ks []listedKey
	if err := json.Unmarshal([]byte(out.String()), &ks); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if strings.Contains(out.String(), "hash") {
		t.Fatalf("list shows hashes: %s", out.String())
	}
	return ks
}

// API keys are created with an expiry, listed without secrets, rotated and revoked through
// the binary's run function.
func TestIssuerAPIKeyLifecycle(t *testing.T) {
	dir := t.TempDir()
	secretFile := writeSecret(t, "a secret of enough bytes for sealing")
	ctx := context.Background()
	run1 := func(args ...string) string {
		t.Helper()
		env, out, _ := issuerTestEnv(nil)
		if err := runIssuer(ctx, append(args, "--data", dir, "--key-secret-file", secretFile), env); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	tok := lastLine(run1("apikey", "create", "--scope", "BusinessRegistration", "--name", "acra"))
	short := lastLine(run1("apikey", "create", "--scope", "*", "--name", "short", "--ttl", "24h"))
	ks := listKeys(t, dir, secretFile)
	if len(ks) != 2 {
		t.Fatalf("listed %+v", ks)
	}
	for _, k := range ks {
		if strings.Contains(tok, k.ID) && (k.Name != "acra" || k.State != "active" || time.Until(k.Expires) < 89*24*time.Hour || time.Until(k.Expires) > 91*24*time.Hour) {
			t.Fatalf("default key %+v", k)
		}
		if strings.Contains(short, k.ID) && time.Until(k.Expires) > 25*time.Hour {
			t.Fatalf("--ttl key %+v", k)
		}
		if strings.Contains(k.ID, tok[len(tok)-10:]) {
			t.Fatal("listed a secret")
		}
	}
	rotated := lastLine(run1("apikey", "rotate", "--id", tok[:13]))
	if !strings.HasPrefix(rotated, "idpi_") || rotated == tok {
		t.Fatalf("rotate printed %q", rotated)
	}
	run1("apikey", "revoke", "--id", short[:13])
	states := map[string]listedKey{}
	for _, k := range listKeys(t, dir, secretFile) {
		states[k.ID] = k
	}
	if states[tok[:13]].State != "revoked" || states[short[:13]].State != "revoked" || states[rotated[:13]].State != "active" ||
		states[rotated[:13]].Principal != tok[:13] || states[rotated[:13]].Name != "acra" {
		t.Fatalf("after rotate and revoke: %+v", states)
	}
	env, _, _ := issuerTestEnv(nil)
	if err := runIssuer(ctx, []string{"apikey", "revoke", "--id", "idpi_nothere", "--data", dir, "--key-secret-file", secretFile}, env); err == nil {
		t.Fatal("revoked an unknown key")
	}

	// The service accepts the rotated key only.
	addr, stop := startIssuer(t, dir, secretFile)
	defer stop()
	if st := issueOver(t, addr, rotated); st != http.StatusCreated {
		t.Fatalf("rotated key: %d", st)
	}
	for _, old := range []string{tok, short} {
		if st := issueOver(t, addr, old); st != http.StatusUnauthorized {
			t.Fatalf("revoked key: %d", st)
		}
	}
}

// The key-sealing secret must be strong; rotate-secret moves the signing keys to a new one,
// and the service restarted with the new secret keeps signing with the same key.
func TestIssuerRotateSecret(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	for _, weak := range []string{"0123456789abcdef", strings.Repeat("a", 32), strings.Repeat("passw0rd", 8)} {
		env, _, _ := issuerTestEnv(nil)
		if err := runIssuer(ctx, []string{"apikey", "create", "--scope", "*", "--data", t.TempDir(), "--key-secret-file", writeSecret(t, weak)}, env); err == nil ||
			!strings.Contains(err.Error(), "secret") {
			t.Fatalf("weak secret %q: %v", weak, err)
		}
	}
	oldFile := writeSecret(t, "the old secret of enough bytes for sealing")
	newFile := writeSecret(t, "5f0c8e3b1d9a47f2c6e0b8a3d5f7e9c1b2a4d6f8e0c2a4b6d8f0e2c4a6b8d0f2")
	env, out, _ := issuerTestEnv(nil)
	if err := runIssuer(ctx, []string{"apikey", "create", "--scope", "*", "--data", dir, "--key-secret-file", oldFile}, env); err != nil {
		t.Fatal(err)
	}
	tok := lastLine(out.String())
	kidsBefore := issuerKIDs(t, dir, oldFile)

	env, _, _ = issuerTestEnv(nil)
	if err := runIssuer(ctx, []string{"rotate-secret", "--data", dir, "--old-secret-file", writeSecret(t, "a wrong secret of enough bytes for sealing"), "--new-secret-file", newFile}, env); err == nil {
		t.Fatal("rotated with a wrong old secret")
	}
	env, _, _ = issuerTestEnv(nil)
	if err := runIssuer(ctx, []string{"rotate-secret", "--data", dir, "--old-secret-file", oldFile, "--new-secret-file", writeSecret(t, strings.Repeat("ab", 32))}, env); err == nil {
		t.Fatal("rotated to a weak secret")
	}
	env, out, _ = issuerTestEnv(nil)
	if err := runIssuer(ctx, []string{"rotate-secret", "--data", dir, "--old-secret-file", oldFile, "--new-secret-file", newFile}, env); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "sealed 1 signing key") {
		t.Fatalf("rotate-secret printed %q", out.String())
	}
	env, _, _ = issuerTestEnv(nil)
	if err := runIssuer(ctx, []string{"keys", "list", "--data", dir, "--key-secret-file", oldFile}, env); err == nil {
		t.Fatal("the old secret still opens the keys")
	}
	if kidsAfter := issuerKIDs(t, dir, newFile); kidsAfter != kidsBefore {
		t.Fatalf("keys changed: %s -> %s", kidsBefore, kidsAfter)
	}
	addr, stop := startIssuer(t, dir, newFile)
	defer stop()
	if st := issueOver(t, addr, tok); st != http.StatusCreated {
		t.Fatalf("issue after rotation: %d", st)
	}
}

func issuerKIDs(t *testing.T, dir, secretFile string) string {
	t.Helper()
	env, out, _ := issuerTestEnv(nil)
	if err := runIssuer(context.Background(), []string{"keys", "list", "--data", dir, "--key-secret-file", secretFile}, env); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// startIssuer runs the issuer service on a free port over dir and waits until it is healthy.
func startIssuer(t *testing.T, dir, secretFile string) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	env, _, _ := issuerTestEnv(nil)
	go func() {
		done <- runIssuer(ctx, []string{"--addr", addr, "--data", dir, "--key-secret-file", secretFile}, env)
	}()
	for i := 0; i < 200; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("issuer exit: %v", err)
		}
	}
}

// issueOver issues a BusinessRegistration credential over HTTP and returns the status.
func issueOver(t *testing.T, addr, tok string) int {
	t.Helper()
	body := `{"type":"BusinessRegistration","credentialSubject":{"uen":"1","legalName":"A","registeredAddress":"B","incorporationDate":"2020-01-01","entityType":"C"}}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/credentials/issue", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
