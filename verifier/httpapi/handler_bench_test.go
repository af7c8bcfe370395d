package httpapi_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHandlerVerify and BenchmarkHandlerDecodeOnly serve
// POST /credentials/verify without a network (httptest.ResponseRecorder):
// the verifier's handler and the decode-only baseline, so that the cost
// of the handler itself can be compared without sockets and clients.
func BenchmarkHandlerVerify(b *testing.B) {
	h, body := loadService(b)
	serveInProcess(b, h, body)
}

func BenchmarkHandlerDecodeOnly(b *testing.B) {
	body, _, _ := loadBody(b)
	serveInProcess(b, decodeOnly(), body)
}

func serveInProcess(b *testing.B, h http.Handler, body []byte) {
	b.ReportAllocs()
	for range b.N {
		req := httptest.NewRequest(http.MethodPost, "/credentials/verify", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
