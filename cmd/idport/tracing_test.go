package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/internal/stack"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/otelx"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/importer"
	"github.com/idport/idport/trustregistry/oidfed"
	"github.com/idport/idport/trustregistry/oidfed/oidfedtest"
)

// otlpReceiver is an in-process OTLP collector keeping every span with the service.name of its
// resource. ServeHTTP receives OTLP/HTTP (protobuf export requests POSTed to /v1/traces);
// serveGRPC receives OTLP/gRPC (the TraceService).
type otlpReceiver struct {
	mu    sync.Mutex
	spans []recordedSpan
	// raw holds every resource's spans as protojson, for the personal-data scan.
	raw [][]byte
}

type recordedSpan struct {
	service string
	span    *tracepb.Span
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces application/x-protobuf", http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.add(&req)
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// add keeps the spans of one export request.
func (o *otlpReceiver) add(req *coltracepb.ExportTraceServiceRequest) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				o.spans = append(o.spans, recordedSpan{service: service, span: sp})
			}
		}
		j, _ := protojson.Marshal(rs)
		o.raw = append(o.raw, j)
	}
}

// grpcTraceService is the OTLP/gRPC TraceService of an otlpReceiver.
type grpcTraceService struct {
	coltracepb.UnimplementedTraceServiceServer
	recv *otlpReceiver
}

func (g grpcTraceService) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	g.recv.add(req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// serveGRPC runs a gRPC server on loopback with o as its TraceService, stopped with the test,
// and returns its OTLP/gRPC endpoint URL (plain: http://).
func (o *otlpReceiver) serveGRPC(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(srv, grpcTraceService{recv: o})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return "http://" + l.Addr().String()
}

func (o *otlpReceiver) recorded() ([]recordedSpan, [][]byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]recordedSpan(nil), o.spans...), append([][]byte(nil), o.raw...)
}

func spanAttr(sp *tracepb.Span, key string) string {
	for _, kv := range sp.Attributes {
		if kv.Key == key {
			if s := kv.GetValue().GetStringValue(); s != "" {
				return s
			}
			return kv.GetValue().String()
		}
	}
	return ""
}

// TestTracingAcrossServices runs the real registry, issuer and verifier subcommands in-process
// with IDPORT_OTLP_ENDPOINT set, verifies a credential, and follows its trace through the
// OTLP/HTTP receiver: the verifier's request span, the credential span, a span per check, the
// status-list fetch under the status check and the issuer's span serving the list under it.
// No span carries the subject's claims or DIDs, the credential, or a token.
func TestTracingAcrossServices(t *testing.T) {
	var recv otlpReceiver
	collector := httptest.NewServer(&recv)
	defer collector.Close()
	traceVerification(t, &recv, collector.URL, "http")
}

// TestTracingAcrossServicesOTLPGRPC is TestTracingAcrossServices with the services exporting
// over OTLP/gRPC (--otlp-protocol grpc) to a gRPC TraceService on loopback.
func TestTracingAcrossServicesOTLPGRPC(t *testing.T) {
	var recv otlpReceiver
	traceVerification(t, &recv, recv.serveGRPC(t), "grpc")
}

