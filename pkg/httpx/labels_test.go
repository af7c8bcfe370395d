package httpx

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricLabelsAreAClosedSet sends thousands of requests with unique
// methods and unknown paths through a real engine: the HTTP metrics keep a
// bounded number of series (known methods or "other"; route templates or
// "unmatched").
func TestMetricLabelsAreAClosedSet(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := NewEngine(Options{Name: "test", Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e.GET("/things/:id", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	srv := httptest.NewServer(e)
	defer srv.Close()
	send := func(method, path string) {
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for i := range 3000 {
		send(fmt.Sprintf("X-ODD-%05d", i), fmt.Sprintf("/nowhere/%d", i))
		if i%10 == 0 {
			send(http.MethodGet, fmt.Sprintf("/things/%d", i))
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "idport_http_requests_total" && mf.GetName() != "idport_http_request_duration_seconds" {
			continue
		}
		if n := len(mf.GetMetric()); n > 8 {
			t.Errorf("%s has %d series; labels must come from a closed set", mf.GetName(), n)
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "method":
					if l.GetValue() != "GET" && l.GetValue() != "other" {
						t.Errorf("method label %q", l.GetValue())
					}
				case "route":
					if l.GetValue() != "/things/:id" && l.GetValue() != "unmatched" {
						t.Errorf("route label %q", l.GetValue())
					}
				}
			}
		}
	}
}
