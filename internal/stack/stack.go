// Package stack starts idport's three services in-process on loopback for the examples: a trust
// registry with regulator accounts, issuers and verifiers, each a real service (its own bbolt
// file in a temporary directory, its real gin handler behind a real HTTP listener on
// 127.0.0.1). It is the one place the examples share, so each example reads as its story.
package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/idport/idport/internal/crossborder"
	"github.com/idport/idport/internal/demoseed"
	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/boltstore"
	issuerapi "github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/dnstxt"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
	registryhttp "github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/issuerauth"
	"github.com/idport/idport/trustregistry/storeconfig"
	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/httpapi"
)

// ErrUnexpected marks an outcome of a story that is not the one the story promises.
var ErrUnexpected = errors.New("unexpected outcome")

// Unexpectedf returns an error wrapping ErrUnexpected.
func Unexpectedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnexpected, fmt.Sprintf(format, args...))
}

// Stack owns a directory and every service started in it. Close stops them all.
type Stack struct {
	// Dir is the directory holding each service's data directory.
	Dir string
	// Logger receives the services' logs (discarded unless IDPORT_EXAMPLE_LOG=1).
	Logger *slog.Logger
	// DNS, when set, answers the DNS lookups of the verifiers started afterwards (the
	// identity proofs of OpenAttestation documents); nil means the system's resolver.
	DNS dnstxt.Resolver

	ctx       context.Context
	cancel    context.CancelFunc
	removeDir bool
	wg        sync.WaitGroup
	servers   []*httptest.Server
	closers   []func() error

	mu     sync.Mutex
	failed error
}

// Options configure Open.
type Options struct {
	// Dir is the directory for the services' data, created when missing and kept on Close.
	// Empty means a fresh temporary directory.
	Dir string
	// Name names a temporary directory, idport-<Name>-* (default "example").
	Name string
	// Keep leaves a temporary directory in place on Close (its services' data stays readable).
	Keep bool
	// Logger receives the services' logs (default: discarded unless IDPORT_EXAMPLE_LOG=1).
	Logger *slog.Logger
}

// New makes a Stack in a fresh temporary directory, removed on Close. Services stop when ctx
// ends or on Close.
func New(ctx context.Context) (*Stack, error) { return Open(ctx, Options{}) }

// Open makes a Stack as o says. Services stop when ctx ends, when a part started with Go fails,
// or on Close.
func Open(ctx context.Context, o Options) (*Stack, error) {
	dir, removeDir := o.Dir, false
	if dir == "" {
		if o.Name == "" {
			o.Name = "example"
		}
		tmp, err := os.MkdirTemp("", "idport-"+o.Name+"-")
		if err != nil {
			return nil, fmt.Errorf("stack: temporary directory: %w", err)
		}
		dir, removeDir = tmp, !o.Keep
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("stack: data directory: %w", err)
	}
	logger := o.Logger
	if logger == nil {
		var h slog.Handler = slog.NewJSONHandler(io.Discard, nil)
		if os.Getenv("IDPORT_EXAMPLE_LOG") == "1" {
			h = slog.NewJSONHandler(os.Stderr, nil)
		}
		logger = slog.New(h)
	}
	ctx, cancel := context.WithCancel(ctx)
	return &Stack{Dir: dir, Logger: logger, ctx: ctx, cancel: cancel, removeDir: removeDir}, nil
}

// Close stops every service, closes their stores and removes the directory when Open made it
// (and was not asked to keep it).
func (s *Stack) Close() error {
	s.cancel()
	s.wg.Wait() // background loops (sync long-polls included) end with the context
	for _, srv := range s.servers {
		srv.CloseClientConnections()
		srv.Close()
	}
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	if s.removeDir {
		errs = append(errs, os.RemoveAll(s.Dir))
	}
	return errors.Join(errs...)
}

// Context ends when the stack stops: its parent context ended, a part started with Go failed,
// or Close was called.
func (s *Stack) Context() context.Context { return s.ctx }

// Go runs a long-lived part (a whole service, say) until the stack stops. A part that fails
// before then stops the stack, and Err reports it.
func (s *Stack) Go(name string, run func(context.Context) error) {
	s.background(func(ctx context.Context) error {
		err := run(ctx)
		if err != nil && ctx.Err() == nil {
			s.mu.Lock()
			if s.failed == nil {
				s.failed = fmt.Errorf("%s: %w", name, err)
			}
			s.mu.Unlock()
			s.cancel()
		}
		return err
	})
}