// traceVerification runs the story of TestTracingAcrossServices with the services exporting
// to endpoint over protocol, and checks the spans recv received.
func traceVerification(t *testing.T, recv *otlpReceiver, endpoint, protocol string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := tracedDemo(ctx, t, t.TempDir(), map[string]string{"IDPORT_OTLP_ENDPOINT": endpoint, "IDPORT_OTLP_PROTOCOL": protocol})
	s := d.stack
	addrs, err := stack.FreeAddrs(3)
	if err != nil {
		t.Fatal(err)
	}
	d.regAddr, d.issAddr, d.verAddr = addrs[0], addrs[1], addrs[2]
	d.registryURL, d.registryKey = "http://"+d.regAddr, s.Dir+"/registry.jwk"
	for _, step := range []func(context.Context) error{d.bootstrap, d.startRegistry, d.startIssuer, d.recognise,
		d.startVerifier, d.issue, d.verifyAccepted} {
		if err := step(ctx); err != nil {
			s.Close()
			t.Fatal(err)
		}
	}
	secrets := []string{d.issuer.APIKey, d.alice.Token, d.bob.Token, d.carol.Token}
	// Stopping the services shuts their tracer providers down: the batched spans are exported.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	spans, raw := recv.recorded()
	byID := map[string]recordedSpan{}
	for _, r := range spans {
		byID[string(r.span.SpanId)] = r
	}
	parent := func(r recordedSpan) (recordedSpan, bool) {
		p, ok := byID[string(r.span.ParentSpanId)]
		return p, ok
	}

	request := findSpan(t, spans, "idport-verifier", "POST /credentials/verify")
	if request.span.Kind != tracepb.Span_SPAN_KIND_SERVER || spanAttr(request.span, "http.route") != "/credentials/verify" {
		t.Errorf("request span: kind %v route %q", request.span.Kind, spanAttr(request.span, "http.route"))
	}
	trace := string(request.span.TraceId)
	find := func(service, name string) recordedSpan {
		t.Helper()
		for _, r := range spans {
			if string(r.span.TraceId) == trace && r.service == service && r.span.Name == name {
				return r
			}
		}
		t.Fatalf("no %s span %q in the verification's trace", service, name)
		return recordedSpan{}
	}
	childOf := func(child, want recordedSpan) {
		t.Helper()
		if p, ok := parent(child); !ok || string(p.span.SpanId) != string(want.span.SpanId) {
			t.Errorf("span %q (%s) is not a child of %q", child.span.Name, child.service, want.span.Name)
		}
	}
	cred := find("idport-verifier", "verifier.credential")
	childOf(cred, *request)
	if got := spanAttr(cred.span, "idport.outcome"); got != "verified" {
		t.Errorf("credential span outcome %q, want verified", got)
	}
	for _, check := range []string{"format", "signature", "validity", "recognition", "disclosures", "status"} {
		c := find("idport-verifier", "verifier.check."+check)
		childOf(c, cred)
		if got := spanAttr(c.span, "idport.outcome"); got != "passed" {
			t.Errorf("check %s outcome %q, want passed", check, got)
		}
	}
	fetch := find("idport-verifier", "status list fetch")
	childOf(fetch, find("idport-verifier", "verifier.check.status"))
	if fetch.span.Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("status list fetch kind %v, want client", fetch.span.Kind)
	}
	served := find("idport-issuer", "GET /status/bitstring/:list")
	childOf(served, fetch)

	// The registry's own spans arrived too (the replicas' snapshot and delta fetches).
	var registrySpans int
	for _, r := range spans {
		if r.service == "idport-registry" {
			registrySpans++
		}
	}
	if registrySpans == 0 {
		t.Error("no span of the registry")
	}

	// No personal data, credential or token in any span of any service.
	forbidden := []string{"did:example:sg-company-acme", "201912345K", "Acme Trading", "Marina Boulevard",
		"2019-04-02", "Private Company Limited", d.issuer.DID}
	forbidden = append(forbidden, secrets...)
	forbidden = append(forbidden, regexp.MustCompile(`eyJ[A-Za-z0-9_-]{16,}`).FindAllString(string(d.credential), -1)...)
	if len(forbidden) < 9 {
		t.Fatalf("the credential holds no JWS segment: %s", d.credential)
	}
	assertNotCarried(t, raw, forbidden)
	if testing.Verbose() {
		for _, r := range spans {
			if string(r.span.TraceId) == trace {
				t.Logf("%-16s %-40s parent %x", r.service, r.span.Name, r.span.ParentSpanId)
			}
		}
	}
}

// assertNotCarried fails the test when a span of raw (protojson resource spans) carries one of
// forbidden.
func assertNotCarried(t *testing.T, raw [][]byte, forbidden []string) {
	t.Helper()
	for _, j := range raw {
		for _, f := range forbidden {
			if f != "" && bytes.Contains(j, []byte(f)) {
				t.Errorf("a span carries %q: %s", f, j)
			}
		}
	}
}

