package httpx

import (
	"bufio"
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
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/body", "application/json", strings.NewReader(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a whole body: %d", resp.StatusCode)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{\"a\":1}")); err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).CloseWrite()
	short, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a body shorter than announced: %v", err)
	}
	short.Body.Close()
	if short.StatusCode != http.StatusBadRequest {
		t.Fatalf("a body shorter than announced: %d, want 400", short.StatusCode)
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
