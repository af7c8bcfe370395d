// Package storytest runs an example's story as a test and checks its outcome lines.
package storytest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// Run calls run (the same function the example's main calls) with a deadline and fails t
// unless it succeeds and its output contains every line of want (each a substring of one
// "=> ..." outcome line).
func Run(t *testing.T, run func(ctx context.Context, w io.Writer) error, want ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("the story failed: %v\noutput:\n%s", err, out.String())
	}
	var outcomes []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "=> ") {
			outcomes = append(outcomes, l)
		}
	}
	for _, w := range want {
		found := false
		for _, l := range outcomes {
			found = found || strings.Contains(l, w)
		}
		if !found {
			t.Errorf("no outcome line contains %q; outcomes:\n%s", w, strings.Join(outcomes, "\n"))
		}
	}
	return out.String()
}
