// Command loadtest drives HTTP load at idport's verifier (POST /credentials/verify) or issuer
// (POST /credentials/issue) and reports throughput, exact latency percentiles, status codes and
// errors.
//
//	go run ./examples/loadtest -c 32 -n 20000
//	go run ./examples/loadtest -c 32 -n 20000 --baseline
//	go run ./examples/loadtest --url http://127.0.0.1:8082 --credential cred.json -c 16 -d 30s
//
// By default it starts its own world in-process on loopback (a trust registry, a Singapore
// issuer and a Lingang verifier, as in examples/singapore-business), issues one VC-JOSE
// BusinessRegistration credential and verifies it over and over; the report then also carries
// the process's peak resident memory (VmHWM). With --url it targets a verifier (or, with
// --target issue and --api-key, an issuer) that is already running, e.g. from
// `go run ./cmd/idport demo --keep`. It refuses targets that are not on loopback unless
// --allow-remote is given, and it always stops by itself: after -n requests or -d, whichever
// comes first. --baseline drives, in alternating rounds with the verifier, a handler on the
// verifier's engine and middleware that only decodes the JSON body, and reports the verifier's
// throughput as a ratio of the baseline's; --cpuprofile profiles the run's CPU and
// --memprofile its heap allocations.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/gctune"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/verifier"
)

// Bounds of the flags: the tool always stops by itself and never opens an unbounded number of
// connections.
const (
	maxConcurrency = 1024
	maxRequests    = 10_000_000
	maxDuration    = 30 * time.Minute
	requestTimeout = 10 * time.Second
	maxErrorKinds  = 5
)

// Sentinel errors per failure class.
var (
	// ErrUsage marks invalid flags.
	ErrUsage = errors.New("usage")
	// ErrRemoteTarget marks a target that is not on loopback while --allow-remote is not set.
	ErrRemoteTarget = errors.New("target is not on loopback")
	// ErrCredentialFile marks an unreadable or malformed --credential file.
	ErrCredentialFile = errors.New("credential file")
)

// Target names.
const (
	targetVerify = "verify"
	targetIssue  = "issue"
)

// Config is what the flags set.
type Config struct {
	// Concurrency is the number of workers, each with one request in flight.
	Concurrency int
	// Requests is the total number of requests to send.
	Requests int
	// Duration bounds the run: no request starts after it.
	Duration time.Duration
	// Target is "verify" or "issue".
	Target string
	// URL is the base URL of a running service ("" starts a world in-process).
	URL string
	// CredentialFile holds the credential to verify in --url mode.
	CredentialFile string
	// APIKey is the issuer's bearer token for --target issue in --url mode.
	APIKey string
	// AllowRemote permits targets that are not on loopback.
	AllowRemote bool
	// JSON prints the report as JSON.
	JSON bool
	// Baseline also drives a decode-only handler on the verifier's engine (in-process verify
	// only), in alternating rounds with the verifier, and reports the ratio of throughputs.
	Baseline bool
	// CPUProfile, when set, receives a CPU profile of the process during the load.
	CPUProfile string
	// MemProfile, when set, receives the process's heap allocation profile after the load.
	MemProfile string
	// Client is the HTTP client of the load: "auto" (the wire client for http:// targets,
	// net/http's for https://), "wire" or "net/http".
	Client string
}

// client returns the client that drives target under c.Client.
func (cfg Config) client(target string) string {
	if cfg.Client == clientAuto || cfg.Client == "" {
		if strings.HasPrefix(target, "http://") {
			return clientWire
		}
		return clientNetHTTP
	}
	return cfg.Client
}

