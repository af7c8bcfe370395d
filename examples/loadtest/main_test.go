package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestInProcessVerify runs the tool as `loadtest -n 300 -c 8 --json` against its own world and
// checks that every request was answered 200 verified and that the report adds up.
func TestInProcessVerify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	if code := cli(ctx, []string{"-n", "300", "-c", "8", "-d", "50s", "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if rep.Requests != 300 || rep.OK != 300 || rep.Status[http.StatusOK] != 300 || len(rep.Status) != 1 || rep.Errors != 0 {
		t.Fatalf("want 300 answered 200 verified, got %+v", rep)
	}
	if rep.Target != "verify" || rep.Mode != "in-process" || rep.Concurrency != 8 || rep.Client != clientWire || !strings.HasSuffix(rep.URL, "/credentials/verify") {
		t.Errorf("report describes the wrong run: %+v", rep)
	}
	if rep.RPS <= 0 || rep.Elapsed <= 0 {
		t.Errorf("no throughput: %+v", rep)
	}
	if !(0 < rep.P50 && rep.P50 <= rep.P90 && rep.P90 <= rep.P99 && rep.P99 <= rep.Max) {
		t.Errorf("latencies out of order: p50 %s p90 %s p99 %s max %s", rep.P50, rep.P90, rep.P99, rep.Max)
	}
	if rep.PeakRSS < 1<<20 {
		t.Errorf("peak RSS %d bytes, want the process's VmHWM", rep.PeakRSS)
	}
	// A verification allocates: a report of none would mean the counter is not read.
	gogc := debug.SetGCPercent(-1)
	debug.SetGCPercent(gogc)
	if rep.AllocsPerRequest < 10 || rep.GCPercent != gogc {
		t.Errorf("allocations per request %.1f, GOGC %d: want the process's", rep.AllocsPerRequest, rep.GCPercent)
	}

	var text bytes.Buffer
	rep.Print(&text)
	for _, want := range []string{"requests/s", "p50", "p99", "200 x 300", "errors     0", "peak RSS", "heap allocations per request", "GOGC="} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestExternalTarget drives --url mode against a stand-in verifier on loopback and checks the
// counting of good, bad and failed answers.
func TestExternalTarget(t *testing.T) {
	var (
		mu  sync.Mutex
		got []byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/credentials/verify" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "wrong request", http.StatusTeapot)
			return
		}
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = b
		mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"verified":false,"errors":[{"code":"authority_suspended"}]}`)
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "cred.jwt")
	if err := os.WriteFile(file, []byte("eyJhbGciOiJFZERTQSJ9.e30.c2ln\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Concurrency: 2, Requests: 10, Duration: 10 * time.Second, Target: "verify", URL: srv.URL + "/", CredentialFile: file}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	rep, err := run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 10 || rep.Status[http.StatusBadRequest] != 10 || rep.OK != 0 || rep.PeakRSS != 0 || rep.Mode != "external" {
		t.Errorf("want 10 answers 400 not counted as verified, got %+v", rep)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := `{"verifiableCredential":"eyJhbGciOiJFZERTQSJ9.e30.c2ln"}`; string(got) != want {
		t.Errorf("body %s, want %s", got, want)
	}

	srv.Close() // nothing listens any more: every request is an error, and the run still ends
	rep, err = run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 10 || rep.Errors != 10 || len(rep.ErrorKinds) == 0 || rep.P50 != 0 {
		t.Errorf("want 10 transport errors, got %+v", rep)
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want error
	}{
		{"defaults", nil, nil},
		{"issue in-process", []string{"--target", "issue"}, nil},
		{"loopback url", []string{"--url", "http://127.0.0.1:8082", "--credential", "f"}, nil},
		{"localhost url", []string{"--url", "http://localhost:8082", "--credential", "f"}, nil},
		{"ipv6 loopback", []string{"--url", "http://[::1]:8082", "--credential", "f"}, nil},
		{"remote refused", []string{"--url", "https://verifier.example.com", "--credential", "f"}, ErrRemoteTarget},
		{"private refused", []string{"--url", "http://10.0.0.5:8082", "--credential", "f"}, ErrRemoteTarget},
		{"remote allowed", []string{"--url", "https://verifier.example.com", "--credential", "f", "--allow-remote"}, nil},
		{"not a url", []string{"--url", "127.0.0.1:8082", "--credential", "f"}, ErrUsage},
		{"url without credential", []string{"--url", "http://127.0.0.1:8082"}, ErrUsage},
		{"issue url without key", []string{"--url", "http://127.0.0.1:8081", "--target", "issue"}, ErrUsage},
		{"credential without url", []string{"--credential", "f"}, ErrUsage},
		{"zero concurrency", []string{"-c", "0"}, ErrUsage},
		{"too many workers", []string{"-c", "5000"}, ErrUsage},
		{"zero requests", []string{"-n", "0"}, ErrUsage},
		{"unbounded duration", []string{"-d", "0s"}, ErrUsage},
		{"too long", []string{"-d", "2h"}, ErrUsage},
		{"unknown target", []string{"--target", "status"}, ErrUsage},
		{"stray argument", []string{"extra"}, ErrUsage},
		{"baseline", []string{"--baseline"}, nil},
		{"baseline with url", []string{"--baseline", "--url", "http://127.0.0.1:8082", "--credential", "f"}, ErrUsage},
		{"baseline with issue", []string{"--baseline", "--target", "issue"}, ErrUsage},
		{"net/http client", []string{"--client", "net/http"}, nil},
		{"wire client", []string{"--client", "wire", "--url", "http://127.0.0.1:8082", "--credential", "f"}, nil},
		{"wire client over https", []string{"--client", "wire", "--url", "https://127.0.0.1:8082", "--credential", "f"}, ErrUsage},
		{"https with auto client", []string{"--url", "https://127.0.0.1:8082", "--credential", "f"}, nil},
		{"unknown client", []string{"--client", "curl"}, ErrUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			if !errors.Is(err, tt.want) {
				t.Fatalf("parseFlags(%q) = %v, want %v", tt.args, err, tt.want)
			}
		})
	}
}

func TestVerifyBody(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"object", `{"@context":[],"id":"x"}`, `{"verifiableCredential":{"@context":[],"id":"x"}}`},
		{"json string", ` "a.b.c" `, `{"verifiableCredential":"a.b.c"}`},
		{"compact jwt", "a.b.c\n", `{"verifiableCredential":"a.b.c"}`},
		{"whole body", `{"verifiableCredential":"a.b.c","options":{}}`, `{"verifiableCredential":"a.b.c","options":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := verifyBody([]byte(tt.in))
			if err != nil || string(got) != tt.want {
				t.Fatalf("verifyBody(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
	if _, err := verifyBody([]byte(" \n")); !errors.Is(err, ErrCredentialFile) {
		t.Errorf("empty file: %v, want ErrCredentialFile", err)
	}
}

func TestPercentile(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(i + 1)
	}
	for _, tt := range []struct {
		p    int
		want time.Duration
	}{{50, 50}, {90, 90}, {99, 99}, {100, 100}, {1, 1}} {
		if got := percentile(d, tt.p); got != tt.want {
			t.Errorf("p%d = %d, want %d", tt.p, got, tt.want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one = %d", got)
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of none = %d", got)
	}
}

// TestInProcessBaseline runs `loadtest -n 200 -c 4 --baseline --json` and checks that the verifier
// and the decode-only baseline each answered every request and that the ratios are reported.
func TestInProcessBaseline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	if code := cli(ctx, []string{"-n", "200", "-c", "4", "-d", "50s", "--baseline", "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	if rep.OK != 200 || rep.Baseline == nil || rep.Baseline.OK != 200 || rep.Baseline.Target != baselineDecode {
		t.Fatalf("want 200 verified and 200 baseline answers, got %+v / %+v", rep, rep.Baseline)
	}
	if rep.Ratio <= 0 || rep.CPURatio <= 0 || rep.CPUPerRequest <= 0 || rep.Baseline.CPUPerRequest <= 0 {
		t.Errorf("ratios or CPU per request missing: %+v", rep)
	}
	var text bytes.Buffer
	rep.Print(&text)
	for _, want := range []string{"decode-only", "ratio", "cpu ratio"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

// TestProfiles runs `loadtest --target issue --cpuprofile F --memprofile G` and checks that both
// files are pprof profiles (gzip-compressed protocol buffers) of the right kind whose samples
// reach into the in-process issuer.
func TestProfiles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	var out, errOut bytes.Buffer
	args := []string{"-n", "400", "-c", "8", "-d", "50s", "--target", "issue", "--cpuprofile", cpu, "--memprofile", mem, "--json"}
	if code := cli(ctx, args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, c := range []struct {
		file string
		want []string // strings of the profile's string table
	}{
		{cpu, []string{"samples", "cpu", "nanoseconds", "issuer/httpapi"}},
		{mem, []string{"alloc_objects", "alloc_space", "inuse_space", "issuer/httpapi"}},
	} {
		raw, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatalf("profile not written: %v", err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: not gzip-compressed as pprof writes: %v", filepath.Base(c.file), err)
		}
		proto, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(c.file), err)
		}
		for _, w := range c.want {
			if !bytes.Contains(proto, []byte(w)) {
				t.Errorf("%s (%d bytes) lacks %q", filepath.Base(c.file), len(proto), w)
			}
		}
	}
}

// TestRemoteTargetRefused: hosts that only look like loopback are refused, and a target on
// this machine's own non-loopback address, which the tool can reach (it does with
// --allow-remote), receives no request at all without --allow-remote.
func TestRemoteTargetRefused(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1.example.com:8082", "http://localhost.example.com", "http://127.1:8082",
		"http://0x7f000001", "http://localhost@10.0.0.5:8082", "http://[::ffff:10.0.0.5]:8082", "http://0.0.0.0:8082"} {
		if _, err := parseFlags([]string{"--url", u, "--credential", "f"}, io.Discard); !errors.Is(err, ErrRemoteTarget) {
			t.Errorf("--url %s: %v, want ErrRemoteTarget", u, err)
		}
	}

	var own net.IP
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			own = n.IP
			break
		}
	}
	if own == nil {
		t.Skip("no non-loopback IPv4 address to listen on")
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(own.String(), "0"))
	if err != nil {
		t.Skipf("listen on %s: %v", own, err)
	}
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "cred.jwt")
	if err := os.WriteFile(file, []byte("eyJhbGciOiJFZERTQSJ9.e30.c2ln\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-n", "5", "-c", "1", "-d", "10s", "--url", srv.URL, "--credential", file}
	var errOut bytes.Buffer
	if code := cli(context.Background(), args, io.Discard, &errOut); code == 0 || !strings.Contains(errOut.String(), "--allow-remote") {
		t.Errorf("a target on %s: exit %d, %s; want a refusal naming --allow-remote", own, code, errOut.String())
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the refused target received %d requests", n)
	}
	if code := cli(context.Background(), append(args, "--allow-remote"), io.Discard, io.Discard); code != 0 || hits.Load() != 5 {
		t.Errorf("with --allow-remote: exit %d, %d requests; want the 5 requests sent", code, hits.Load())
	}
}
