package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/internal/testutil"
)

// loadConcurrency is the number of concurrent clients of the load benchmarks.
const loadConcurrency = 32

// serve runs h on a real loopback listener until the benchmark ends.
func serve(b *testing.B, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// rssMB reads the resident set size of this process (server and clients).
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func newClient(b *testing.B) *http.Client {
	tr := &http.Transport{MaxIdleConns: 2 * loadConcurrency, MaxIdleConnsPerHost: 2 * loadConcurrency, IdleConnTimeout: time.Minute}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// burst sends len(lat) POST requests from loadConcurrency clients, records
// each latency in lat and returns the wall time taken.
func burst(client *http.Client, url string, body []byte, wantStatus int, lat []time.Duration) (time.Duration, error) {
	var next sync.Mutex
	i := 0
	var failed error
	var failOnce sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for range loadConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				n := i
				i++
				next.Unlock()
				if n >= len(lat) {
					return
				}
				t0 := time.Now()
				resp, err := client.Post(url, "application/json", bytes.NewReader(body))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != wantStatus {
						err = &statusError{resp.StatusCode}
					}
				}
				if err != nil {
					failOnce.Do(func() { failed = err })
					return
				}
				lat[n] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return time.Since(start), failed
}

// load sends b.N POST requests from loadConcurrency clients and reports
// requests/s, p50 and p99 latency and RSS.
func load(b *testing.B, url string, body []byte, wantStatus int) {
	client := newClient(b)
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	cpu0 := processCPU()
	elapsed, err := burst(client, url, body, wantStatus, lat)
	cpu := processCPU() - cpu0
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(rssMB(), "RSS-MB")
	// CPU per request (server and clients in this process) and the
	// throughput it allows on all cores: a figure that a loaded, shared
	// machine does not distort the way it distorts wall-clock req/s.
	perReq := float64(cpu.Microseconds()) / float64(b.N)
	b.ReportMetric(perReq, "cpu-us/req")
	b.ReportMetric(float64(runtime.NumCPU())*1e6/perReq, "cpu-bound-req/s")
}

// processCPU returns the user and system CPU time of this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "unexpected HTTP status " + strconv.Itoa(e.code) }

func loadBody(b *testing.B) ([]byte, *verifier.StaticTrust, *testutil.Party) {
	is := testutil.NewParty(b, keys.EdDSA)
	auths := []verifier.StaticAuthority{is.Authority()}
	for i := 1; i < 10000; i++ {
		a := is.Authority()
		a.Issuer = "did:web:authority-" + strconv.Itoa(i) + ".example"
		auths = append(auths, a)
	}
	cred := is.JOSE(b, testutil.Cred{Issuer: is.DID, From: testutil.Now.Add(-time.Hour), Status: testutil.StatusEntry("revocation", "77")}.JSON())
	body, _ := json.Marshal(map[string]any{"verifiableCredential": cred})
	return body, verifier.NewStaticTrust(1, auths...), is
}

// BenchmarkHTTPVerify: POST /credentials/verify of a VC-JOSE EdDSA
// credential over a real loopback listener at concurrency 32 (10,000
// authorities, cached status). Compare with BenchmarkHTTPDecodeOnly.
func BenchmarkHTTPVerify(b *testing.B) {
	h, body := loadService(b)
	load(b, serve(b, h)+"/credentials/verify", body, http.StatusOK)
}

// loadService starts the verifier service of the load benchmarks (10,000
// authorities, cached status) and returns its handler and a request body
// verifying one VC-JOSE EdDSA credential.
func loadService(b *testing.B) (http.Handler, []byte) {
	body, trust, _ := loadBody(b)
	svc, err := httpapi.NewService(httpapi.ServiceConfig{
		DataDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler),
		Verifier: verifier.Config{TrustSource: trust, Clock: testutil.Clock, StatusFetcher: &testutil.Status{Values: map[string]uint8{}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Close() })
	return svc.Handler(), body
}

// BenchmarkHTTPDecodeOnly is the baseline: the same engine (pkg/httpx
// middleware) with a handler that only decodes the same JSON body.
func BenchmarkHTTPDecodeOnly(b *testing.B) {
	body, _, _ := loadBody(b)
	load(b, serve(b, decodeOnly())+"/credentials/verify", body, http.StatusOK)
}

// BenchmarkHTTPVerifyVsDecode runs the verifier and the decode-only
// baseline side by side, alternating rounds of 500 requests at concurrency
// 32, so that both see the same machine load; it reports each one's req/s,
// p50 and p99 and the ratio of their throughputs (goal >= 0.55x, verify p99
// <= 8 ms). It runs with the test binary's collector target (GOGC=100 unless
// set), not the GOGC=400 of idport's processes that examples/loadtest uses.
func BenchmarkHTTPVerifyVsDecode(b *testing.B) {
	h, body := loadService(b)
	urls := [2]string{serve(b, h) + "/credentials/verify", serve(b, decodeOnly()) + "/credentials/verify"}
	client := newClient(b)
	const round = 500
	rounds := max(1, b.N/round)
	var wall [2]time.Duration
	lat := [2][]time.Duration{make([]time.Duration, rounds*round), make([]time.Duration, rounds*round)}
	b.ResetTimer()
	for r := range rounds {
		for k := range 2 {
			d, err := burst(client, urls[k], body, http.StatusOK, lat[k][r*round:(r+1)*round])
			if err != nil {
				b.Fatal(err)
			}
			wall[k] += d
		}
	}
	b.StopTimer()
	names := [2]string{"verify", "decode"}
	var rps [2]float64
	for k := range 2 {
		slices.Sort(lat[k])
		rps[k] = float64(rounds*round) / wall[k].Seconds()
		b.ReportMetric(rps[k], names[k]+"-req/s")
		b.ReportMetric(float64(lat[k][len(lat[k])/2].Microseconds())/1000, names[k]+"-p50-ms")
		b.ReportMetric(float64(lat[k][len(lat[k])*99/100].Microseconds())/1000, names[k]+"-p99-ms")
	}
	b.ReportMetric(rps[0]/rps[1], "x-decode")
	b.ReportMetric(rssMB(), "RSS-MB")
}

// decodeOnly is the baseline engine: pkg/httpx middleware and a handler
// that decodes the request body and answers a constant.
func decodeOnly() http.Handler {
	e := httpx.NewEngine(httpx.Options{Name: "baseline", Logger: slog.New(slog.DiscardHandler)})
	e.POST("/credentials/verify", func(c *gin.Context) {
		var req struct {
			VerifiableCredential json.RawMessage `json:"verifiableCredential"`
			Options              map[string]any  `json:"options"`
		}
		if err := httpx.DecodeJSON(c, &req); err != nil {
			httpx.WriteError(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"verified": true})
	})
	return e
}
