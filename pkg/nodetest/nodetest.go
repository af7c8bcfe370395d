// Package nodetest runs interop scripts against independent JavaScript implementations from tests.
//
// The peers are pinned in testdata/interop/package-lock.json. The first test that needs them runs
// `npm ci` there once (guarded by a file lock, so parallel test binaries do not collide, and by a
// stamp of the lock file, so later runs skip it). A test skips, saying so loudly, when node or
// npm is not installed or when the peers cannot be installed (no npm registry reachable, npm
// failing); with IDPORT_REQUIRE_NODE=1 (set by .ci/run) it fails instead.
package nodetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ScriptTimeout bounds one script run.
const ScriptTimeout = 60 * time.Second

var (
	installOnce sync.Once
	installErr  error
	interopDir  string
)

// RequireEnv is the environment variable that turns the skips of this package into failures.
const RequireEnv = "IDPORT_REQUIRE_NODE"

// Dir returns the absolute path of testdata/interop, installing the npm peers if needed.
// It skips t when node or npm is absent or the peers cannot be installed (fails when
// IDPORT_REQUIRE_NODE=1).
func Dir(t testing.TB) string {
	t.Helper()
	requireNode(t)
	installOnce.Do(func() { interopDir, installErr = install() })
	if installErr != nil {
		notRun(t, fmt.Sprintf("the npm peers of testdata/interop could not be installed (is the npm registry reachable?): %v", installErr))
	}
	return interopDir
}

// notRun skips t with a loud message, or fails it when IDPORT_REQUIRE_NODE=1.
func notRun(t testing.TB, why string) {
	t.Helper()
	msg := "NODE INTEROP TEST NOT RUN: " + why + " (set " + RequireEnv + "=1 to make this a failure)"
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(msg)
	}
	fmt.Fprintln(os.Stderr, "WARNING:", msg) // loud even without -v
	t.Skip(msg)
}

// Run executes `node testdata/interop/<script>` with input encoded as JSON on stdin and decodes
// the script's JSON stdout into output (when output is not nil). A non-zero exit fails the test
// with the script's stderr.
func Run(t testing.TB, script string, input, output any) {
	t.Helper()
	out, err := RunErr(t, script, input)
	if err != nil {
		t.Fatal(err)
	}
	if output != nil {
		if err := json.Unmarshal(out, output); err != nil {
			t.Fatalf("%s: decoding its output: %v\noutput: %s", script, err, out)
		}
	}
}

// RunErr is Run returning the raw stdout and the error instead of failing the test.
func RunErr(t testing.TB, script string, input any) ([]byte, error) {
	t.Helper()
	return RunIn(t, Dir(t), script, input, ScriptTimeout)
}

func install() (string, error) { return installDir("interop") }

// installDir runs `npm ci` once in testdata/<name> (guarded by a file lock and a stamp of the
// lock file) and returns the directory.
func installDir(name string) (string, error) {
	dir, err := findTestdataDir(name)
	if err != nil {
		return "", err
	}
	lockPath := filepath.Join(dir, "package-lock.json")
	lockBytes, err := os.ReadFile(lockPath)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", lockPath, err)
	}
	sum := sha256.Sum256(lockBytes)
	want := hex.EncodeToString(sum[:])
	stamp := filepath.Join(dir, "node_modules", ".idport-lock-sha256")

	guard, err := os.OpenFile(filepath.Join(os.TempDir(), "idport-npm-install-"+name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", fmt.Errorf("open install lock: %w", err)
	}
	defer guard.Close()
	if err := syscall.Flock(int(guard.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("take install lock: %w", err)
	}
	defer syscall.Flock(int(guard.Fd()), syscall.LOCK_UN)

	if got, err := os.ReadFile(stamp); err == nil && string(got) == want {
		return dir, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("npm ci in %s: %w\n%s", dir, err, out)
	}
	if err := os.WriteFile(stamp, []byte(want), 0o600); err != nil {
		return "", fmt.Errorf("write install stamp: %w", err)
	}
	return dir, nil
}

func findTestdataDir(name string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", name), nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("no go.mod above the working directory")
		}
	}
}
