package httpx_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/httpx"
)

// clientFrom returns an HTTP client whose connections leave from the loopback address ip, so
// that the server sees distinct client addresses.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}, Timeout: 5 * time.Second}
}

func TestRateLimitPerClient(t *testing.T) {
	e := httpx.NewEngine(httpx.Options{Name: "test", Logger: slog.New(slog.DiscardHandler), RateLimit: &httpx.RateLimit{
		Rate: 0.5, Burst: 3,
		Principal: func(c *gin.Context) string {
			if tok := httpx.BearerToken(c); tok == "key-alice" || tok == "key-bob" {
				return tok
			}
			return "" // an unknown token counts against the address
		}}})
	e.GET("/x", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	srv := &httpx.Server{Addr: "127.0.0.1:0", Handler: e, Logger: slog.New(slog.DiscardHandler), OnListen: func(a net.Addr) { addrc <- a.String() }}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	base := "http://" + <-addrc

	get := func(cl *http.Client, token, path string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	one, two := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")
	for i := 0; i < 3; i++ {
		if r := get(one, "key-alice", "/x"); r.StatusCode != http.StatusOK {
			t.Fatalf("alice request %d within the burst: %d", i, r.StatusCode)
		}
	}
	r := get(one, "key-alice", "/x")
	if r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("alice over budget: %d", r.StatusCode)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 2 {
		t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
	}
	if r.Header.Get("Content-Type") != httpx.ProblemContentType {
		t.Fatalf("429 content type %q", r.Header.Get("Content-Type"))
	}
	// Another key from the same address, and the address itself, are unaffected.
	if r := get(one, "key-bob", "/x"); r.StatusCode != http.StatusOK {
		t.Fatalf("bob: %d", r.StatusCode)
	}
	for i := 0; i < 3; i++ {
		if r := get(one, "", "/x"); r.StatusCode != http.StatusOK {
			t.Fatalf("anonymous request %d from 127.0.0.1: %d", i, r.StatusCode)
		}
	}
	// Anonymous (and unknown-token) requests share their address's bucket ...
	if r := get(one, "forged", "/x"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("127.0.0.1 over budget with a forged token: %d", r.StatusCode)
	}
	// ... and another address has its own; health probes are never limited.
	if r := get(two, "", "/x"); r.StatusCode != http.StatusOK {
		t.Fatalf("127.0.0.2: %d", r.StatusCode)
	}
	if r := get(one, "", "/healthz"); r.StatusCode != http.StatusOK {
		t.Fatalf("/healthz limited: %d", r.StatusCode)
	}
}