// Report is the outcome of a run.
type Report struct {
	// Target, URL and Mode ("in-process" or "external") describe what was loaded.
	Target string `json:"target"`
	URL    string `json:"url"`
	Mode   string `json:"mode"`
	// Concurrency is the number of workers.
	Concurrency int `json:"concurrency"`
	// Client is the HTTP client that drove the load ("wire" or "net/http").
	Client string `json:"client"`
	// Requests counts requests sent (answered or failed).
	Requests int `json:"requests"`
	// Elapsed is the wall time from the first request to the last answer.
	Elapsed time.Duration `json:"elapsedNs"`
	// RPS is Requests / Elapsed.
	RPS float64 `json:"requestsPerSecond"`
	// P50, P90, P99 and Max are exact latencies over every answered request.
	P50 time.Duration `json:"p50Ns"`
	P90 time.Duration `json:"p90Ns"`
	P99 time.Duration `json:"p99Ns"`
	Max time.Duration `json:"maxNs"`
	// Status counts answers per HTTP status code.
	Status map[int]int `json:"status"`
	// OK counts answers with the expected outcome: 200 with "verified": true for verify,
	// 201 for issue.
	OK int `json:"ok"`
	// Errors counts requests with no HTTP answer (transport errors, timeouts); ErrorKinds keeps
	// the first few distinct messages.
	Errors     int      `json:"errors"`
	ErrorKinds []string `json:"errorKinds,omitempty"`
	// PeakRSS is the process's VmHWM in bytes when the services run in-process (0 otherwise).
	PeakRSS int64 `json:"peakRssBytes,omitempty"`
	// GCPercent is the garbage collector's target the process ran with (the GOGC value).
	GCPercent int `json:"gcPercent"`
	// CPUPerRequest is the process's CPU time (user + system) per request: clients and, when
	// in-process, services. Unlike RPS it hardly moves with other load on the machine.
	CPUPerRequest time.Duration `json:"cpuPerRequestNs"`
	// AllocsPerRequest is the process's heap allocations per request, clients and (in-process)
	// services together; like CPUPerRequest it does not move with the machine's load.
	AllocsPerRequest float64 `json:"allocsPerRequest"`
	// Baseline is the decode-only baseline's report (--baseline), measured in the same run.
	Baseline *Report `json:"baseline,omitempty"`
	// Ratio is RPS / Baseline.RPS (--baseline).
	Ratio float64 `json:"ratioToBaseline,omitempty"`
	// CPURatio is Baseline.CPUPerRequest / CPUPerRequest (--baseline): the throughput ratio
	// the two would have when CPU-bound on the same cores.
	CPURatio float64 `json:"cpuRatioToBaseline,omitempty"`
}

func main() {
	gctune.Apply(os.Getenv) // the in-process services run as idport's do (set GOGC=100 for Go's default)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli parses args, runs the load and prints the report; it returns the exit code.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 2
	}
	rep, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
		return 0
	}
	rep.Print(stdout)
	return 0
}

func parseFlags(args []string, stderr io.Writer) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.Concurrency, "c", 32, "concurrent workers, each with one request in flight (1.."+strconv.Itoa(maxConcurrency)+")")
	fs.IntVar(&cfg.Requests, "n", 10000, "total requests (1.."+strconv.Itoa(maxRequests)+")")
	fs.DurationVar(&cfg.Duration, "d", time.Minute, "maximum duration; no request starts after it (up to "+maxDuration.String()+")")
	fs.StringVar(&cfg.Target, "target", targetVerify, "endpoint to load: verify (POST /credentials/verify) or issue (POST /credentials/issue)")
	fs.StringVar(&cfg.URL, "url", "", "base URL of a running verifier (or issuer); empty starts the services in-process on loopback")
	fs.StringVar(&cfg.CredentialFile, "credential", "", "with --url and --target verify: file holding the credential (JSON object, JSON string, compact JWT, or a whole {\"verifiableCredential\": ...} body)")
	fs.StringVar(&cfg.APIKey, "api-key", "", "with --url and --target issue: the issuer's bearer token")
	fs.BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a --url that is not on loopback")
	fs.BoolVar(&cfg.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&cfg.Baseline, "baseline", false, "in-process verify only: also drive a decode-only handler on the same engine and middleware, alternating rounds of "+strconv.Itoa(compareRound)+" requests (-n each), and report the ratio")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the run (services included when in-process) to this file")
	fs.StringVar(&cfg.Client, "client", clientAuto, "HTTP client of the load: auto (wire for http:// targets, net/http for https://), wire (one connection per worker, requests from prepared bytes, answers read as HTTP/1.1 needs) or net/http")
	fs.StringVar(&cfg.MemProfile, "memprofile", "", "write the heap allocation profile (pprof allocs) of the process after the run to this file")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: unexpected arguments %q", ErrUsage, fs.Args())
	}
	return cfg, cfg.validate()
}

