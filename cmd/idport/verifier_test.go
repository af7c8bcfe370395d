package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func testEnv(vars map[string]string) (Env, *bytes.Buffer) {
	var out bytes.Buffer
	return Env{Stdout: &out, Stderr: &out, Logger: slog.New(slog.DiscardHandler),
		Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}, &out
}

func TestRunVerifierFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no registry without dev", []string{"--data", t.TempDir()}, "--registry URL and --registry-key FILE are required"},
		{"registry without key", []string{"--data", t.TempDir(), "--registry", "http://127.0.0.1:1"}, "--registry-key"},
		{"bad status mode", []string{"--dev", "--status-fail-mode", "maybe"}, "--status-fail-mode"},
		{"bad claim mode", []string{"--dev", "--cross-border-claims", "some"}, "--cross-border-claims"},
		{"stray argument", []string{"--dev", "extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _ := testEnv(nil)
			err := runVerifier(context.Background(), tt.args, env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
	env, out := testEnv(nil)
	if err := runVerifier(context.Background(), []string{"--help"}, env); err == nil || !strings.Contains(out.String(), "IDPORT_REGISTRY_KEY") {
		t.Fatalf("--help: %v %q", err, out.String())
	}
}

// TestRunVerifierDevWithoutRegistry: with IDPORT_DEV=1 and no registry the
// verifier starts, is unready, rejects credentials with registry_stale,
// and shuts down when its context ends.
func TestRunVerifierDevWithoutRegistry(t *testing.T) {
	addr := freeAddr(t)
	env, _ := testEnv(map[string]string{"IDPORT_DEV": "1", "IDPORT_DATA": t.TempDir()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runVerifier(ctx, []string{"--addr", addr}, env) }()

	base := "http://" + addr
	var resp *http.Response
	var err error
	for range 100 {
		if resp, err = http.Get(base + "/readyz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz %d, want 503", resp.StatusCode)
	}
	k, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	issuer, kid, _ := did.KeyDID(k.Public)
	k.ID = kid
	c, err := vc.ParseCredential([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","BusinessRegistration"],` +
		`"issuer":"` + issuer + `","validFrom":"2020-01-01T00:00:00Z","credentialSubject":{"uen":"201912345K"}}`))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := vcjwt.SignVCJOSE(k, c)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"verifiableCredential":"` + jws + `"}`
	resp, err = http.Post(base+"/credentials/verify", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	errs, _ := m["errors"].([]any)
	if resp.StatusCode != http.StatusBadRequest || m["verified"] != false || len(errs) == 0 || errs[0].(map[string]any)["code"] != "registry_stale" {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("runVerifier: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("runVerifier did not stop")
	}
}
