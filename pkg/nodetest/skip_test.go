package nodetest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records a skip or a failure instead of ending the test.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Skip(args ...any)          { r.skipped, r.msg = true, fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)         { r.failed, r.msg = true, fmt.Sprint(args...); runtime.Goexit() }
func (r *recorder) Fatalf(f string, a ...any) { r.Fatal(fmt.Sprintf(f, a...)) }

func (r *recorder) run(f func(testing.TB)) {
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
}

// With node present but npm failing (no registry reachable), a test needing npm peers is
// skipped with a loud message, or fails when IDPORT_REQUIRE_NODE=1.
func TestInstallFailureSkipsUnlessRequired(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	for name, script := range map[string]string{
		"npm":  "#!/bin/sh\necho 'npm error code ENOTFOUND: request to https://registry.npmjs.org failed' >&2\nexit 1\n",
		"node": "#!/bin/sh\nexit 0\n",
	} {
		os.MkdirAll(bin, 0o755)
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module fake\n"), 0o644)
	for _, name := range []string{"fake-a", "fake-b"} {
		os.MkdirAll(filepath.Join(root, "testdata", name), 0o755)
		os.WriteFile(filepath.Join(root, "testdata", name, "package-lock.json"), []byte(`{"lockfileVersion":3}`), 0o644)
	}
	t.Chdir(root)
	t.Setenv("PATH", bin)

	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	r.run(func(tb testing.TB) { Peers(tb, "fake-a") })
	if !r.skipped || !strings.Contains(r.msg, "NOT RUN") || !strings.Contains(r.msg, "ENOTFOUND") {
		t.Fatalf("without %s: skipped=%v failed=%v %q", RequireEnv, r.skipped, r.failed, r.msg)
	}
	// The failure is remembered: the next test skips at once.
	r = &recorder{TB: t}
	r.run(func(tb testing.TB) { Peers(tb, "fake-a") })
	if !r.skipped {
		t.Fatalf("second test: %+v", r)
	}

	t.Setenv(RequireEnv, "1")
	r = &recorder{TB: t}
	r.run(func(tb testing.TB) { Peers(tb, "fake-b") })
	if !r.failed || !strings.Contains(r.msg, "could not be installed") {
		t.Fatalf("with %s=1: skipped=%v failed=%v %q", RequireEnv, r.skipped, r.failed, r.msg)
	}
	// npm missing altogether: the same rule.
	t.Setenv("PATH", t.TempDir())
	r = &recorder{TB: t}
	r.run(func(tb testing.TB) { Peers(tb, "fake-b") })
	if !r.failed || !strings.Contains(r.msg, "not installed") {
		t.Fatalf("no node, %s=1: %+v", RequireEnv, r)
	}
}
