package nodetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	peersMu  sync.Mutex
	peerDirs = map[string]string{}
	peerErrs = map[string]error{} // a failed install is not retried by the next test
)

// Peers returns the absolute path of testdata/<name>, a second npm folder with its own
// package-lock.json (the browser tests' Chromium, say, which the interop tests need not
// download), running `npm ci` there once like Dir. It skips t when node or npm is absent
// (fails when IDPORT_REQUIRE_NODE=1).
func Peers(t testing.TB, name string) string {
	t.Helper()
	requireNode(t)
	peersMu.Lock()
	defer peersMu.Unlock()
	if dir, ok := peerDirs[name]; ok {
		return dir
	}
	if err, ok := peerErrs[name]; ok {
		notRun(t, fmt.Sprintf("the npm packages of testdata/%s could not be installed (is the npm registry reachable?): %v", name, err))
	}
	dir, err := installDir(name)
	if err != nil {
		peerErrs[name] = err
		notRun(t, fmt.Sprintf("the npm packages of testdata/%s could not be installed (is the npm registry reachable?): %v", name, err))
	}
	peerDirs[name] = dir
	return dir
}

func requireNode(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			notRun(t, tool+" is not installed; install Node.js 20+ to run the tests against independent implementations")
		}
	}
}

// RunIn executes `node <dir>/<script>` with input as JSON on stdin, within timeout, and
// returns its stdout; stderr goes to the test log line by line when the script fails.
func RunIn(t testing.TB, dir, script string, input any, timeout time.Duration) ([]byte, error) {
	t.Helper()
	in, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding input: %w", script, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, script))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("node %s: %w\nstdout: %s\nstderr: %s", script, err, stdout.String(), stderr.String())
	}
	return stdout.Bytes(), nil
}