// Err returns the failure of the first part started with Go that failed, or nil.
func (s *Stack) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// serve starts h on a loopback listener (already open, so its URL can be known before the
// service is built) and returns the server.
func (s *Stack) serve(ln net.Listener, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	s.servers = append(s.servers, srv)
	return srv
}

// background runs fn until the stack stops and logs a failure before then.
func (s *Stack) background(fn func(context.Context) error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := fn(s.ctx); err != nil && s.ctx.Err() == nil {
			s.Logger.Error("background loop ended", "err", err)
		}
	}()
}

func listen() (net.Listener, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("stack: listen on loopback: %w", err)
	}
	return ln, "http://" + ln.Addr().String(), nil
}

// FreeAddrs picks n free loopback addresses (host:port) for services the caller starts
// itself. The ports are free when FreeAddrs returns; nothing holds them afterwards.
func FreeAddrs(n int) ([]string, error) {
	addrs := make([]string, 0, n)
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("stack: pick a free port: %w", err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs, nil
}

// Registry is a running trust registry with three regulator accounts.
type Registry struct {
	// URL is the registry's base URL.
	URL string
	// Service is the registry itself.
	Service *trustregistry.Service
	// Key is the registry's public JWK, the key verifiers pin.
	Key []byte
	// Alice may propose changes, Bob may approve them, Carol audits.
	Alice, Bob, Carol *adminclient.Client
	// DataDir holds registry.db.
	DataDir string

	server *httptest.Server
}

// StartRegistry starts a registry in dev mode (generated key secret) and creates the accounts
// alice (proposer), bob (approver) and carol (auditor) as `idport admin bootstrap` would.
func (s *Stack) StartRegistry(ctx context.Context) (*Registry, error) {
	dir := filepath.Join(s.Dir, "registry")
	st, err := storeconfig.Open(ctx, storeconfig.Config{DataDir: dir, Logger: s.Logger})
	if err != nil {
		return nil, fmt.Errorf("stack: registry store: %w", err)
	}
	svc, err := trustregistry.NewService(trustregistry.Config{Store: st.Store, DataDir: dir, Dev: true, Logger: s.Logger})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("stack: registry: %w", err)
	}
	s.closers = append(s.closers, svc.Close)
	key, err := svc.PublicKeyJWK()
	if err != nil {
		return nil, fmt.Errorf("stack: registry key: %w", err)
	}
	ln, url, err := listen()
	if err != nil {
		return nil, err
	}
	r := &Registry{URL: url, Service: svc, Key: key, DataDir: dir}
	for _, a := range []struct {
		name string
		role trustregistry.Role
		dst  **adminclient.Client
	}{{"alice", trustregistry.RoleProposer, &r.Alice}, {"bob", trustregistry.RoleApprover, &r.Bob}, {"carol", trustregistry.RoleAuditor, &r.Carol}} {
		_, tok, err := svc.CreateAccount(ctx, a.name, []trustregistry.Role{a.role})
		if err != nil {
			return nil, fmt.Errorf("stack: account %s: %w", a.name, err)
		}
		*a.dst = adminclient.New(url, tok)
	}
	s.background(svc.Run)
	r.server = s.serve(ln, registryhttp.New(svc, registryhttp.Options{BackupDir: dir}, s.Logger))
	return r, nil
}

// Stop stops the registry's HTTP listener: from then on nothing can reach it.
func (r *Registry) Stop() {
	r.server.CloseClientConnections()
	r.server.Close()
}

// Issuer is a running issuer service.
type Issuer struct {
	// URL is the issuer's base URL.
	URL string
	// DID is the DID it signs as.
	DID string
	// APIKey is a bearer token allowed to issue and manage every type.
	APIKey string
	// Service is the issuer itself (nil for one reached with ConnectIssuer).
	Service *issuerapi.Service
	// Trust is its registry replica, when it follows a registry (IssuerOptions.Registry).
	Trust *trustsource.Source
}

