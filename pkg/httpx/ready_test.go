package httpx_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/idport/idport/pkg/httpx"
)

func TestReadyWatchLogsEveryChange(t *testing.T) {
	var buf bytes.Buffer
	var state error = errors.New("no snapshot yet")
	w := httpx.NewReadyWatch("verifier", func() error { return state }, slog.New(slog.NewJSONHandler(&buf, nil)))
	for _, s := range []error{state, state, nil, nil, errors.New("snapshot stale"), errors.New("snapshot stale"), nil} {
		state = s
		if err := w.Check(); (err == nil) != (s == nil) {
			t.Fatalf("Check = %v, want %v", err, s)
		}
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		got = append(got, rec["msg"].(string)+"|"+strings.TrimSpace(stringOf(rec["reason"])))
	}
	want := []string{"readiness changed: not ready|no snapshot yet", "readiness changed: ready|",
		"readiness changed: not ready|snapshot stale", "readiness changed: ready|"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}
