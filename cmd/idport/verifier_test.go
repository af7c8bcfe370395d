package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/pkg/vcld"
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

// startVerifier runs 'idport verifier' with args and env until the test
// ends and returns its base URL once it answers /readyz (with any status).
func startVerifier(t *testing.T, env Env, args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runVerifier(ctx, append([]string{"--addr", addr}, args...), env) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("runVerifier: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("runVerifier did not stop")
		}
	})
	base := "http://" + addr
	var err error
	for range 100 {
		var resp *http.Response
		if resp, err = http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			return base
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(err)
	return ""
}

// postVerify posts a credential to /credentials/verify and returns the
// HTTP status and the decoded body.
func postVerify(t *testing.T, base, cred string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"verifiableCredential": cred})
	resp, err := http.Post(base+"/credentials/verify", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

func firstCode(m map[string]any) any {
	errs, _ := m["errors"].([]any)
	if len(errs) == 0 {
		return nil
	}
	e, _ := errs[0].(map[string]any)
	return e["code"]
}

// didKeyIssuer generates an Ed25519 did:key issuer.
func didKeyIssuer(t *testing.T) (*keys.Key, string) {
	t.Helper()
	k, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	issuer, kid, err := did.KeyDID(k.Public)
	if err != nil {
		t.Fatal(err)
	}
	k.ID = kid
	return k, issuer
}

// signVC signs a VC 2.0 credential by issuer as a vc+jwt, with a status
// entry when status is not nil.
func signVC(t *testing.T, k *keys.Key, issuer string, status map[string]any) string {
	t.Helper()
	m := map[string]any{"@context": []any{"https://www.w3.org/ns/credentials/v2"}, "type": []any{"VerifiableCredential", "BusinessRegistration"},
		"issuer": issuer, "validFrom": "2020-01-01T00:00:00Z", "credentialSubject": map[string]any{"uen": "201912345K"}}
	if status != nil {
		m["credentialStatus"] = status
	}
	b, _ := json.Marshal(m)
	c, err := vc.ParseCredential(b)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := vcjwt.SignVCJOSE(k, c)
	if err != nil {
		t.Fatal(err)
	}
	return jws
}

// TestRunVerifierDevWithoutRegistry: with IDPORT_DEV=1 and no registry the
// verifier starts, is unready, rejects credentials with registry_stale,
// and shuts down when its context ends.
func TestRunVerifierDevWithoutRegistry(t *testing.T) {
	env, _ := testEnv(map[string]string{"IDPORT_DEV": "1", "IDPORT_DATA": t.TempDir()})
	base := startVerifier(t, env)
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz %d, want 503", resp.StatusCode)
	}
	k, issuer := didKeyIssuer(t)
	if code, m := postVerify(t, base, signVC(t, k, issuer, nil)); code != http.StatusBadRequest || m["verified"] != false || firstCode(m) != "registry_stale" {
		t.Fatalf("%d %v", code, m)
	}
}

// TestRunVerifierDataIntegrityStatusList: the verifier reads Bitstring
// status list credentials secured with an eddsa-rdfc-2022 proof (signed
// here with pkg/vcld, served over loopback): a set entry is revoked, a
// clear one verifies, and a list issued by another issuer is refused.
func TestRunVerifierDataIntegrityStatusList(t *testing.T) {
	k, issuer := didKeyIssuer(t)
	otherKey, other := didKeyIssuer(t)
	lists := map[string][]byte{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := lists[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/vc+ld+json")
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	publish := func(path string, k *keys.Key, issuer string) {
		list, err := statuslist.NewBitstring(statuslist.MinEntries)
		if err != nil {
			t.Fatal(err)
		}
		if err := list.Set(7, true); err != nil {
			t.Fatal(err)
		}
		cred, err := statuslist.BitstringCredential(statuslist.BitstringParams{Issuer: issuer, ID: srv.URL + path, Purpose: statuslist.PurposeRevocation,
			List: list, ValidFrom: time.Now().Add(-time.Minute), ValidUntil: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		unsigned, _ := json.Marshal(cred)
		signed, err := vcld.SignCredential(context.Background(), unsigned, vcld.SignOptions{Signer: k.Signer, VerificationMethod: k.ID})
		if err != nil {
			t.Fatal(err)
		}
		lists[path] = signed
	}
	publish("/own", k, issuer)
	publish("/other", otherKey, other)
	entry := func(path, idx string) map[string]any {
		return map[string]any{"id": srv.URL + path + "#" + idx, "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
			"statusListIndex": idx, "statusListCredential": srv.URL + path}
	}

	env, _ := testEnv(nil)
	base := startVerifier(t, env, "--dev", "--data", t.TempDir(), "--recognition-optional", "--allow-hosts", "127.0.0.1", "--allow-http")
	tests := []struct {
		name, path, idx string
		status          int
		code            any
	}{
		{"clear entry", "/own", "8", http.StatusOK, nil},
		{"revoked entry", "/own", "7", http.StatusBadRequest, "revoked"},
		{"another issuer's list", "/other", "8", http.StatusBadRequest, "status_list_issuer_mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := postVerify(t, base, signVC(t, k, issuer, entry(tt.path, tt.idx)))
			if code != tt.status || firstCode(m) != tt.code {
				t.Fatalf("%d %v", code, m)
			}
		})
	}
}

// TestVerifierPolicyHolderBinding: the service requires holder binding in
// presentations unless --allow-bearer-credentials (or its environment
// variable) relaxes it.
func TestVerifierPolicyHolderBinding(t *testing.T) {
	for _, tt := range []struct {
		name    string
		args    []string
		env     map[string]string
		require bool
	}{
		{"default", nil, nil, true},
		{"flag", []string{"--allow-bearer-credentials"}, nil, false},
		{"environment", nil, map[string]string{"IDPORT_ALLOW_BEARER_CREDENTIALS": "true"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var f verifierFlags
			fs := flag.NewFlagSet("verifier", flag.ContinueOnError)
			f.register(fs)
			env, _ := testEnv(tt.env)
			if err := parseFlags(fs, tt.args, env); err != nil {
				t.Fatal(err)
			}
			p, err := f.policy()
			if err != nil {
				t.Fatal(err)
			}
			if p.RequireHolderBinding != tt.require {
				t.Fatalf("RequireHolderBinding %v, want %v", p.RequireHolderBinding, tt.require)
			}
		})
	}
}