// IssuerOptions configure StartIssuer.
type IssuerOptions struct {
	// Name names the data directory (several issuers may run in one stack).
	Name string
	// DIDMethod is did:key (default), did:jwk or did:web.
	DIDMethod string
	// StatusTTL bounds how long its status lists may be cached (default: the issuer's).
	StatusTTL time.Duration
	// Registry, when set, is the trust registry the issuer follows (pinned key, signed
	// snapshots) for its registry check before signing and for onboarding.
	Registry *Registry
	// RegistryCheck is enforce (the default with a Registry), warn or off.
	RegistryCheck issuer.RegistryCheck
	// Types are the credential types (nil: the defaults).
	Types []issuer.CredentialType
	// Onboarding, when set with a Registry, enables POST /onboarding: foreign credentials are
	// verified under Policy and the issuer signs Type.
	Onboarding *OnboardingOptions
}

// OnboardingOptions configure an issuer's cross-border onboarding.
type OnboardingOptions struct {
	// Type is the local credential type issued on onboarding (a configured type).
	Type string
	// Policy is the verification policy for foreign credentials (its LocalScheme recognises).
	Policy verifier.Policy
}

// StartIssuer starts an issuer signing as a did:key (unless o says otherwise) with an API key
// for every credential type.
func (s *Stack) StartIssuer(ctx context.Context, o IssuerOptions) (*Issuer, error) {
	if o.Name == "" {
		o.Name = "issuer"
	}
	if o.DIDMethod == "" {
		o.DIDMethod = issuer.IdentityKey
	}
	ln, url, err := listen()
	if err != nil {
		return nil, err
	}
	st, err := boltstore.Open(filepath.Join(s.Dir, o.Name, boltstore.DBFile), boltstore.Options{})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("stack: issuer %s: %w", o.Name, err)
	}
	cfg := issuer.Config{Store: st, BaseURL: url, Identity: o.DIDMethod, CredentialTypes: o.Types,
		Secret: []byte("example secret: never use a constant in production"), StatusTTL: o.StatusTTL, RegistryCheck: o.RegistryCheck}
	var trust *trustsource.Source
	if o.Registry != nil {
		if trust, err = s.issuerRegistry(ctx, o, &cfg); err != nil {
			ln.Close()
			_ = st.Close()
			return nil, err
		}
	}
	svc, err := issuerapi.NewService(ctx, issuerapi.ServiceConfig{Issuer: cfg, Logger: s.Logger})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("stack: issuer %s: %w", o.Name, err)
	}
	s.closers = append(s.closers, svc.Close)
	tok, err := svc.CreateAPIKey(ctx, o.Name+"-portal", "*")
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("stack: issuer API key: %w", err)
	}
	s.background(svc.Run)
	s.serve(ln, svc.Handler())
	return &Issuer{URL: url, DID: svc.DID(), APIKey: tok, Service: svc, Trust: trust}, nil
}

// issuerRegistry gives an issuer configuration its registry replica: the registry check
// (trustregistry/issuerauth) and, with o.Onboarding, the verifier engine behind onboarding
// (internal/crossborder). It returns once the replica holds a verified snapshot.
func (s *Stack) issuerRegistry(ctx context.Context, o IssuerOptions, cfg *issuer.Config) (*trustsource.Source, error) {
	dir := filepath.Join(s.Dir, o.Name)
	src, run, err := trustsource.Sync(trustsource.SyncConfig{URL: o.Registry.URL, PinnedKey: o.Registry.Key,
		CacheFile: filepath.Join(dir, "registry-snapshot.cache"), Logger: s.Logger})
	if err != nil {
		return nil, fmt.Errorf("stack: issuer %s registry: %w", o.Name, err)
	}
	s.background(run)
	if err := Eventually(ctx, func() (bool, error) { return src.Replica().Status().Ready, nil }); err != nil {
		return nil, fmt.Errorf("stack: issuer %s never got a registry snapshot: %w", o.Name, err)
	}
	cfg.Authoriser = issuerauth.New(src.Replica(), "")
	if o.Onboarding == nil {
		return src, nil
	}
	sf, err := s.NewStatusFetcher(time.Minute)
	if err != nil {
		return nil, err
	}
	v, err := verifier.New(verifier.Config{TrustSource: src, StatusFetcher: sf, Policy: o.Onboarding.Policy, Logger: s.Logger})
	if err != nil {
		return nil, fmt.Errorf("stack: issuer %s onboarding verifier: %w", o.Name, err)
	}
	cfg.Onboarding = &issuer.OnboardingConfig{Type: o.Onboarding.Type,
		Verifier: &crossborder.Verifier{Verifier: v, Trust: src, LocalScheme: o.Onboarding.Policy.LocalScheme}}
	return src, nil
}

