package gctune

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// restore puts back the runtime's targets and the cgroup path after a test.
func restore(t *testing.T) {
	gc, mem, path := debug.SetGCPercent(100), debug.SetMemoryLimit(-1), cgroupMemoryMax
	t.Cleanup(func() {
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(mem)
		cgroupMemoryMax = path
	})
}

func TestApplySetsServerTargets(t *testing.T) {
	restore(t)
	cgroupMemoryMax = filepath.Join(t.TempDir(), "memory.max")
	if err := os.WriteFile(cgroupMemoryMax, []byte("1073741824\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	debug.SetGCPercent(100)
	s := Apply(env())
	if s.GOGC != "400" || debug.SetGCPercent(100) != ServerPercent {
		t.Fatalf("GOGC %q", s.GOGC)
	}
	limit := int64(1 << 30)
	if want := int64(float64(limit) * MemoryLimitShare); s.MemoryLimit != want || debug.SetMemoryLimit(-1) != want {
		t.Fatalf("memory limit %d, want %d", s.MemoryLimit, want)
	}
}

func TestApplyLeavesTheEnvironmentsSettings(t *testing.T) {
	restore(t)
	cgroupMemoryMax = filepath.Join(t.TempDir(), "memory.max")
	if err := os.WriteFile(cgroupMemoryMax, []byte("1073741824\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	debug.SetGCPercent(150) // as the runtime would have from GOGC=150
	debug.SetMemoryLimit(math.MaxInt64)
	s := Apply(env("GOGC", "150", "GOMEMLIMIT", "2GiB"))
	if s.GOGC != "150" || debug.SetGCPercent(100) != 150 {
		t.Fatalf("GOGC %q", s.GOGC)
	}
	if s.MemoryLimit != 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Fatalf("memory limit set to %d despite GOMEMLIMIT", s.MemoryLimit)
	}
}

func TestApplyWithoutContainerLimit(t *testing.T) {
	restore(t)
	for _, content := range []string{"max\n", ""} {
		cgroupMemoryMax = filepath.Join(t.TempDir(), "memory.max")
		if content != "" {
			if err := os.WriteFile(cgroupMemoryMax, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		debug.SetMemoryLimit(math.MaxInt64)
		if s := Apply(env()); s.MemoryLimit != 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
			t.Fatalf("%q: memory limit %d", content, s.MemoryLimit)
		}
	}
}
