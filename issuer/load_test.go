package issuer_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/idport/idport/issuer/internal/benchutil"
)

const loadChildEnv = "IDPORT_ISSUER_LOAD_CHILD"

// loadSpec tells the load-generator child what to send.
type loadSpec struct {
	URL, Token, Body string
	N, Clients       int
}

// loadChild sends spec.N issuance requests with spec.Clients keep-alive clients and exits 0
// when every one was answered 201.
func loadChild(raw string) int {
	var spec loadSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "load child:", err)
		return 2
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: spec.Clients, MaxConnsPerHost: spec.Clients}, Timeout: 30 * time.Second}
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for range spec.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(spec.N) {
				req, _ := http.NewRequest(http.MethodPost, spec.URL, strings.NewReader(spec.Body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+spec.Token)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		fmt.Fprintf(os.Stderr, "load child: %d of %d requests failed\n", n, spec.N)
		return 1
	}
	return 0
}

const vcjoseBody = `{"type":"BusinessRegistration","credentialSubject":{"uen":"201912345K","legalName":"Lion City Robotics Pte. Ltd.","registeredAddress":"1 Fusionopolis Way, Singapore 138632","incorporationDate":"2019-04-01","entityType":"Private Company Limited by Shares"}}`

// BenchmarkHTTPIssueExternalClients is the issuance load run with the clients in a separate
// process (the re-executed test binary, 128 keep-alive connections) over loopback, so that
// the issuer's own CPU is measured apart from the load generator's: ops/s is wall-clock
// credentials per second with both sharing the machine; server-ops/cpu-s is credentials per
// CPU-second of the issuer process alone (two dedicated cores give about twice that);
// client-cpu-us/op is the load generator's cost. Every issuance allocates a status entry
// durably (a pkg/boltkv.Group commit) before it is answered. The issuer process runs with the
// GC target idport's processes set by default (GOGC=400, internal/gctune).
//
//	go test -run '^$' -bench BenchmarkHTTPIssueExternalClients -benchtime 20000x ./issuer/
func BenchmarkHTTPIssueExternalClients(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	input := make([]byte, 1000)
	b.Run("raw/ed25519-sign", func(b *testing.B) {
		cpu0, start := benchutil.CPUTime(), time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				_ = ed25519.Sign(priv, input)
			}
		})
		benchutil.ReportRates(b, start, cpu0)
	})
	for _, f := range []struct {
		name, body string
		size       int
		delay      time.Duration
	}{
		{"vc+jwt/batch-256-1ms", vcjoseBody, 256, time.Millisecond},
		{"vc+jwt/batch-512-2ms", vcjoseBody, 512, 2 * time.Millisecond},
		{"vc+jwt/batch-1024-2ms-default", vcjoseBody, 1024, 2 * time.Millisecond},
		{"vc+jwt/batch-1024-5ms", vcjoseBody, 1024, 5 * time.Millisecond},
		{"dc+sd-jwt/batch-1024-2ms-default", `{"type":"PersonIdentity","credentialSubject":{"givenName":"Mei Ling","familyName":"Chan","birthDate":"1990-02-03","nationality":"HK"}}`, 1024, 2 * time.Millisecond},
	} {
		b.Run(f.name, func(b *testing.B) {
			e := start(b, func(c *config) { c.Bolt.MaxBatchSize, c.Bolt.MaxBatchDelay = f.size, f.delay })
			spec, _ := json.Marshal(loadSpec{URL: e.srv.URL + "/credentials/issue", Token: e.token, Body: f.body, N: b.N, Clients: 128})
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), loadChildEnv+"="+string(spec))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			b.ResetTimer()
			cpu0, start := benchutil.CPUTime(), time.Now()
			if err := cmd.Run(); err != nil {
				b.Fatalf("load generator: %v %s", err, stderr.String())
			}
			wall, server := time.Since(start), benchutil.CPUTime()-cpu0
			b.StopTimer()
			var client time.Duration
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			}
			n := float64(b.N)
			b.ReportMetric(n/wall.Seconds(), "ops/s")
			b.ReportMetric(n/server.Seconds(), "server-ops/cpu-s")
			b.ReportMetric(float64(client.Microseconds())/n, "client-cpu-us/op")
		})
	}
}