// WaitVersion waits until the issuer's registry replica holds version or a later one.
func (is *Issuer) WaitVersion(ctx context.Context, version uint64) error {
	if is.Trust == nil {
		return fmt.Errorf("stack: issuer %s follows no registry", is.URL)
	}
	return Eventually(ctx, func() (bool, error) { return is.Trust.Replica().Status().Version >= version, nil })
}

// Onboard posts a foreign credential to the issuer (POST /onboarding) and decodes the record.
// It returns the HTTP status; want lists the statuses that are not an error.
func (is *Issuer) Onboard(ctx context.Context, cred json.RawMessage, out any, want ...int) (int, error) {
	if len(want) == 0 {
		want = []int{http.StatusCreated, http.StatusOK}
	}
	status, _, err := Call(ctx, http.MethodPost, is.URL+"/onboarding", is.APIKey, map[string]any{"credential": cred}, out, want...)
	return status, err
}

// Verifier is a running verifier service following a registry. One started elsewhere (by
// `idport verifier`, say) is a Verifier with only its URL.
type Verifier struct {
	// URL is the verifier's base URL.
	URL string
	// Service is the verifier itself (nil when started elsewhere).
	Service *httpapi.Service
	// Trust is its registry replica (nil when started elsewhere).
	Trust *trustsource.Source
	// OpenID4VPAPIKey is the relying parties' bearer key of its OpenID4VP endpoints ("" when
	// OpenID4VP is off).
	OpenID4VPAPIKey string
}

// NewStatusFetcher returns the status-list fetcher the examples' verifiers use: loopback and
// plain HTTP allowed (the issuers run on 127.0.0.1), decoded lists kept at most maxTTL.
func (s *Stack) NewStatusFetcher(maxTTL time.Duration) (verifier.StatusFetcher, error) {
	f, err := statuslist.NewFetcher(statuslist.FetcherOptions{Net: did.NetOptions{AllowHosts: []string{"127.0.0.1"}, AllowHTTP: true},
		Resolver: did.NewResolver(did.ResolverOptions{}), MaxTTL: maxTTL, ErrorTTL: -1, Logger: s.Logger})
	if err != nil {
		return nil, fmt.Errorf("stack: status fetcher: %w", err)
	}
	return verifier.StatusLists(f), nil
}

// StartVerifier starts a verifier service whose trust source follows reg (pinned key, signed
// snapshots) and whose status lists are cached at most statusTTL (default 1 minute). It
// returns once the verifier holds a verified snapshot.
func (s *Stack) StartVerifier(ctx context.Context, name string, reg *Registry, policy verifier.Policy, statusTTL time.Duration) (*Verifier, error) {
	return s.StartVerifierWith(ctx, name, reg, VerifierOptions{Policy: policy, StatusTTL: statusTTL})
}

// VerifierOptions configure StartVerifierWith.
type VerifierOptions struct {
	// Policy is the verifier's policy.
	Policy verifier.Policy
	// StatusTTL bounds how long status lists are cached (default 1 minute).
	StatusTTL time.Duration
	// OpenID4VPAPIKey, when set, serves OpenID4VP to relying parties holding this bearer key,
	// with a request-signing key sealed in verifier.db (decentralized_identifier:did:jwk
	// client id; redirect_uri: stays available per request). The verifier's base URL is the
	// loopback URL it listens on.
	OpenID4VPAPIKey string
}