func (cfg Config) validate() error {
	switch {
	case cfg.Concurrency < 1 || cfg.Concurrency > maxConcurrency:
		return fmt.Errorf("%w: -c %d out of 1..%d", ErrUsage, cfg.Concurrency, maxConcurrency)
	case cfg.Requests < 1 || cfg.Requests > maxRequests:
		return fmt.Errorf("%w: -n %d out of 1..%d", ErrUsage, cfg.Requests, maxRequests)
	case cfg.Duration <= 0 || cfg.Duration > maxDuration:
		return fmt.Errorf("%w: -d %s out of (0, %s]", ErrUsage, cfg.Duration, maxDuration)
	case cfg.Target != targetVerify && cfg.Target != targetIssue:
		return fmt.Errorf("%w: --target %q, want verify or issue", ErrUsage, cfg.Target)
	case cfg.URL == "" && (cfg.CredentialFile != "" || cfg.APIKey != ""):
		return fmt.Errorf("%w: --credential and --api-key need --url", ErrUsage)
	case cfg.URL != "" && cfg.Target == targetVerify && cfg.CredentialFile == "":
		return fmt.Errorf("%w: --url with --target verify needs --credential FILE", ErrUsage)
	case cfg.URL != "" && cfg.Target == targetIssue && cfg.APIKey == "":
		return fmt.Errorf("%w: --url with --target issue needs --api-key", ErrUsage)
	case cfg.Client != "" && cfg.Client != clientAuto && cfg.Client != clientWire && cfg.Client != clientNetHTTP:
		return fmt.Errorf("%w: --client %q, want auto, wire or net/http", ErrUsage, cfg.Client)
	case cfg.Client == clientWire && strings.HasPrefix(cfg.URL, "https://"):
		return fmt.Errorf("%w: --client wire speaks plain HTTP/1.1; an https:// target needs --client net/http or auto", ErrUsage)
	case cfg.Baseline && (cfg.URL != "" || cfg.Target != targetVerify):
		return fmt.Errorf("%w: --baseline compares the in-process verifier only (no --url, --target verify)", ErrUsage)
	}
	if cfg.URL != "" {
		return checkTarget(cfg.URL, cfg.AllowRemote)
	}
	return nil
}

// checkTarget refuses a URL whose host is not a loopback address (or "localhost") unless
// allowRemote is set.
func checkTarget(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: --url %q is not an http(s) URL", ErrUsage, raw)
	}
	if allowRemote {
		return nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s (pass --allow-remote to load it anyway)", ErrRemoteTarget, host)
}

// load is one prepared request: where it goes, its body and token, and how to tell a good answer.
type load struct {
	url, token string
	body       []byte
	ok         func(status int, body []byte) bool
}

// subject is the BusinessRegistration credential subject of examples/singapore-business.
var subject = map[string]any{"id": "did:example:acme-sg", "uen": "201912345K", "legalName": "Acme Trading Pte. Ltd.",
	"registeredAddress": "1 Marina Boulevard, Singapore 018989", "incorporationDate": "2019-04-02",
	"entityType": "Private Company Limited by Shares"}

var verifiedTrue = []byte(`"verified":true`)

func verifyOK(status int, body []byte) bool {
	return status == http.StatusOK && bytes.Contains(body, verifiedTrue)
}

func issueOK(status int, _ []byte) bool { return status == http.StatusCreated }

func issueBody() ([]byte, error) {
	b, err := json.Marshal(map[string]any{"type": demoseed.Type, "format": "vc+jwt", "credentialSubject": subject})
	if err != nil {
		return nil, fmt.Errorf("issue request: %w", err)
	}
	return b, nil
}

