package trustsource

import (
	"strings"
	"testing"

	"github.com/idport/idport/trustregistry"
)

// describeManualReference is the description as first written: the parts
// that are set, joined with ", ".
func describeManualReference(p *trustregistry.Provenance) string {
	parts := []string{"registered by the regulators"}
	if p.Method != "" {
		parts = append(parts, "method "+p.Method)
	}
	if p.Source != "" {
		parts = append(parts, "source "+p.Source)
	}
	if p.Note != "" {
		parts = append(parts, p.Note)
	}
	return strings.Join(parts, ", ")
}

func TestDescribeManualMatchesReference(t *testing.T) {
	for _, method := range []string{"", "manual", "maker-checker"} {
		for _, source := range []string{"", "https://registry.example/import"} {
			for _, note := range []string{"", "pinned at onboarding, ticket 42"} {
				p := &trustregistry.Provenance{Method: method, Source: source, Note: note}
				if got, want := describeManual(p), describeManualReference(p); got != want {
					t.Errorf("%+v: %q, want %q", p, got, want)
				}
			}
		}
	}
}

func FuzzDescribeManual(f *testing.F) {
	f.Add("manual", "https://registry.example/import", "note")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, method, source, note string) {
		p := &trustregistry.Provenance{Method: method, Source: source, Note: note}
		if got, want := describeManual(p), describeManualReference(p); got != want {
			t.Fatalf("%q, want %q", got, want)
		}
	})
}

// TestDescribeManualAllocatesOnce: the description, every part set, costs
// the one allocation of its text.
func TestDescribeManualAllocatesOnce(t *testing.T) {
	p := &trustregistry.Provenance{Method: "maker-checker", Source: "https://registry.example/import", Note: "pinned at onboarding"}
	if n := testing.AllocsPerRun(100, func() { _ = describeManual(p) }); n > 1 {
		t.Fatalf("%v allocations", n)
	}
}