// StartVerifierWith is StartVerifier with every option, OpenID4VP included.
func (s *Stack) StartVerifierWith(ctx context.Context, name string, reg *Registry, o VerifierOptions) (*Verifier, error) {
	if o.StatusTTL <= 0 {
		o.StatusTTL = time.Minute
	}
	dir := filepath.Join(s.Dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("stack: verifier: %w", err)
	}
	src, run, err := trustsource.Sync(trustsource.SyncConfig{URL: reg.URL, PinnedKey: reg.Key,
		CacheFile: filepath.Join(dir, "registry-snapshot.cache"), Logger: s.Logger})
	if err != nil {
		return nil, fmt.Errorf("stack: verifier trust source: %w", err)
	}
	s.background(run)
	sf, err := s.NewStatusFetcher(o.StatusTTL)
	if err != nil {
		return nil, err
	}
	ln, url, err := listen()
	if err != nil {
		return nil, err
	}
	cfg := httpapi.ServiceConfig{DataDir: dir, Logger: s.Logger,
		Verifier: verifier.Config{TrustSource: src, StatusFetcher: sf, Policy: o.Policy, Logger: s.Logger, DNS: s.DNS}}
	if o.OpenID4VPAPIKey != "" {
		cfg.OpenID4VP = &httpapi.ServiceOpenID4VP{APIKey: o.OpenID4VPAPIKey, BaseURL: url,
			SigningSecret: []byte("example request-signing secret: never a constant in production")}
	}
	svc, err := httpapi.NewService(cfg)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("stack: verifier: %w", err)
	}
	s.closers = append(s.closers, svc.Close)
	s.background(svc.Run)
	s.serve(ln, svc.Handler())
	v := &Verifier{URL: url, Service: svc, Trust: src, OpenID4VPAPIKey: o.OpenID4VPAPIKey}
	if err := Eventually(ctx, func() (bool, error) { return src.Status().Ready, nil }); err != nil {
		return nil, fmt.Errorf("stack: verifier never got a registry snapshot: %w", err)
	}
	return v, nil
}

