package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// Client names (--client).
const (
	clientAuto    = "auto"     // wire for http:// targets, net/http for https://
	clientWire    = "wire"     // wireConn
	clientNetHTTP = "net/http" // net/http's Client and Transport
)

// maxAnswer bounds the body of one answer, whichever client reads it.
const maxAnswer = 8 << 20

// errAnswer marks an answer the wire client cannot read as HTTP/1.1.
var errAnswer = errors.New("malformed HTTP answer")

// wireConn is one worker's HTTP/1.1 client for a plain http:// target: one keep-alive
// connection, the request written from prepared bytes in one write, and of the answer only
// what HTTP/1.1 needs to find its end (status line, Content-Length or chunked
// Transfer-Encoding, Connection: close) before the body is read in full.
//
// It exists because the load and the services share the machine when they run in-process:
// net/http's client runs three goroutines per connection and spends about 30 us of CPU per
// request on them, CPU the service under test then does not get, and the hand-offs between
// those goroutines add to the latency measured. This client spends what the two system calls
// cost. --client net/http keeps net/http's client.
type wireConn struct {
	addr string
	req  []byte // the whole request: request line, headers and body
	c    net.Conn
	r    *bufio.Reader
	body []byte
}

// newWireConn prepares the request of l for its target.
func newWireConn(l load) (*wireConn, error) {
	u, err := url.Parse(l.url)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("wire client: %q is not a plain http:// URL", l.url)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: idport-loadtest\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", u.RequestURI(), u.Host, len(l.body))
	if l.token != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", l.token)
	}
	b.WriteString("\r\n")
	b.Write(l.body)
	return &wireConn{addr: addr, req: b.Bytes()}, nil
}

// do sends the request once and reads the whole answer. The body it returns is valid until
// the next call. On any error the connection is closed and the next call dials again.
func (w *wireConn) do() (int, []byte, time.Duration, error) {
	t0 := time.Now()
	if w.c == nil {
		c, err := net.DialTimeout("tcp", w.addr, 5*time.Second)
		if err != nil {
			return 0, nil, 0, fmt.Errorf("POST %s: %w", w.addr, err)
		}
		w.c = c
		if w.r == nil {
			w.r = bufio.NewReaderSize(c, 16<<10)
		} else {
			w.r.Reset(c)
		}
	}
	if err := w.c.SetDeadline(t0.Add(requestTimeout)); err != nil {
		return w.fail(err)
	}
	if _, err := w.c.Write(w.req); err != nil {
		return w.fail(err)
	}
	status, keep, err := w.readAnswer()
	if err != nil {
		return w.fail(err)
	}
	d := time.Since(t0)
	if !keep {
		w.close()
	}
	return status, w.body, d, nil
}

func (w *wireConn) fail(err error) (int, []byte, time.Duration, error) {
	w.close()
	return 0, nil, 0, fmt.Errorf("POST %s: %w", w.addr, err)
}

func (w *wireConn) close() {
	if w.c != nil {
		w.c.Close()
		w.c = nil
	}
}

// readAnswer reads one answer into w.body and reports its status and whether the connection
// stays open.
func (w *wireConn) readAnswer() (status int, keep bool, err error) {
	line, err := w.line()
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, fmt.Errorf("%w: status line %q", errAnswer, line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil || status < 100 {
		return 0, false, fmt.Errorf("%w: status line %q", errAnswer, line)
	}
	keep = line[7] == '1' // HTTP/1.1 keeps the connection unless told otherwise
	length, chunked := -1, false
	for {
		h, err := w.line()
		if err != nil {
			return 0, false, err
		}
		if len(h) == 0 {
			break
		}
		name, value, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("%w: header line %q", errAnswer, h)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 || n > maxAnswer {
				return 0, false, fmt.Errorf("%w: Content-Length %q", errAnswer, value)
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
			if !chunked {
				return 0, false, fmt.Errorf("%w: Transfer-Encoding %q", errAnswer, value)
			}
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(value, []byte("close")) {
				keep = false
			}
		}
	}
	switch {
	case status < 200 || status == 204 || status == 304:
		w.body = w.body[:0]
	case chunked:
		err = w.readChunked()
	case length >= 0:
		err = w.readN(length, false)
	default: // delimited by the end of the connection
		keep = false
		err = w.readToEOF()
	}
	return status, keep, err
}

// line reads one header line without its CRLF.
func (w *wireConn) line() ([]byte, error) {
	line, err := w.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: header line over %d bytes", errAnswer, w.r.Size())
		}
		return nil, err
	}
	return bytes.TrimSuffix(line[:len(line)-1], []byte("\r")), nil
}

// readN reads n more body bytes (appending to w.body when more is set).
func (w *wireConn) readN(n int, more bool) error {
	if !more {
		w.body = w.body[:0]
	}
	if len(w.body)+n > maxAnswer {
		return fmt.Errorf("%w: body over %d bytes", errAnswer, maxAnswer)
	}
	w.body = growTo(w.body, len(w.body)+n)
	_, err := io.ReadFull(w.r, w.body[len(w.body)-n:])
	return err
}

func growTo(b []byte, n int) []byte {
	if cap(b) < n {
		nb := make([]byte, n, max(n, 2*cap(b)))
		copy(nb, b)
		return nb
	}
	return b[:n]
}

// readChunked reads a chunked body (chunk extensions and trailers are passed over).
func (w *wireConn) readChunked() error {
	w.body = w.body[:0]
	for {
		line, err := w.line()
		if err != nil {
			return err
		}
		size, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseUint(string(bytes.TrimSpace(size)), 16, 31)
		if err != nil {
			return fmt.Errorf("%w: chunk size %q", errAnswer, line)
		}
		if n == 0 {
			for { // trailers up to the empty line
				t, err := w.line()
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
			}
		}
		if err := w.readN(int(n), true); err != nil {
			return err
		}
		if crlf, err := w.line(); err != nil || len(crlf) != 0 {
			return fmt.Errorf("%w: no CRLF after a chunk", errAnswer)
		}
	}
}

func (w *wireConn) readToEOF() error {
	w.body = w.body[:0]
	for {
		if len(w.body) == cap(w.body) {
			if len(w.body) >= maxAnswer {
				return fmt.Errorf("%w: body over %d bytes", errAnswer, maxAnswer)
			}
			w.body = growTo(w.body, len(w.body)+4096)[:len(w.body)]
		}
		n, err := w.r.Read(w.body[len(w.body):cap(w.body)])
		w.body = w.body[:len(w.body)+n]
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