// verifyBody wraps a credential (JSON object, JSON string or compact JWT) into a verify request
// body; a file that already is a {"verifiableCredential": ...} body is used as it is.
func verifyBody(b []byte) ([]byte, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrCredentialFile)
	}
	var cred json.RawMessage
	if json.Valid(b) {
		var probe map[string]json.RawMessage
		if json.Unmarshal(b, &probe) == nil {
			if _, ok := probe["verifiableCredential"]; ok {
				return b, nil
			}
		}
		cred = b
	} else {
		s, err := json.Marshal(string(b)) // a compact JWT / SD-JWT as a JSON string
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCredentialFile, err)
		}
		cred = s
	}
	out, err := json.Marshal(map[string]json.RawMessage{"verifiableCredential": cred})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCredentialFile, err)
	}
	return out, nil
}

// run prepares the target (starting the services in-process unless cfg.URL is set) and drives
// the load; with cfg.Baseline it drives the decode-only baseline in alternating rounds as well.
func run(ctx context.Context, cfg Config) (*Report, error) {
	var prof func() error
	if cfg.CPUProfile != "" {
		stop, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			return nil, err
		}
		prof = stop
	}
	var (
		loads []load
		mode  = "external"
		err   error
	)
	if cfg.URL == "" {
		mode = "in-process"
		var w *world
		w, loads, err = prepareInProcess(ctx, cfg)
		if w != nil {
			defer w.Close()
		}
	} else {
		loads, err = prepareExternal(cfg)
	}
	if err != nil {
		return nil, err
	}
	reps := drive(ctx, cfg, loads...)
	if prof != nil {
		if err := prof(); err != nil {
			return nil, err
		}
	}
	if cfg.MemProfile != "" {
		if err := writeAllocsProfile(cfg.MemProfile); err != nil {
			return nil, err
		}
	}
	for k, r := range reps {
		r.Client = cfg.client(loads[k].url)
	}
	rep := reps[0]
	rep.Target, rep.Mode = cfg.Target, mode
	if len(reps) > 1 {
		rep.Baseline = reps[1]
		rep.Baseline.Target, rep.Baseline.Mode = baselineDecode, mode
		if rep.Baseline.RPS > 0 {
			rep.Ratio = rep.RPS / rep.Baseline.RPS
		}
		if rep.CPUPerRequest > 0 {
			rep.CPURatio = float64(rep.Baseline.CPUPerRequest) / float64(rep.CPUPerRequest)
		}
	}
	if mode == "in-process" {
		rss, err := peakRSS()
		if err != nil {
			return nil, err
		}
		rep.PeakRSS = rss
	}
	rep.GCPercent = gcPercent()
	return rep, nil
}

// world is what an in-process run started: the services and, with --baseline, the baseline's
// server.
type world struct {
	stack    *stack.Stack
	baseline *httptest.Server
}

// Close stops everything the world started.
func (w *world) Close() {
	if w.baseline != nil {
		w.baseline.Close()
	}
	_ = w.stack.Close()
}

// prepareInProcess starts a registry and the Singapore issuer (and, for verify, the Lingang
// verifier and, with cfg.Baseline, the decode-only baseline) and returns the loads to drive.
func prepareInProcess(ctx context.Context, cfg Config) (*world, []load, error) {
	// Setting up the world is bounded on its own, apart from the load's -d.
	setup, cancel := context.WithTimeout(ctx, stack.Deadline)
	defer cancel()
	s, reg, sg, _, err := stack.NewDemoWorld(setup, time.Now().Add(-time.Hour))
	if err != nil {
		return nil, nil, fmt.Errorf("start world: %w", err)
	}
	w := &world{stack: s}
	if cfg.Target == targetIssue {
		b, err := issueBody()
		if err != nil {
			return w, nil, err
		}
		return w, []load{{url: sg.URL + "/credentials/issue", token: sg.APIKey, body: b, ok: issueOK}}, nil
	}
	v, err := s.StartVerifier(setup, "lingang-verifier", reg, verifier.Policy{LocalScheme: demoseed.LocalScheme,
		AssuranceLevels: []string{"L1", "L2", "L3"}, MinAssurance: "L3"}, 0)
	if err != nil {
		return w, nil, fmt.Errorf("start verifier: %w", err)
	}
	cred, _, err := sg.Issue(setup, demoseed.Type, "vc+jwt", subject, nil)
	if err != nil {
		return w, nil, fmt.Errorf("issue the credential to verify: %w", err)
	}
	b, err := verifyBody(cred)
	if err != nil {
		return w, nil, err
	}
	loads := []load{{url: v.URL + "/credentials/verify", body: b, ok: verifyOK}}
	if cfg.Baseline {
		w.baseline = httptest.NewServer(decodeOnly(s.Logger))
		loads = append(loads, load{url: w.baseline.URL + "/credentials/verify", body: b, ok: verifyOK})
	}
	return w, loads, nil
}

