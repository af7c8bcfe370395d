package httpapi

import (
	"bytes"
	"compress/gzip"
	"strings"
	"sync"

	"github.com/idport/idport/trustregistry"
)

// gzipCache keeps the gzip form of the latest snapshot, compressed once for every client.
type gzipCache struct {
	mu   sync.Mutex
	seq  uint64
	body []byte
}

// of returns the gzip-compressed JWS of rec.
func (g *gzipCache) of(rec trustregistry.SnapshotRecord) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.body != nil && g.seq == rec.Sequence {
		return g.body, nil
	}
	b, err := gzipBytes(rec.JWS)
	if err != nil {
		return nil, err
	}
	g.seq, g.body = rec.Sequence, b
	return b, nil
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// acceptsGzip reports whether an Accept-Encoding header accepts gzip (q above 0).
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// etagMatches reports whether an If-None-Match header names etag (or is "*").
func etagMatches(inm, etag string) bool {
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
