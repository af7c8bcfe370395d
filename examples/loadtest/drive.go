package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// compareRound is the number of requests each target gets per round when several are driven in
// alternation (--baseline): short enough that load from outside hits both alike.
const compareRound = 1000

// worker results, merged at the end so the hot path shares nothing but one counter.
type tally struct {
	lat    []time.Duration
	status map[int]int
	ok     int
	errs   int
	kinds  []string
}

// drive sends up to cfg.Requests requests to each load from cfg.Concurrency workers over one
// keep-alive client and stops starting new ones after cfg.Duration or when ctx ends. Several
// loads are driven in alternating rounds of compareRound requests, so that they see the same
// machine; it returns one report per load, in order.
func drive(ctx context.Context, cfg Config, loads ...load) []*Report {
	tr := &http.Transport{Proxy: nil, MaxIdleConns: cfg.Concurrency * len(loads), MaxIdleConnsPerHost: cfg.Concurrency,
		IdleConnTimeout: 90 * time.Second, DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: requestTimeout}

	round := cfg.Requests
	if len(loads) > 1 {
		round = min(round, compareRound)
	}
	tallies := make([][]tally, len(loads))
	conns := make([][]*conn, len(loads)) // one per worker and load, kept across rounds
	for k := range tallies {
		tallies[k] = make([]tally, cfg.Concurrency)
		conns[k] = make([]*conn, cfg.Concurrency)
		for i := range tallies[k] {
			tallies[k][i] = tally{status: map[int]int{}, lat: make([]time.Duration, 0, cfg.Requests/cfg.Concurrency+1)}
			conns[k][i] = newConn(loads[k], cfg.client(loads[k].url))
		}
	}
	defer func() {
		for _, cs := range conns {
			for _, cn := range cs {
				cn.close()
			}
		}
	}()
	walls := make([]time.Duration, len(loads))
	cpus := make([]time.Duration, len(loads))
	allocs := make([]uint64, len(loads))
	deadline := time.Now().Add(cfg.Duration)
	for sent := 0; sent < cfg.Requests && ctx.Err() == nil && time.Now().Before(deadline); sent += round {
		n := min(round, cfg.Requests-sent)
		for k, l := range loads {
			cpu0, mallocs0 := processCPU(), heapAllocs()
			walls[k] += burst(ctx, client, l, n, deadline, tallies[k], conns[k])
			cpus[k] += processCPU() - cpu0
			allocs[k] += heapAllocs() - mallocs0
		}
	}
	reps := make([]*Report, len(loads))
	for k, l := range loads {
		reps[k] = merge(l.url, cfg.Concurrency, walls[k], tallies[k])
		if reps[k].Requests > 0 {
			reps[k].CPUPerRequest = cpus[k] / time.Duration(reps[k].Requests)
			reps[k].AllocsPerRequest = float64(allocs[k]) / float64(reps[k].Requests)
		}
	}
	return reps
}

// processCPU returns the user and system CPU time of this process so far (0 where the
// platform does not say).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapAllocs returns the number of heap objects this process allocated so far.
func heapAllocs() uint64 { return runtimeMetric("/gc/heap/allocs:objects") }

// gcPercent returns the garbage collector's target the process runs with (the GOGC value).
func gcPercent() int { return int(runtimeMetric("/gc/gogc:percent")) }

// runtimeMetric reads one runtime/metrics counter (0 when this runtime has no such counter).
func runtimeMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// burst sends n requests of l from len(tallies) workers, worker i over conns[i], and returns
// the wall time it took.
func burst(ctx context.Context, client *http.Client, l load, n int, deadline time.Time, tallies []tally, conns []*conn) time.Duration {
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for i := range tallies {
		wg.Go(func() {
			t, cn := &tallies[i], conns[i]
			for ctx.Err() == nil && time.Now().Before(deadline) && next.Add(1) <= int64(n) {
				status, body, d, err := l.do(client, cn)
				if err != nil {
					t.errs++
					if msg := err.Error(); len(t.kinds) < maxErrorKinds && !slices.Contains(t.kinds, msg) {
						t.kinds = append(t.kinds, msg)
					}
					continue
				}
				t.lat = append(t.lat, d)
				t.status[status]++
				if l.ok(status, body) {
					t.ok++
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// merge sums the workers' tallies into one report.
func merge(url string, concurrency int, elapsed time.Duration, tallies []tally) *Report {
	rep := &Report{URL: url, Concurrency: concurrency, Elapsed: elapsed, Status: map[int]int{}}
	var lat []time.Duration
	for _, t := range tallies {
		lat = append(lat, t.lat...)
		for k, v := range t.status {
			rep.Status[k] += v
		}
		rep.OK += t.ok
		rep.Errors += t.errs
		for _, k := range t.kinds {
			if len(rep.ErrorKinds) < maxErrorKinds && !slices.Contains(rep.ErrorKinds, k) {
				rep.ErrorKinds = append(rep.ErrorKinds, k)
			}
		}
	}
	rep.Requests = len(lat) + rep.Errors
	if elapsed > 0 {
		rep.RPS = float64(rep.Requests) / elapsed.Seconds()
	}
	slices.Sort(lat)
	rep.P50, rep.P90, rep.P99 = percentile(lat, 50), percentile(lat, 90), percentile(lat, 99)
	if len(lat) > 0 {
		rep.Max = lat[len(lat)-1]
	}
	return rep
}

// conn is one worker's reusable client state: with the wire client its connection, with
// net/http's the request's header and a buffer for answers. A real client keeps these too; the
// request is still sent and its answer read in full each time.
type conn struct {
	wire   *wireConn
	header http.Header
	buf    bytes.Buffer
	limit  io.LimitedReader
}

// newConn prepares a worker's state for l with the named client (clientWire or
// clientNetHTTP; Config.validate has checked that the wire client can reach l).
func newConn(l load, client string) *conn {
	if client == clientWire {
		if w, err := newWireConn(l); err == nil {
			return &conn{wire: w}
		}
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if l.token != "" {
		h["Authorization"] = []string{"Bearer " + l.token}
	}
	return &conn{header: h}
}

func (cn *conn) close() {
	if cn.wire != nil {
		cn.wire.close()
	}
}

// do sends one request and reads the whole answer (so the connection is reused). The body it
// returns is valid until the next call with the same conn.
func (l load) do(client *http.Client, cn *conn) (int, []byte, time.Duration, error) {
	if cn.wire != nil {
		return cn.wire.do()
	}
	req, err := http.NewRequest(http.MethodPost, l.url, bytes.NewReader(l.body))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("new request: %w", err)
	}
	req.Header = cn.header // never changed by the transport (http.RoundTripper's contract)
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("POST %s: %w", l.url, err)
	}
	cn.buf.Reset()
	cn.limit = io.LimitedReader{R: resp.Body, N: maxAnswer}
	_, err = cn.buf.ReadFrom(&cn.limit)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("POST %s: read answer: %w", l.url, err)
	}
	return resp.StatusCode, cn.buf.Bytes(), d, nil
}
