package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestGCTargetsFromTheEnvironment starts `idport issuer` as a process and reads its collector
// targets from its /metrics: GOGC and GOMEMLIMIT in the environment are what it runs with
// (no flag default overrides them), and without GOGC it runs with idport's 400.
func TestGCTargetsFromTheEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("starts issuer processes")
	}
	for _, c := range []struct {
		env  []string
		want []string // lines of /metrics
	}{
		{[]string{"GOGC=150", "GOMEMLIMIT=1GiB"}, []string{"go_gc_gogc_percent 150", "go_gc_gomemlimit_bytes 1.073741824e+09"}},
		{[]string{"GOGC="}, []string{"go_gc_gogc_percent 400"}},
	} {
		addr := freeAddr(t)
		p := idportProcess(t, c.env, "issuer", "--dev", "--data", t.TempDir(), "--addr", addr, "--did-method", "did:key")
		t.Cleanup(func() { _ = p.Process.Kill(); _ = p.Wait() })
		waitHealthy(t, addr)
		code, body := getWith(t, http.DefaultClient, "http://"+addr+"/metrics", "")
		if code != http.StatusOK {
			t.Fatalf("%v: /metrics %d", c.env, code)
		}
		lines := strings.Split(body, "\n")
		for _, w := range c.want {
			found := false
			for _, l := range lines {
				found = found || l == w
			}
			if !found {
				t.Errorf("%v: /metrics lacks %q", c.env, w)
			}
		}
	}
}
