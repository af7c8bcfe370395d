package httpx

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idport/idport/pkg/buildinfo"
	"github.com/prometheus/client_golang/prometheus"
)

// Every engine exports idport_build_info: scrape /metrics of a real engine over HTTP.
func TestMetricsCarryBuildInfo(t *testing.T) {
	srv := httptest.NewServer(newTestEngine(nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	info := buildinfo.Get()
	want := fmt.Sprintf(`idport_build_info{commit=%q,go_version=%q,version=%q} 1`, info.Commit, info.GoVersion, info.Version)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want+"\n") {
		t.Fatalf("HTTP %d: /metrics lacks %s:\n%s", resp.StatusCode, want, body)
	}
}

// Two engines may share one registry: the build gauge is registered once, not twice.
func TestEnginesShareARegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	NewEngine(Options{Name: "a", Registry: reg})
	NewEngine(Options{Name: "b", Registry: reg})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "idport_build_info" && len(f.GetMetric()) == 1 {
			return
		}
	}
	t.Fatal("idport_build_info missing or repeated in a shared registry")
}