// TestTracingFederationFetch runs the real registry subcommand in-process with tracing on and
// imports an authority from an OpenID federation on loopback (HTTPS under a test CA given by
// --import-ca): every entity configuration and subordinate statement the registry fetches is a
// "federation fetch" client span under the import request's span, and the request the entity
// receives carries that span's W3C traceparent. No span carries an entity id, the leaf's
// name or a token.
func TestTracingFederationFetch(t *testing.T) {
	var recv otlpReceiver
	collector := httptest.NewServer(&recv)
	defer collector.Close()

	fed := oidfedtest.NewTLS(t)
	anchor, leaf := fed.Entity(), fed.Entity()
	anchor.Subordinate(leaf, oidfed.Policy{"openid_credential_issuer": {"jwks": {"essential": true}}})
	leaf.Set(func(e *oidfedtest.Entity) {
		e.Metadata["openid_credential_issuer"] = map[string]any{"jwks": json.RawMessage(anchor.JWKSJSON()),
			"credential_configurations_supported": map[string]any{"br": map[string]any{"format": "vc+sd-jwt", "vct": demoseed.Type}}}
		e.Metadata["federation_entity"] = map[string]any{"organization_name": "Leaf Registrar Pte Ltd"}
	})
	var mu sync.Mutex
	var traceparents []string
	for _, e := range []*oidfedtest.Entity{anchor, leaf} {
		e.Set(func(e *oidfedtest.Entity) {
			e.OnRequest = func(r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				traceparents = append(traceparents, r.Header.Get("Traceparent"))
			}
		})
	}
	dir := t.TempDir()
	caFile := writeCertificate(t, dir, "federation-ca.pem", anchor.Certificate())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := tracedDemo(ctx, t, dir, map[string]string{"IDPORT_OTLP_ENDPOINT": collector.URL, "IDPORT_OTLP_PROTOCOL": "http",
		"IDPORT_IMPORT_ALLOW_HOSTS": leaf.Host(), "IDPORT_IMPORT_CA": caFile})
	s := d.stack
	addrs, err := stack.FreeAddrs(1)
	if err != nil {
		t.Fatal(err)
	}
	d.regAddr = addrs[0]
	d.registryURL, d.registryKey = "http://"+d.regAddr, s.Dir+"/registry.jwk"
	imported := func(ctx context.Context) error {
		if _, err := demoseed.Seed(ctx, d.alice, d.bob, "did:web:demo.example", time.Now().Add(-time.Hour)); err != nil {
			return err
		}
		r, err := d.alice.ImportFederation(ctx, importer.FederationRequest{Target: importer.Target{Scheme: demoseed.ForeignScheme},
			Entity: leaf.ID, TrustAnchor: anchor.ID, AnchorJWKS: anchor.JWKSJSON(), Reason: "Singapore registrar joins via the federation"})
		if err == nil && r.Proposal == nil {
			err = errors.New("the import made no proposal")
		}
		return err
	}
	for _, step := range []func(context.Context) error{d.bootstrap, d.startRegistry, imported} {
		if err := step(ctx); err != nil {
			s.Close()
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	spans, raw := recv.recorded()
	request := findSpan(t, spans, "idport-registry", "POST /admin/v1/imports/federation")
	fetches := map[string]bool{} // the traceparent each fetch span sent
	for _, r := range spans {
		if r.span.Name != otelx.SpanFederation {
			continue
		}
		if r.service != "idport-registry" || r.span.Kind != tracepb.Span_SPAN_KIND_CLIENT ||
			string(r.span.TraceId) != string(request.span.TraceId) || string(r.span.ParentSpanId) != string(request.span.SpanId) {
			t.Errorf("federation fetch span of %s, kind %v, not a child of the import request", r.service, r.span.Kind)
		}
		fetches[fmt.Sprintf("00-%x-%x-01", r.span.TraceId, r.span.SpanId)] = true
	}
	mu.Lock()
	got := append([]string(nil), traceparents...)
	mu.Unlock()
	// The leaf's and the anchor's entity configurations, and the anchor's statement on the leaf.
	if len(got) < 3 || len(fetches) != len(got) {
		t.Fatalf("%d federation requests, %d federation fetch spans", len(got), len(fetches))
	}
	for _, tp := range got {
		if !fetches[tp] {
			t.Errorf("a federation request carried traceparent %q, not that of a federation fetch span", tp)
		}
	}
	assertNotCarried(t, raw, []string{leaf.ID, anchor.ID, leaf.Host() + ":", "Leaf Registrar", d.alice.Token, d.bob.Token, d.carol.Token})
}

// tracedDemo opens a stack in dir and returns the demo's steps over it, its subcommands reading
// vars as their environment (the tracing and import settings of a test).
func tracedDemo(ctx context.Context, t *testing.T, dir string, vars map[string]string) *demo {
	t.Helper()
	s, err := stack.Open(ctx, stack.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return &demo{stack: s, story: stack.Teller{W: io.Discard},
		env: Env{Stdout: io.Discard, Stderr: io.Discard, Logger: slog.New(slog.DiscardHandler),
			Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }}}
}

// writeCertificate writes cert as a PEM file named name in dir and returns its path.
func writeCertificate(t *testing.T, dir, name string, cert *x509.Certificate) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// findSpan returns the last span named name that service recorded, failing
// the test when there is none.
func findSpan(t *testing.T, spans []recordedSpan, service, name string) *recordedSpan {
	t.Helper()
	var found *recordedSpan
	for i, r := range spans {
		if r.service == service && r.span.Name == name {
			found = &spans[i]
		}
	}
	if found == nil {
		t.Fatalf("no %s span %s among %d spans", service, name, len(spans))
	}
	return found
}

// TestTracingVerifierFederationFetch runs the real registry and verifier subcommands in-process
// with tracing on. The registry recognises, by framework, the entities of an OpenID federation
// on loopback (HTTPS under a test CA, given to the verifier with --fetch-ca) that hold a trust
// mark; the federation's leaf is a did:web issuer the registry does not list. Verifying its
// credential makes the verifier resolve the leaf's DID document and its trust chain: each of
// those fetches is a client span inside the verification's trace, under the check that made
// it, and the request the entity receives carries that span's W3C traceparent. No span carries
// an entity id, the issuer's DID or the subject's claims.
func TestTracingVerifierFederationFetch(t *testing.T) {
	var recv otlpReceiver
	collector := httptest.NewServer(&recv)
	defer collector.Close()

	const mark = "https://anchor.example/trust-marks/qualified-registrar"
	fed := oidfedtest.NewTLS(t)
	anchor, leaf := fed.Entity(), fed.Entity()
	anchor.Subordinate(leaf, nil)
	anchor.Set(func(e *oidfedtest.Entity) { e.TrustMarkIssuers = map[string][]string{mark: {anchor.ID}} })
	anchor.IssueTrustMark(leaf, mark, time.Now().Add(24*time.Hour))
	key, err := keys.Generate(keys.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(leaf.ID)
	issuerDID := did.WebDID(u.Host)
	key.ID = issuerDID + "#k1"
	doc, err := did.NewDocument(issuerDID, []*keys.Key{{ID: "k1", Alg: key.Alg, Public: key.Public}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := keys.PublicJWK(key.Public, "k1")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	received := map[string][]string{} // path -> traceparents
	record := func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		received[r.URL.Path] = append(received[r.URL.Path], r.Header.Get("Traceparent"))
	}
	leaf.Set(func(e *oidfedtest.Entity) {
		e.Metadata["openid_credential_issuer"] = map[string]any{"jwks": map[string]any{"keys": []json.RawMessage{pub}}}
		e.Routes = map[string]http.Handler{"/.well-known/did.json": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/did+json")
			_, _ = w.Write(doc)
		})}
	})
	for _, e := range []*oidfedtest.Entity{anchor, leaf} { // OnRequest sees every request, routes included
		e.Set(func(e *oidfedtest.Entity) { e.OnRequest = record })
	}
	dir := t.TempDir()
	caFile := writeCertificate(t, dir, "fetch-ca.pem", leaf.Certificate())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := tracedDemo(ctx, t, dir, map[string]string{"IDPORT_OTLP_ENDPOINT": collector.URL, "IDPORT_OTLP_PROTOCOL": "http"})
	s := d.stack
	addrs, err := stack.FreeAddrs(2)
	if err != nil {
		t.Fatal(err)
	}
	d.regAddr, d.verAddr = addrs[0], addrs[1]
	d.registryURL, d.registryKey = "http://"+d.regAddr, s.Dir+"/registry.jwk"
	recogniseFramework := func(ctx context.Context) error {
		effective := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		cs := demoseed.ChangeSet("did:web:registrar.sg.example", effective)
		cs.Ops = append(cs.Ops,
			trustregistry.Op{Op: trustregistry.OpUpsertScheme, Scheme: &trustregistry.Scheme{ID: "fed.registrars", Jurisdiction: "SG",
				Name: "Federated registrars", AssuranceLevels: []string{"substantial", "high"}}},
			trustregistry.Op{Op: trustregistry.OpUpsertRecognition, Recognition: &trustregistry.Recognition{ID: "lg-fed",
				LocalScheme: demoseed.LocalScheme, ForeignScheme: "fed.registrars", Agreement: demoseed.AgreementID,
				CredentialTypes: []string{demoseed.Type}, AssuranceMapping: map[string]string{"high": "L3"}, ValidFrom: effective,
				Framework: &trustregistry.FrameworkRule{TrustAnchor: anchor.ID, AnchorJWKS: anchor.JWKSJSON(), TrustMark: mark, Assurance: "high"}}})
		p, err := d.alice.Propose(ctx, cs, "Recognise the registrars of the Singapore federation", "")
		if err != nil {
			return err
		}
		_, err = d.bob.Approve(ctx, p.ID, "checked against the framework agreement")
		return err
	}
	startVerifier := func(ctx context.Context) error {
		d.verifier = &stack.Verifier{URL: "http://" + d.verAddr}
		return d.serve(ctx, d.verifier.URL, "verifier", "--addr", d.verAddr, "--data", d.dataDir("verifier"),
			"--registry", d.registryURL, "--registry-key", d.registryKey, "--local-scheme", demoseed.LocalScheme,
			"--allow-hosts", leaf.Host(), "--fetch-ca", caFile)
	}
	for _, step := range []func(context.Context) error{d.bootstrap, d.startRegistry, recogniseFramework, startVerifier} {
		if err := step(ctx); err != nil {
			s.Close()
			t.Fatal(err)
		}
	}
	cred := signedFederationCredential(t, key, issuerDID)
	res, status, err := d.verifier.VerifyCredential(ctx, cred)
	if err != nil || status != http.StatusOK || !res.Verified || res.Recognition == nil || res.Recognition.Chain == "" {
		s.Close()
		t.Fatalf("credential of the federation's leaf: HTTP %d, %v: %s", status, err, stack.Summary(res))
	}
	if want := leaf.ID + " -> " + anchor.ID; res.Recognition.Chain != want {
		t.Errorf("recognised through chain %q, want %q", res.Recognition.Chain, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	spans, raw := recv.recorded()
	request := findSpan(t, spans, "idport-verifier", "POST /credentials/verify")
	byID := map[string]recordedSpan{}
	for _, r := range spans {
		byID[string(r.span.SpanId)] = r
	}
	sent := map[string]string{} // traceparent -> span name
	for _, r := range spans {
		if r.span.Name != otelx.SpanFederation && r.span.Name != otelx.SpanDIDWeb {
			continue
		}
		if r.service != "idport-verifier" || r.span.Kind != tracepb.Span_SPAN_KIND_CLIENT || string(r.span.TraceId) != string(request.span.TraceId) {
			t.Errorf("%s span of %s, kind %v, outside the verification's trace", r.span.Name, r.service, r.span.Kind)
			continue
		}
		parent, ok := byID[string(r.span.ParentSpanId)]
		if !ok || parent.service != "idport-verifier" || !strings.HasPrefix(parent.span.Name, "verifier.check.") {
			t.Errorf("%s span under %q, want a check span of the verification", r.span.Name, parent.span.Name)
		}
		sent[fmt.Sprintf("00-%x-%x-01", r.span.TraceId, r.span.SpanId)] = r.span.Name
	}
	mu.Lock()
	defer mu.Unlock()
	// The DID document, the leaf's and the anchor's entity configurations and the anchor's
	// statement on the leaf, each fetched once and each under its own span.
	var fetched int
	for path, tps := range received {
		for _, tp := range tps {
			fetched++
			name, ok := sent[tp]
			switch {
			case !ok:
				t.Errorf("GET %s carried traceparent %q, not that of a fetch span", path, tp)
			case (path == "/.well-known/did.json") != (name == otelx.SpanDIDWeb):
				t.Errorf("GET %s was traced as %q", path, name)
			}
		}
	}
	if len(received["/.well-known/did.json"]) != 1 || fetched < 4 || len(sent) != fetched {
		t.Errorf("%d fetches (%v), %d fetch spans", fetched, received, len(sent))
	}
	assertNotCarried(t, raw, []string{leaf.ID, anchor.ID, leaf.Host() + ":", issuerDID, "201912345K", "Acme Trading",
		d.alice.Token, d.bob.Token, d.carol.Token})
}

// signedFederationCredential returns a VC-JOSE credential of issuer signed with key, as the
// JSON string /credentials/verify takes.
func signedFederationCredential(t *testing.T, key *keys.Key, issuer string) json.RawMessage {
	t.Helper()
	cred, err := vc.ParseCredential(fmt.Appendf(nil, `{"@context":["https://www.w3.org/ns/credentials/v2"],
		"type":["VerifiableCredential",%q],"issuer":%q,"validFrom":%q,
		"credentialSubject":{"id":"did:example:acme","uen":"201912345K","legalName":"Acme Trading Pte. Ltd."}}`,
		demoseed.Type, issuer, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)))
	if err != nil {
		t.Fatal(err)
	}
	token, err := vcjwt.SignVCJOSE(key, cred)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(token)
	return out
}
