package nodetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	peersMu  sync.Mutex
	peerDirs = map[string]string{}
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
	dir, err := installDir(name)
	if err != nil {
		t.Fatalf("installing npm packages of testdata/%s: %v", name, err)
	}
	peerDirs[name] = dir
	return dir
}

func requireNode(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("NODE TEST NOT RUN: %s is not installed; install Node.js 20+ to run it", tool)
			if os.Getenv("IDPORT_REQUIRE_NODE") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
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
