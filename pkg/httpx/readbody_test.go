package httpx

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// TestReadBodyAnnouncedLengths: a body matching its Content-Length is read; a client that
// announces more than it sends gets 400 once it stops sending, not a hang; and announcing the
// size limit buys no buffer of that size (a client holding many such connections open would
// otherwise pin the limit's worth of memory each).
func TestReadBodyAnnouncedLengths(t *testing.T) {
	const limit = 1 << 20
	srv := bodyServer(t, limit)

	resp, err := http.Post(srv.URL+"/body", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a whole body: %d", resp.StatusCode)
	}

	if got := sendRaw(t, srv.URL, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{\"a\":1}"); got != http.StatusBadRequest {
		t.Fatalf("a body shorter than announced: %d, want 400", got)
	}

	// The allocation itself, on one request announcing the limit and carrying 8 bytes.
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/body", strings.NewReader(`{"a":12}`))
	c.Request.ContentLength = limit
	c.Set(maxBodyKey, int64(limit))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := ReadBody(c); err == nil {
		t.Fatal("a body shorter than announced was accepted")
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > limit/4 {
		t.Fatalf("reading 8 bytes announced as %d allocated %d bytes", limit, grew)
	}
}

// TestReadBodyUnannouncedAndShortBodies: a chunked body (no Content-Length) over the limit is
// refused with 413 however it is cut, one at the limit is read; a small announced length with
// fewer bytes behind it is a 400 once the client stops sending.
func TestReadBodyUnannouncedAndShortBodies(t *testing.T) {
	const limit = 1000
	srv := bodyServer(t, limit)
	chunked := func(sizes ...int) string {
		var b strings.Builder
		b.WriteString("POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
		for _, n := range sizes {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", n, strings.Repeat("x", n))
		}
		b.WriteString("0\r\n\r\n")
		return b.String()
	}
	for _, c := range []struct {
		name string
		raw  string
		want int
	}{
		{"chunked at the limit", chunked(limit), http.StatusOK},
		{"chunked one byte over", chunked(limit, 1), http.StatusRequestEntityTooLarge},
		{"chunked in small pieces over", chunked(300, 300, 300, 300), http.StatusRequestEntityTooLarge},
		{"announced 100, sent 10", "POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n0123456789", http.StatusBadRequest},
		{"announced 10, sent 10", "POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n0123456789", http.StatusOK},
	} {
		if got := sendRaw(t, srv.URL, c.raw); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// bodyServer serves POST /body on an engine with the body limit, answering the length ReadBody
// read (or its error), on a real listener closed with the test.
func bodyServer(t *testing.T, limit int64) *httptest.Server {
	t.Helper()
	e := NewEngine(Options{Name: "test", MaxBodyBytes: limit})
	e.POST("/body", func(c *gin.Context) {
		b, err := ReadBody(c)
		if err != nil {
			WriteError(c, err)
			return
		}
		c.String(http.StatusOK, "%d", len(b))
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// sendRaw writes raw on a new connection to srvURL, closes its sending side (so a body
// shorter than announced ends) and returns the answer's status.
func sendRaw(t *testing.T, srvURL, raw string) int {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srvURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