// prepareExternal returns the load of a service that is already running at cfg.URL.
func prepareExternal(cfg Config) ([]load, error) {
	base := strings.TrimRight(cfg.URL, "/")
	if cfg.Target == targetIssue {
		b, err := issueBody()
		if err != nil {
			return nil, err
		}
		return []load{{url: base + "/credentials/issue", token: cfg.APIKey, body: b, ok: issueOK}}, nil
	}
	raw, err := os.ReadFile(cfg.CredentialFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCredentialFile, err)
	}
	b, err := verifyBody(raw)
	if err != nil {
		return nil, err
	}
	return []load{{url: base + "/credentials/verify", body: b, ok: verifyOK}}, nil
}

// percentile returns the nearest-rank p-th percentile of sorted durations (0 when empty).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n), 1-based
	return sorted[max(rank, 1)-1]
}

// peakRSS reads the process's peak resident set size (VmHWM) from /proc/self/status.
func peakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("peak RSS: VmHWM %q: %w", rest, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("peak RSS: %w", err)
	}
	return 0, fmt.Errorf("peak RSS: no VmHWM line in /proc/self/status")
}

// Print writes the report as text, the baseline's (if any) after it.
func (r *Report) Print(w io.Writer) {
	r.print(w)
	if r.Baseline != nil {
		fmt.Fprintln(w)
		r.Baseline.print(w)
		fmt.Fprintf(w, "\nratio      %.3fx the decode-only baseline's throughput (same run, alternating rounds)\n", r.Ratio)
		fmt.Fprintf(w, "cpu ratio  %.3fx (baseline's CPU per request / this one's)\n", r.CPURatio)
	}
}

func (r *Report) print(w io.Writer) {
	fmt.Fprintf(w, "target     POST %s (%s, %s)\n", r.URL, r.Target, r.Mode)
	fmt.Fprintf(w, "requests   %d in %s with %d workers (%s client): %.0f requests/s\n", r.Requests, r.Elapsed.Round(time.Millisecond), r.Concurrency, r.Client, r.RPS)
	fmt.Fprintf(w, "latency    p50 %s  p90 %s  p99 %s  max %s\n", round(r.P50), round(r.P90), round(r.P99), round(r.Max))
	codes := make([]int, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d x %d", c, r.Status[c]))
	}
	fmt.Fprintf(w, "status     %s; expected outcome %d\n", strings.Join(parts, ", "), r.OK)
	fmt.Fprintf(w, "errors     %d\n", r.Errors)
	if r.CPUPerRequest > 0 {
		fmt.Fprintf(w, "cpu        %s per request (process user + system), %.0f heap allocations per request\n", round(r.CPUPerRequest), r.AllocsPerRequest)
	}
	for _, k := range r.ErrorKinds {
		fmt.Fprintf(w, "           %s\n", k)
	}
	if r.PeakRSS > 0 {
		fmt.Fprintf(w, "peak RSS   %.1f MiB (VmHWM; services and load in one process), GOGC=%d\n", float64(r.PeakRSS)/(1<<20), r.GCPercent)
	}
}

func round(d time.Duration) time.Duration {
	if d >= time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
