package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/errs"
)

func newTestEngine(ready func() error) *gin.Engine {
	e := NewEngine(Options{Name: "test", MaxBodyBytes: 1024, MaxJSONDepth: 8, Ready: ready,
		Logger: nil})
	e.POST("/echo", func(c *gin.Context) {
		var v map[string]any
		if err := DecodeJSON(c, &v); err != nil {
			WriteError(c, err)
			return
		}
		c.JSON(http.StatusOK, v)
	})
	e.GET("/panic", func(c *gin.Context) { panic("boom") })
	e.GET("/plain-error", func(c *gin.Context) { WriteError(c, errors.New("secret internals")) })
	return e
}

func TestBadInputAnswersProblemJSON(t *testing.T) {
	e := newTestEngine(nil)
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
	}{
		{"malformed", "POST", "/echo", "application/json", `{"a":`, 400, CodeMalformedJSON},
		{"trailing data", "POST", "/echo", "application/json", `{"a":1} {}`, 400, CodeMalformedJSON},
		{"wrong content type", "POST", "/echo", "text/plain", `{}`, 415, CodeUnsupportedMediaType},
		{"no content type", "POST", "/echo", "", `{}`, 415, CodeUnsupportedMediaType},
		{"too large", "POST", "/echo", "application/json", `{"a":"` + strings.Repeat("x", 2000) + `"}`, 413, CodeBodyTooLarge},
		{"too deep", "POST", "/echo", "application/json", strings.Repeat("[", 9) + strings.Repeat("]", 9), 400, CodeJSONTooDeep},
		{"unknown route", "GET", "/nope", "", "", 404, CodeNotFound},
		{"wrong method", "GET", "/echo", "", "", 405, CodeMethodNotAllowed},
		{"panic", "GET", "/panic", "", "", 500, CodeInternal},
		{"uncoded error", "GET", "/plain-error", "", "", 500, CodeInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, ProblemContentType) {
				t.Fatalf("content type %q", ct)
			}
			var p map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p["code"] != tc.code || p["status"] != float64(tc.status) || p["request_id"] == "" {
				t.Fatalf("problem %v", p)
			}
			if strings.Contains(rec.Body.String(), "secret internals") {
				t.Fatal("internal error detail leaked to the client")
			}
		})
	}
}

func TestDeepJSONIsRefusedFast(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	if err := CheckDepth([]byte(deep), 64); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("got %v", err)
	}
	// Brackets inside strings do not count.
	if err := CheckDepth([]byte(`{"a":"[[[[[[[[[[[[\"]]]"}`), 2); err != nil {
		t.Fatalf("got %v", err)
	}
}

func TestValidJSONAndRequestID(t *testing.T) {
	e := newTestEngine(nil)
	req := httptest.NewRequest("POST", "/echo", strings.NewReader(`{"a":[1,2]}`))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set(RequestIDHeader, "abc-123")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get(RequestIDHeader) != "abc-123" {
		t.Fatalf("status %d id %q body %s", rec.Code, rec.Header().Get(RequestIDHeader), rec.Body)
	}
	req = httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set(RequestIDHeader, "bad id with spaces\n")
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if id := rec.Header().Get(RequestIDHeader); id == "" || strings.Contains(id, " ") {
		t.Fatalf("request id %q was not replaced", id)
	}
}

func TestReadyzAndMetrics(t *testing.T) {
	ready := errors.New("registry not synced")
	e := newTestEngine(func() error { return ready })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "registry not synced") {
		t.Fatalf("readyz %d %s", rec.Code, rec.Body)
	}
	ready = nil
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Fatalf("readyz %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `idport_http_requests_total{method="GET",route="/readyz",service="test",status="503"} 1`) {
		t.Fatalf("metrics missing request counter:\n%s", rec.Body)
	}
}

func TestServerRunShutsDownGracefully(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		io.WriteString(w, "done")
	})
	s := &Server{Addr: "127.0.0.1:0", Handler: slow, Name: "test", OnListen: func(a net.Addr) { addrc <- a }}
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()
	addr := <-addrc
	respc := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + addr.String() + "/")
		if err != nil {
			respc <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		respc <- string(b)
	}()
	time.Sleep(50 * time.Millisecond) // let the request reach the handler before shutdown starts
	cancel()
	if got := <-respc; got != "done" {
		t.Fatalf("in-flight request got %q", got)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestStatusesWriteKeepsTheCauseOutOfTheResponse(t *testing.T) {
	statuses := Statuses{"authority_unknown": http.StatusNotFound}
	e := NewEngine(Options{Name: "test"})
	e.GET("/known", func(c *gin.Context) {
		statuses.Write(c, fmt.Errorf("lookup: %w", errs.Wrap("authority_unknown", "authority not found",
			errors.New("bolt: page 7 corrupt at /var/secret")).WithField("id", "sg-acra")))
	})
	e.GET("/unmapped", func(c *gin.Context) {
		statuses.Write(c, errs.New("not_in_table", "should not leak"))
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/known", nil))
	if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "secret") ||
		!strings.Contains(rec.Body.String(), `"code":"authority_unknown"`) ||
		!strings.Contains(rec.Body.String(), `"id":"sg-acra"`) {
		t.Fatalf("mapped error: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/unmapped", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "leak") {
		t.Fatalf("unmapped code: %d %s", rec.Code, rec.Body)
	}
}

func TestDecodeJSONStrict(t *testing.T) {
	e := NewEngine(Options{Name: "test"})
	e.POST("/strict", func(c *gin.Context) {
		var v struct {
			A string `json:"a"`
			B struct {
				C int `json:"c"`
			} `json:"b"`
		}
		if err := DecodeJSONStrict(c, &v); err != nil {
			WriteError(c, err)
			return
		}
		c.JSON(http.StatusOK, v)
	})
	for body, want := range map[string]int{`{"a":"x","b":{"c":1}}`: 200, `{"a":"x","z":1}`: 400, `{"b":{"c":1,"zz":2}}`: 400} {
		req := httptest.NewRequest(http.MethodPost, "/strict", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		if w.Code != want {
			t.Fatalf("%s: %d %s", body, w.Code, w.Body)
		}
		if want == 400 && (!strings.Contains(w.Body.String(), `"code":"unknown_field"`) || !strings.Contains(w.Body.String(), "z")) {
			t.Fatalf("%s: %s", body, w.Body)
		}
	}
}

// A misspelt member is refused by strict decoding with its name, and accepted by DecodeJSON.
func TestDecodeJSONStrictNamesUnknownField(t *testing.T) {
	type body struct {
		Assurance string `json:"assurance"`
		Nested    struct {
			Level int `json:"level"`
		} `json:"nested"`
	}
	e := gin.New()
	e.POST("/strict", func(c *gin.Context) {
		var b body
		if err := DecodeJSONStrict(c, &b); err != nil {
			WriteError(c, err)
			return
		}
		c.JSON(200, b)
	})
	for in, want := range map[string]string{`{"asurance":"high"}`: "asurance", `{"nested":{"levle":1}}`: "levle"} {
		req := httptest.NewRequest("POST", "/strict", strings.NewReader(in))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		var p map[string]any
		json.Unmarshal(w.Body.Bytes(), &p)
		if w.Code != 400 || p["code"] != CodeUnknownField || p["field"] != want {
			t.Errorf("%s: %d %s", in, w.Code, w.Body)
		}
	}
	req := httptest.NewRequest("POST", "/strict", strings.NewReader(`{"assurance":"high"}`))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("known fields: %d %s", w.Code, w.Body)
	}
}
