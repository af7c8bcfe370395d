package main

import (
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoTellsTheWholeStory runs `idport demo` in-process: three real services on loopback
// listeners with their own bbolt files, talking HTTP to each other.
func TestDemoTellsTheWholeStory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env, out := testEnv(nil)
	if err := run(ctx, []string{"demo", "--data", t.TempDir()}, env); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"bob approved it: applied atomically as registry version 5", // after the 3 audited bootstraps and its filing
		"/credentials/verify -> 200 verified",
		"/credentials/issue PersonIdentity -> 403 issuer_not_authorised",
		"authority sg-demo-registrar, scheme sg.corporate (SG), agreement sg-cn-sh-lg-dea, local assurance L3",
		`"registrationNumber":"201912345K"`,
		"-> 400, verified=false, error code authority_suspended",
		"hash chain intact",
		"The story is complete",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q\n%s", want, out.String())
		}
	}
}

func TestHelpListsCommandsAndEnvironment(t *testing.T) {
	env, out := testEnv(nil)
	if err := run(context.Background(), []string{"--help"}, env); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"registry", "issuer", "verifier", "admin", "demo", "version"} {
		if !strings.Contains(out.String(), "  "+c) {
			t.Errorf("help lacks %s:\n%s", c, out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"demo", "--help"}, env); exitCode(err) != 0 {
		t.Fatalf("demo --help: %v", err)
	}
	if !strings.Contains(out.String(), "IDPORT_KEEP") {
		t.Errorf("demo --help does not name the environment variables:\n%s", out.String())
	}
	if err := run(context.Background(), []string{"nope"}, env); err == nil {
		t.Fatal("an unknown command must fail")
	}
}

func TestFlagsTakeEnvironmentOverrides(t *testing.T) {
	env, _ := testEnv(map[string]string{"IDPORT_REGISTRY_KEY": "/etc/idport/registry.jwk", "IDPORT_ADDR": "0.0.0.0:1"})
	for _, tc := range []struct {
		args      []string
		key, addr string
	}{
		{nil, "/etc/idport/registry.jwk", "0.0.0.0:1"},
		{[]string{"--addr", "127.0.0.1:9"}, "/etc/idport/registry.jwk", "127.0.0.1:9"}, // the command line wins
	} {
		fs := newTestFlagSet()
		key, addr := fs.String("registry-key", "", ""), fs.String("addr", "", "")
		if err := parseFlags(fs, tc.args, env); err != nil {
			t.Fatal(err)
		}
		if *key != tc.key || *addr != tc.addr {
			t.Errorf("args %v: key %q addr %q", tc.args, *key, *addr)
		}
	}
}

func newTestFlagSet() *flag.FlagSet { return flag.NewFlagSet("test", flag.ContinueOnError) }

func TestConfigFileFillsWhatFlagsAndEnvironmentLeave(t *testing.T) {
	file := filepath.Join(t.TempDir(), "idport.yaml")
	if err := os.WriteFile(file, []byte("addr: 10.0.0.1:1\nregistry-key: /from/file.jwk\nquorum: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env, _ := testEnv(map[string]string{"IDPORT_REGISTRY_KEY": "/from/env.jwk"})
	fs := newTestFlagSet()
	addr, key, quorum := fs.String("addr", "", ""), fs.String("registry-key", "", ""), fs.Int("quorum", 2, "")
	if err := parseFlags(fs, []string{"--config", file, "--addr", "127.0.0.1:9"}, env); err != nil {
		t.Fatal(err)
	}
	if *addr != "127.0.0.1:9" || *key != "/from/env.jwk" || *quorum != 3 {
		t.Fatalf("addr %q key %q quorum %d", *addr, *key, *quorum)
	}
	if err := os.WriteFile(file, []byte("no-such-flag: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := parseFlags(newTestFlagSet(), []string{"--config", file}, env); err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("an unknown setting must be refused, got %v", err)
	}
}

// Every service-like command prints its own usage after the flags on --help and refuses a
// stray positional argument (a mistyped "--flag value" pair, say) instead of ignoring it.
func TestCommandsShowUsageAndRefuseStrayArguments(t *testing.T) {
	for cmd, usage := range map[string]string{"registry": registryUsage, "issuer": issuerUsage,
		"verifier": verifierUsage, "demo": demoUsage, "probe": probeUsage, "version": versionUsage} {
		env, out := testEnv(nil)
		if err := run(context.Background(), []string{cmd, "--help"}, env); exitCode(err) != 0 {
			t.Fatalf("%s --help: %v", cmd, err)
		}
		if !strings.Contains(out.String(), usage) || !strings.Contains(out.String(), "IDPORT_") {
			t.Errorf("%s --help lacks its usage or its environment variables:\n%s", cmd, out.String())
		}
		err := run(context.Background(), []string{cmd, "stray"}, env)
		if err == nil || !strings.Contains(err.Error(), `unexpected argument "stray"`) {
			t.Errorf("%s stray: got %v", cmd, err)
		}
	}
}

// With --keep the services outlive the story (and its deadline) and serve until interrupted.
func TestDemoKeepServesUntilInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, _ := testEnv(nil)
	var out syncBuffer
	env.Stdout = &out
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"demo", "--keep", "--data", t.TempDir()}, env) }()

	readyz := regexp.MustCompile(`curl -s (http://127\.0\.0\.1:\d+)/readyz`)
	var verifierURL string
	for deadline := time.Now().Add(time.Minute); verifierURL == ""; {
		select {
		case err := <-done:
			t.Fatalf("demo --keep returned before it was interrupted: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if m := readyz.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "Regulator tokens") {
			verifierURL = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo --keep printed no endpoints:\n%s", out.String())
		}
	}
	// The story's own deadline has ended with the story; the services must still answer.
	for range 5 {
		time.Sleep(200 * time.Millisecond)
		resp, err := http.Get(verifierURL + "/readyz")
		if err != nil {
			t.Fatalf("the verifier stopped serving after the story: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("verifier /readyz after the story: HTTP %d", resp.StatusCode)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("an interrupted demo --keep must end cleanly, got %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo --keep did not stop when interrupted")
	}
}
