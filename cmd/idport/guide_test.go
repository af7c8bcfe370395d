package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asIdport makes this test binary act as the idport command when it runs under the name
// idport with this variable set: shell scripts under test then call `idport ...` as written.
const asIdport = "IDPORT_TEST_AS_IDPORT"

// TestOperatorGuideFirstStart runs section 1 of docs/operator-guide.md as written, in a fresh
// directory: the private CA, TLS on every listener, the bootstrap of two regulators, the three
// services in the background and their readiness, with `idport` on the PATH. It checks what the
// guide says the commands print: the registry and the issuer ready, the verifier not ready
// until the registry recognises an authority, and the verifier's registry metrics.
func TestOperatorGuideFirstStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the three services from the operator guide's shell commands")
	}
	for _, tool := range []string{"bash", "openssl", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the operator guide needs %s on the PATH (.ci/run installs it): %v", tool, err)
		}
	}
	for _, port := range []int{8441, 8442, 8443} {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatalf("the guide's port %d is taken (stop what listens there): %v", port, err)
		}
		l.Close()
	}
	guide, err := os.ReadFile(filepath.Join("..", "..", "docs", "operator-guide.md"))
	if err != nil {
		t.Fatal(err)
	}
	script := firstShellBlock(t, string(guide), "## 1. First start")

	bin, dir := t.TempDir(), t.TempDir()
	if err := os.Symlink(os.Args[0], filepath.Join(bin, "idport")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopGuideServices(t, dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), asIdport+"=1")
	// Files, not pipes: the services the script leaves running in the background hold its
	// stdout and stderr open, and Run would wait for a pipe until they exit.
	logs := t.TempDir()
	stdout, stderr := createFile(t, filepath.Join(logs, "stdout")), createFile(t, filepath.Join(logs, "stderr"))
	cmd.Stdout, cmd.Stderr = stdout, stderr
	runErr := cmd.Run()
	out, _ := os.ReadFile(stdout.Name())
	errOut, _ := os.ReadFile(stderr.Name())
	if runErr != nil {
		t.Fatalf("the guide's commands failed: %v\nstdout:\n%s\nstderr:\n%s", runErr, out, errOut)
	}
	got := string(out)
	if n := strings.Count(got, `{"status":"ready"}`); n != 2 {
		t.Errorf("want the registry and the issuer ready, got:\n%s", got)
	}
	if !strings.Contains(got, "not_ready") || !strings.Contains(got, "recognises no authority yet") {
		t.Errorf("want the verifier not ready until the registry recognises an authority, got:\n%s", got)
	}
	for _, metric := range []string{"idport_verifier_registry_snapshot_version", "idport_verifier_registry_ready 0"} {
		if !strings.Contains(got, metric) {
			t.Errorf("want %s among the verifier's metrics, got:\n%s", metric, got)
		}
	}
}

func createFile(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// firstShellBlock returns the first ```sh block after the heading.
func firstShellBlock(t *testing.T, doc, heading string) string {
	t.Helper()
	_, after, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("no heading %q", heading)
	}
	_, block, ok := strings.Cut(after, "\n```sh\n")
	if !ok {
		t.Fatalf("no shell block after %q", heading)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		t.Fatalf("unterminated shell block after %q", heading)
	}
	return block
}

// stopGuideServices stops the services the guide started in dir (their NAME.pid files) with
// SIGTERM, as the guide's stop helper does, and waits for them to exit.
func stopGuideServices(t *testing.T, dir string) {
	pids, _ := filepath.Glob(filepath.Join(dir, "*.pid"))
	for _, f := range pids {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			continue
		}
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			t.Logf("%s still running after 10 s; killing it", filepath.Base(f))
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
