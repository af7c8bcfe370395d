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

// TestOperatorGuideRunsAsWritten runs sections 1, 4, 5, 5a, 5c, 5d and 6 of
// docs/operator-guide.md as written, in one fresh directory: the private CA, TLS on every
// listener, the bootstrap, the three services and their readiness; online backups of the
// registry and the issuer, checked and restored beside the running services; the issuer's
// signing-key rotation and the key-sealing secrets of the issuer and the registry rotated; API
// keys listed, rotated and revoked; a tenant created, issuing and disabled; a relying party's
// profile; the restart of an upgrade, on the rotated secrets. It checks what the guide says
// they print.
func TestOperatorGuideRunsAsWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the three services from the operator guide's shell commands")
	}
	got := runGuide(t, guideScript(t, "operator-guide.md", "## 1. First start", "## 4. Backups", "## 5. Key rotation",
		"## 5a. Issuer API keys", "## 5c. Issuer tenants", "## 5d. Verifier profiles", "## 6. Upgrades"))
	if n := strings.Count(got, `{"status":"ready"}`); n != 4 { // sections 1 and 6
		t.Errorf("want the registry and the issuer ready after sections 1 and 6, got:\n%s", got)
	}
	if !strings.Contains(got, "not_ready") || !strings.Contains(got, "recognises no authority yet") {
		t.Errorf("want the verifier not ready until the registry recognises an authority, got:\n%s", got)
	}
	for _, want := range []string{"idport_verifier_registry_snapshot_version", "idport_verifier_registry_ready 0",
		"/registry.db: ", "/issuer.db: ", "(digest and bbolt pages checked)", "audit chain OK", `"first_new_list":`,
		"new signing key", "current=true published=true", "sealed 2 signing key(s) under the new secret",
		"resealed 1 key(s) under the new key secret", "revoked", "EnvelopedVerifiableCredential", "disabled ",
		`{"verified":false,"errors":["registry_stale","required_claim_missing"]}`} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in the output, got:\n%s", want, got)
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

// guideScript returns the shell blocks of the sections of docs/<file> under headings, in
// order, as one script.
func guideScript(t *testing.T, file string, headings ...string) string {
	t.Helper()
	guide, err := os.ReadFile(filepath.Join("..", "..", "docs", file))
	if err != nil {
		t.Fatal(err)
	}
	var script []string
	for _, h := range headings {
		script = append(script, sectionShellBlocks(t, string(guide), h)...)
	}
	return strings.Join(script, "\n")
}

// sectionShellBlocks returns the ```sh blocks of the section under heading (up to the next
// heading of the same level), in order.
func sectionShellBlocks(t *testing.T, doc, heading string) []string {
	t.Helper()
	_, section, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("no heading %q", heading)
	}
	level := heading[:strings.IndexByte(heading, ' ')+1]
	if end := strings.Index(section, "\n"+level); end >= 0 {
		section = section[:end]
	}
	var blocks []string
	for {
		_, rest, ok := strings.Cut(section, "\n```sh\n")
		if !ok {
			break
		}
		block, after, ok := strings.Cut(rest, "\n```\n")
		if !ok {
			t.Fatalf("unterminated shell block under %q", heading)
		}
		blocks = append(blocks, block)
		section = "\n" + after
	}
	if len(blocks) == 0 {
		t.Fatalf("no shell block under %q", heading)
	}
	return blocks
}

// runGuide runs script with bash in a fresh directory, with this test binary on the PATH as
// idport, and returns its standard output; it fails the test, showing both outputs, when the
// script fails. Services the script leaves running are stopped when the test ends.
func runGuide(t *testing.T, script string) string {
	t.Helper()
	for _, tool := range []string{"bash", "openssl", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the guides need %s on the PATH (.ci/run installs it): %v", tool, err)
		}
	}
	for _, port := range []int{8441, 8442, 8443} {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatalf("the guides' port %d is taken (stop what listens there): %v", port, err)
		}
		l.Close()
	}
	bin, dir := t.TempDir(), t.TempDir()
	if err := os.Symlink(os.Args[0], filepath.Join(bin, "idport")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	// Its own process group, which the services it starts in the background join: stopping
	// the group stops them all, whether or not the script got to record their pids.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), asIdport+"=1")
	// Files, not pipes: the services the script leaves running in the background hold its
	// stdout and stderr open, and Run would wait for a pipe until they exit.
	logs := t.TempDir()
	stdout, stderr := createFile(t, filepath.Join(logs, "stdout")), createFile(t, filepath.Join(logs, "stderr"))
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopGroup(t, cmd.Process.Pid) })
	runErr := cmd.Wait()
	out, _ := os.ReadFile(stdout.Name())
	errOut, _ := os.ReadFile(stderr.Name())
	if runErr != nil {
		t.Fatalf("the guide's commands failed: %v\nstdout:\n%s\nstderr:\n%s", runErr, out, errOut)
	}
	return string(out)
}

// stopGroup stops the process group pgid with SIGTERM, as the guides' stop helper stops a
// service, and waits for it to empty (SIGKILL after 10 s).
func stopGroup(t *testing.T, pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	for i := 0; i < 100 && syscall.Kill(-pgid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if syscall.Kill(-pgid, 0) == nil {
		t.Log("the guide's services still run 10 s after SIGTERM; killing them")
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}

// TestRegulatorGuideRunsAsWritten runs sections 1 to 9 of docs/regulator-guide.md as
// written, in one fresh directory: the offline bootstrap, the registry, proposals recognising
// Singapore's corporate registry and its trade documents, review, approval and rejection, a
// back-dated suspension, history and "as known at" answers, the audit chain online and
// offline, a signed snapshot checked offline, a registry key rotation, and the two-person rule
// on accounts and policy. It checks what the guide says they print.
func TestRegulatorGuideRunsAsWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the registry from the regulator guide's shell commands")
	}
	got := runGuide(t, guideScript(t, "regulator-guide.md", "## 1. Bootstrap the first accounts (offline)",
		"## 2. Propose a recognition", "## 3. Review and approve (maker-checker)", "## 4. Suspend an authority, back-dated",
		"## 5. What did the registry say, and when?", "## 6. Audit", "## 7. Export a signed snapshot",
		"## 8. Rotating the registry key", "## 9. Accounts, tokens and policy (two-person rule)"))
	for _, want := range []string{`{"status":"ready"}`, "alice  roles: proposer", "applied as registry version 7",
		"rejected p-", `"authorized": true`, `"authorized": false`, "is suspended since 2026-11-20T08:00:00Z",
		"audit chain OK", "signed checkpoint covers record", "checkpoint OK", "dave  roles: approver", "dave is disabled", "quorum       2"} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in the output, got:\n%s", want, got)
		}
	}
}