// Eventually polls cond every 20 ms until it is true, it fails, or ctx ends.
func Eventually(ctx context.Context, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("condition not met in time: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WaitReady polls base/readyz until the service answers 200, or fails when ctx ends first.
func WaitReady(ctx context.Context, base string) error {
	var last error
	if err := Eventually(ctx, func() (bool, error) {
		_, _, last = Call(ctx, http.MethodGet, base+"/readyz", "", nil, nil, http.StatusOK)
		return last == nil, nil
	}); err != nil {
		return fmt.Errorf("%s not ready (last answer: %v): %w", base, last, err)
	}
	return nil
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// Call sends a JSON request (in may be nil) with an optional bearer token and, when the answer's
// status is one of want, decodes its JSON body into out (when not nil). It returns the status
// and the answer's headers.
func Call(ctx context.Context, method, url, token string, in, out any, want ...int) (int, http.Header, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return resp.StatusCode, resp.Header, fmt.Errorf("%s %s: read answer: %w", method, url, err)
	}
	for _, w := range want {
		if resp.StatusCode != w {
			continue
		}
		if out != nil {
			if raw, ok := out.(*[]byte); ok {
				*raw = b
			} else if err := json.Unmarshal(b, out); err != nil {
				return resp.StatusCode, resp.Header, fmt.Errorf("%s %s: decode answer: %w", method, url, err)
			}
		}
		return resp.StatusCode, resp.Header, nil
	}
	return resp.StatusCode, resp.Header, fmt.Errorf("%w: %s %s: HTTP %d: %s", ErrUnexpected, method, url, resp.StatusCode, b)
}

// ConnectIssuer returns an Issuer for a service started elsewhere (by `idport issuer`, say):
// it reads the DID the issuer signs as from its DID document. Its Service is nil.
func ConnectIssuer(ctx context.Context, url, apiKey string) (*Issuer, error) {
	var doc struct {
		ID string `json:"id"`
	}
	if _, _, err := Call(ctx, http.MethodGet, url+"/.well-known/did.json", "", nil, &doc, http.StatusOK); err != nil {
		return nil, fmt.Errorf("issuer DID document: %w", err)
	}
	return &Issuer{URL: url, DID: doc.ID, APIKey: apiKey}, nil
}

// Issue asks the issuer for a credential (POST /credentials/issue, idport's template form) and
// returns the verifiableCredential member as sent (an object or a JSON string) and its id.
func (is *Issuer) Issue(ctx context.Context, credType, format string, subject map[string]any, extra map[string]any) (json.RawMessage, string, error) {
	req := map[string]any{"type": credType, "format": format, "credentialSubject": subject}
	for k, v := range extra {
		req[k] = v
	}
	var out struct {
		VerifiableCredential json.RawMessage `json:"verifiableCredential"`
	}
	_, h, err := Call(ctx, http.MethodPost, is.URL+"/credentials/issue", is.APIKey, req, &out, http.StatusCreated)
	if err != nil {
		return nil, "", fmt.Errorf("issue %s: %w", credType, err)
	}
	return out.VerifiableCredential, h.Get("Idport-Credential-Id"), nil
}

// SetStatus revokes, suspends or reinstates a credential (POST /credentials/status).
func (is *Issuer) SetStatus(ctx context.Context, credentialID, action string) (issuer.StatusResult, error) {
	var out issuer.StatusResult
	_, _, err := Call(ctx, http.MethodPost, is.URL+"/credentials/status", is.APIKey,
		map[string]any{"credentialId": credentialID, "action": action}, &out, http.StatusOK)
	if err != nil {
		return out, fmt.Errorf("%s %s: %w", action, credentialID, err)
	}
	return out, nil
}

// VerifyCredential posts a credential to the verifier (POST /credentials/verify) and returns
// the answer with its HTTP status (200 verified, 400 not verified).
func (v *Verifier) VerifyCredential(ctx context.Context, cred json.RawMessage) (*httpapi.Response, int, error) {
	return v.verify(ctx, "/credentials/verify", map[string]any{"verifiableCredential": cred})
}

// VerifyPresentation posts a presentation with its domain (POST /presentations/verify).
func (v *Verifier) VerifyPresentation(ctx context.Context, vp string, domain string) (*httpapi.Response, int, error) {
	return v.verify(ctx, "/presentations/verify", map[string]any{"verifiablePresentation": vp, "options": map[string]any{"domain": domain}})
}

// VerifyDocument posts an OpenAttestation document to /documents/verify.
func (v *Verifier) VerifyDocument(ctx context.Context, doc json.RawMessage) (*httpapi.Response, int, error) {
	return v.verify(ctx, "/documents/verify", map[string]any{"document": doc})
}

func (v *Verifier) verify(ctx context.Context, path string, body any) (*httpapi.Response, int, error) {
	var res httpapi.Response
	status, _, err := Call(ctx, http.MethodPost, v.URL+path, "", body, &res, http.StatusOK, http.StatusBadRequest)
	if err != nil {
		return nil, status, err
	}
	return &res, status, nil
}

// Challenge asks the verifier for a single-use challenge (POST /challenges).
func (v *Verifier) Challenge(ctx context.Context) (string, error) {
	var out struct {
		Challenge string `json:"challenge"`
	}
	if _, _, err := Call(ctx, http.MethodPost, v.URL+"/challenges", "", nil, &out, http.StatusOK, http.StatusCreated); err != nil {
		return "", err
	}
	return out.Challenge, nil
}

// FirstError returns the code of the first error of a verify answer, or "".
func FirstError(r *httpapi.Response) string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code
}

// HasError reports whether a verify answer carries an error with code.
func HasError(r *httpapi.Response, code string) bool {
	for _, e := range r.Errors {
		if e.Code == code {
			return true
		}
	}
	return false
}

// Summary is a one-line account of a verify answer.
func Summary(r *httpapi.Response) string {
	if r.Verified {
		return "verified"
	}
	s := "not verified:"
	for _, e := range r.Errors {
		s += " " + e.Code + " (" + e.Detail + ")"
	}
	return s
}

// NewWorld starts what every story begins with: a Stack holding a trust registry and one issuer
// (a did:key, data directory issuerName). The caller closes the Stack.
func NewWorld(ctx context.Context, issuerName string) (*Stack, *Registry, *Issuer, error) {
	s, err := New(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	reg, err := s.StartRegistry(ctx)
	if err != nil {
		return nil, nil, nil, errors.Join(err, s.Close())
	}
	is, err := s.StartIssuer(ctx, IssuerOptions{Name: issuerName})
	if err != nil {
		return nil, nil, nil, errors.Join(err, s.Close())
	}
	return s, reg, is, nil
}

// NewDemoWorld is NewWorld with the demo recognition in place (trustregistry.DemoSeed through
// maker-checker): Lingang recognises the Singapore authority that the issuer "sg-issuer" signs
// for, from effective on, in every format: the type BusinessRegistration and the issuer's
// SD-JWT VC type (demoseed.VCT). It returns the registry version after the seed.
func NewDemoWorld(ctx context.Context, effective time.Time) (*Stack, *Registry, *Issuer, uint64, error) {
	s, reg, sg, err := NewWorld(ctx, "sg-issuer")
	if err != nil {
		return nil, nil, nil, 0, err
	}
	version, err := demoseed.Seed(ctx, reg.Alice, reg.Bob, sg.DID, effective, demoseed.VCT(sg.URL))
	if err != nil {
		return nil, nil, nil, 0, errors.Join(err, s.Close())
	}
	return s, reg, sg, version, nil
}
