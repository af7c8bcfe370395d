package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/testpki"
)

// startCmd runs 'idport args...' until the test ends.
func startCmd(t *testing.T, env Env, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, env) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("idport %s: %v", args[0], err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("idport %s did not stop", args[0])
		}
	})
}

// send sends req with the default client and returns the status and the whole body.
func send(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, b
}

// getWith GETs url with client (and a bearer token when set) until it answers, and returns
// the status and body.
func getWith(t *testing.T, client *http.Client, url, token string) (int, string) {
	t.Helper()
	var err error
	for range 200 {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		var resp *http.Response
		if resp, err = client.Do(req); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, err)
	return 0, ""
}

// waitStatus polls url until it answers want, failing after about 10 s.
func waitStatus(t *testing.T, client *http.Client, url string, want int) string {
	t.Helper()
	var body string
	var got int
	for range 200 {
		if got, body = getWith(t, client, url, ""); got == want {
			return body
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET %s: %d %s, want %d", url, got, body, want)
	return ""
}

// waitBody polls url until it answers want with a body containing text (or gives up, failing).
func waitBody(t *testing.T, client *http.Client, url string, want int, text string) string {
	t.Helper()
	var body string
	var got int
	for range 200 {
		if got, body = getWith(t, client, url, ""); got == want && strings.Contains(body, text) {
			return body
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET %s: %d %s, want %d with %q", url, got, body, want, text)
	return ""
}

func tlsClient(cfg *tls.Config) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

// The three services over TLS: the registry with a separate admin listener, a verifier that
// requires client certificates and follows the registry over HTTPS, and its readiness rule
// (no authority: not ready; a local scheme the registry does not list: not ready, naming it).
func TestServicesOverTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, dir, "servers")
	srv := ca.Server(t, "server", "localhost")
	clients := testpki.NewCA(t, dir, "backends")
	backend := clients.Client(t, "backend", "rp-backend")
	secret := filepath.Join(dir, "registry.secret")
	os.WriteFile(secret, []byte("0123456789abcdef0123456789abcdef\n"), 0o600)
	data := filepath.Join(dir, "registry")
	tokens := map[string]string{}
	for name, role := range map[string]string{"alice": "proposer", "bob": "approver"} {
		out, err := adminCmd(t, nil, "bootstrap", "--data", data, "--account", name, "--role", role)
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = regLastLine(out)
	}

	pub, adm, keyFile := freeAddr(t), freeAddr(t), filepath.Join(dir, "registry.jwk")
	env, _, _ := regEnv(nil)
	startCmd(t, env, "registry", "--addr", pub, "--admin-addr", adm, "--data", data, "--key-secret-file", secret,
		"--export-key", keyFile, "--tls-cert", srv.CertFile, "--tls-key", srv.KeyFile)
	client := tlsClient(&tls.Config{RootCAs: ca.Pool()})
	waitStatus(t, client, "https://"+pub+"/readyz", http.StatusOK)
	if code, _ := getWith(t, client, "https://"+pub+"/admin/v1/whoami", tokens["bob"]); code != http.StatusNotFound {
		t.Fatalf("admin API on the public listener: %d", code)
	}
	if code, _ := getWith(t, client, "https://"+pub+"/console/", ""); code != http.StatusNotFound {
		t.Fatalf("console on the public listener: %d", code)
	}
	if code, body := getWith(t, client, "https://"+adm+"/admin/v1/whoami", tokens["bob"]); code != http.StatusOK || !strings.Contains(body, "bob") {
		t.Fatalf("admin API on the admin listener: %d %s", code, body)
	}
	if code, _ := getWith(t, client, "https://"+adm+"/v1/registry", ""); code != http.StatusNotFound {
		t.Fatalf("public queries on the admin listener: %d", code)
	}

	// A verifier on an empty registry is not ready; so is one whose local scheme is misspelt.
	v1, v2 := freeAddr(t), freeAddr(t)
	venv, _ := testEnv(nil)
	common := []string{"--registry", "https://" + pub, "--registry-key", keyFile, "--registry-ca", ca.File,
		"--tls-cert", srv.CertFile, "--tls-key", srv.KeyFile, "--client-ca", clients.File, "--require-client-cert"}
	startCmd(t, venv, append([]string{"verifier", "--addr", v1, "--data", filepath.Join(dir, "v1"), "--local-scheme", demoseed.LocalScheme}, common...)...)
	startCmd(t, venv, append([]string{"verifier", "--addr", v2, "--data", filepath.Join(dir, "v2"), "--local-scheme", "cn-sh-lg.corprate"}, common...)...)
	withCert := tlsClient(&tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{backend.TLS}})
	// Not ready while it has no snapshot yet, then still not ready once it holds the empty one.
	if body := waitBody(t, withCert, "https://"+v1+"/readyz", http.StatusServiceUnavailable, "no authority"); !strings.Contains(body, "no authority") {
		t.Fatalf("verifier on an empty registry: %s", body)
	}
	if _, err := client.Get("https://" + v1 + "/healthz"); err == nil {
		t.Fatal("the verifier served a client without a certificate")
	}

	seed := filepath.Join(dir, "seed.json")
	b, _ := json.Marshal(demoseed.ChangeSet("did:web:registrar.example.sg", time.Now().Add(-time.Hour)))
	os.WriteFile(seed, b, 0o644)
	as := func(who string) map[string]string {
		return map[string]string{"IDPORT_REGISTRY": "https://" + adm, "IDPORT_TOKEN": tokens[who], "IDPORT_CACERT": ca.File}
	}
	out, err := adminCmd(t, as("alice"), "propose", "--file", seed, "--reason", "seed", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ ID string }
	json.Unmarshal([]byte(out), &p)
	if _, err := adminCmd(t, as("bob"), "approve", p.ID); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, withCert, "https://"+v1+"/readyz", http.StatusOK)
	body := waitBody(t, withCert, "https://"+v2+"/readyz", http.StatusServiceUnavailable, "cn-sh-lg.corprate")
	if !strings.Contains(body, `local scheme \"cn-sh-lg.corprate\"`) {
		t.Fatalf("verifier with a misspelt local scheme: %s", body)
	}
	_, metrics := getWith(t, withCert, "https://"+v1+"/metrics", "")
	for _, m := range []string{"idport_verifier_registry_snapshot_version ", "idport_verifier_registry_snapshot_age_seconds ",
		`idport_verifier_registry_syncs_total{result="updated"}`, `idport_verifier_registry_sync_error{reason="fetch"} 0`,
		"idport_verifier_registry_ready 1"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("verifier metrics lack %q", m)
		}
	}
}

// --rate-limit on the verifier: one client over its budget gets 429 with Retry-After, another
// client (address) is unaffected.
func TestVerifierRateLimit(t *testing.T) {
	env, _ := testEnv(nil)
	base := startVerifier(t, env, "--dev", "--data", t.TempDir(), "--rate-limit", "0.2", "--rate-burst", "2")
	post := func(cl *http.Client) *http.Response {
		resp, err := cl.Post(base+"/challenges", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	one, two := localClient("127.0.0.1"), localClient("127.0.0.2")
	var last *http.Response
	for range 3 {
		last = post(one)
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("third request of one client: %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
	}
	if r := post(two); r.StatusCode == http.StatusTooManyRequests {
		t.Fatal("another client was limited")
	}
}

func localClient(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}
