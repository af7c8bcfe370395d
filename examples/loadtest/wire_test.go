package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestWireClientReadsWhatServersSend drives one wireConn against net/http's server answering
// with a Content-Length, chunked, with no body and with Connection: close, and checks that
// every answer's status and body come back whole, that the request arrives as net/http's
// client would send it, and that the connection is kept alive except where the server closes it.
func TestWireClientReadsWhatServersSend(t *testing.T) {
	big := strings.Repeat(`{"verified":true}`, 3000) // 51 KB: written in chunks
	answers := []string{"length", "chunked", "empty", "close"}
	var conns, served atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
			r.Header.Get("Authorization") != "Bearer k" || string(body) != `{"a":1}` || r.URL.RequestURI() != "/v?x=1" {
			http.Error(w, "wrong request", http.StatusTeapot)
			return
		}
		mode := answers[int(served.Add(1)-1)%len(answers)]
		switch mode {
		case "length":
			io.WriteString(w, `{"verified":true}`)
		case "chunked":
			w.(http.Flusher).Flush()
			io.WriteString(w, big)
		case "empty":
			w.WriteHeader(http.StatusNoContent)
		case "close":
			w.Header().Set("Connection", "close")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"verified":false}`)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	w, err := newWireConn(load{url: srv.URL + "/v?x=1", token: "k", body: []byte(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	want := []struct {
		status int
		body   string
	}{{200, `{"verified":true}`}, {200, big}, {204, ""}, {400, `{"verified":false}`}}
	for round := range 2 {
		for i, a := range want {
			status, body, d, err := w.do()
			if err != nil {
				t.Fatalf("round %d answer %d (%s): %v", round, i, answers[i], err)
			}
			if status != a.status || string(body) != a.body || d <= 0 {
				t.Fatalf("round %d answer %d (%s): %d %d bytes, want %d %d bytes", round, i, answers[i], status, len(body), a.status, len(a.body))
			}
		}
	}
	// Two rounds of four answers: one connection per round, each closed by the server's
	// Connection: close at its end.
	if n := conns.Load(); n != 2 {
		t.Fatalf("%d connections for two rounds, want 2", n)
	}
}

// TestWireClientRefusesMalformedAnswers: a server writing what is not HTTP/1.1 makes a call
// fail with an error, never hang past its deadline or panic, and the next call dials afresh.
func TestWireClientRefusesMalformedAnswers(t *testing.T) {
	for _, tc := range []struct{ name, answer string }{
		{"not http", "SSH-2.0-OpenSSH\r\n\r\n"},
		{"short status line", "HTTP/1.1 20\r\n\r\n"},
		{"status not a number", "HTTP/1.1 abc OK\r\n\r\n"},
		{"header without colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n"},
		{"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"},
		{"length past the limit", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n"},
		{"body shorter than its length", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
		{"unknown transfer encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"},
		{"chunk size not hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"},
		{"chunk without its CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n"},
		{"header line over the buffer", "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 20<<10) + "\r\n\r\n"},
		{"closed before answering", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, accepted := rawServer(t, tc.answer)
			w, err := newWireConn(load{url: "http://" + addr + "/credentials/verify", body: []byte(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			defer w.close()
			for call := 1; call <= 2; call++ {
				start := time.Now()
				if status, _, _, err := w.do(); err == nil {
					t.Fatalf("call %d: status %d, want an error", call, status)
				}
				if time.Since(start) > requestTimeout {
					t.Fatalf("call %d: took %s", call, time.Since(start))
				}
				if w.c != nil {
					t.Fatalf("call %d: connection kept after a malformed answer", call)
				}
			}
			if n := accepted.Load(); n != 2 {
				t.Fatalf("%d connections for two failed calls, want 2", n)
			}
		})
	}
	// A body delimited by the end of the connection is read whole.
	addr, _ := rawServer(t, "HTTP/1.1 200 OK\r\n\r\n"+`{"verified":true}`)
	w, _ := newWireConn(load{url: "http://" + addr + "/", body: []byte(`{}`)})
	defer w.close()
	if status, body, _, err := w.do(); err != nil || status != 200 || string(body) != `{"verified":true}` || w.c != nil {
		t.Fatalf("EOF-delimited answer: %d %q %v (connection kept: %v)", status, body, err, w.c != nil)
	}
}

// rawServer answers every connection's first request with answer, as written, and closes it.
func rawServer(t *testing.T, answer string) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				req, err := http.ReadRequest(r)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				c.Write([]byte(answer))
				// Half-close, then drain, so the client sees the answer and then EOF.
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, r)
			}()
		}
	}()
	return ln.Addr().String(), &accepted
}
