package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/pkg/otelx"
	"github.com/idport/idport/pkg/statuslist"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/etcdstore"
	"github.com/idport/idport/verifier/httpapi"
	"github.com/idport/idport/verifier/profiles"
)

const verifierUsage = `The verifier checks credentials and presentations (VC-JWT 1.1, VC-JOSE-COSE,
SD-JWT VC, Data Integrity) and whether their issuers are recognised by the trust
registry, whose signed snapshot it keeps in sync (pinned registry key).

  POST /credentials/verify    POST /presentations/verify    POST /challenges
  POST /openid4vp/requests    (OpenID4VP 1.0 with DCQL; --openid4vp-api-key)
  POST /profiles/{name}/credentials/verify, /profiles/{name}/presentations/verify,
       /profiles/{name}/challenges, /profiles/{name}/openid4vp/requests
                              (relying-party profiles; --profiles FILE)

Without --registry it starts only with --dev, reports unready on /readyz and
rejects every credential with registry_stale.
`

// verifierFlags are the flags of 'idport verifier'.
type verifierFlags struct {
	addr, data, registry, registryKey       string
	localScheme, minAssurance, allowHosts   string
	assuranceLevels                         string
	statusMode, crossBorder                 string
	holderBinding                           string
	clockSkew                               time.Duration
	dev, recognitionOptional, validIfIssued bool
	allowCallerChallenge, allowHTTP         bool
	allowBearer, allowWeakerBinding         bool
	vpAPIKey, publicURL, vpSigningSecret    string
	profilesFile, registryCA, fetchCA       string
	// fetchRoots are the CAs of --fetch-ca, added to the system's.
	fetchRoots []*x509.Certificate
	store      storeFlags
	tls        tlsFlags
	rate       rateFlags
	federation federationFlags
	tracing    tracingFlags
}

func (f *verifierFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8443", "listen address (host:port; port 0 picks a free one)")
	fs.StringVar(&f.data, "data", "./data/verifier", "data directory (verifier.db: the challenge key and used challenges; the registry replica)")
	fs.StringVar(&f.registry, "registry", "", "trust registry URL whose signed snapshots the verifier follows")
	fs.StringVar(&f.registryKey, "registry-key", "", "file with the pinned registry public key (JWK)")
	fs.StringVar(&f.localScheme, "local-scheme", "", "this verifier's own scheme, the one that recognises foreign schemes")
	fs.StringVar(&f.minAssurance, "min-assurance", "", "lowest local assurance level accepted, one of --assurance-levels (e.g. substantial, or L3 with --assurance-levels L1,L2,L3)")
	fs.StringVar(&f.assuranceLevels, "assurance-levels", "", "comma-separated local scheme assurance levels from low to high, as the registry lists them (default: low,substantial,high); a level outside the list fails closed (assurance_too_low)")
	fs.StringVar(&f.allowHosts, "allow-hosts", "", "comma-separated hosts that did:web and status-list fetches may reach although loopback/private (tests, private deployments)")
	fs.StringVar(&f.statusMode, "status-fail-mode", "closed", "when a status list cannot be had: closed (reject) or warn")
	fs.StringVar(&f.crossBorder, "cross-border-claims", "refuse", "claims (of every format) outside the recognition's allow-list: refuse, strip or allow")
	fs.DurationVar(&f.clockSkew, "clock-skew", verifier.DefaultClockSkew, "tolerated clock skew on validity times")
	fs.BoolVar(&f.recognitionOptional, "recognition-optional", false, "verify cryptographically only; recognition is reported as not checked (outside cross-border flows)")
	fs.BoolVar(&f.validIfIssued, "accept-valid-when-issued", false, "accept credentials of a suspended authority issued before a suspension that is not back-dated")
	fs.BoolVar(&f.allowCallerChallenge, "allow-caller-challenge", false, "let callers of /presentations/verify supply their own challenge")
	fs.BoolVar(&f.allowBearer, "allow-bearer-credentials", false, "accept credentials without a subject id in presentations (bearer credentials); by default a presentation whose credentials cannot all be bound to the presenter fails with holder_binding_failed")
	fs.StringVar(&f.holderBinding, "holder-binding", string(verifier.HolderBindingSubject), "how presented credentials are tied to the presenter: subject (every subject id is the holder), holder-signed (the presentation proof is the holder's; subjects may differ) or none")
	fs.BoolVar(&f.allowWeakerBinding, "allow-request-holder-binding", false, "let a verify request ask for a weaker holder binding than --holder-binding (options.holderBinding); without it such a request fails with 400 holder_binding_not_allowed")
	fs.BoolVar(&f.allowHTTP, "allow-http", false, "let did:web and status-list fetches use plain http:// (tests and the demo only; never in production)")
	fs.StringVar(&f.vpAPIKey, "openid4vp-api-key", "", "bearer API key of relying-party back ends creating OpenID4VP presentation requests (empty: /openid4vp/requests is disabled, profiles still serve /profiles/{name}/openid4vp/requests; prefer IDPORT_OPENID4VP_API_KEY)")
	fs.StringVar(&f.publicURL, "public-url", "", "the verifier's public base URL as wallets reach it (OpenID4VP request and response URIs; default http://<addr>)")
	fs.StringVar(&f.vpSigningSecret, "openid4vp-signing-secret", "", "secret (16+ bytes) sealing the verifier's request-signing key in verifier.db; set, requests are signed as decentralized_identifier:did:jwk (prefer IDPORT_OPENID4VP_SIGNING_SECRET)")
	fs.StringVar(&f.profilesFile, "profiles", "", "YAML file of relying parties (name, apiKeySHA256) and their named profiles, served at /profiles/{name}/credentials/verify, /profiles/{name}/presentations/verify, /profiles/{name}/challenges and /profiles/{name}/openid4vp/requests")
	f.store.registerFor(fs, "verifier", "verifier.db", etcdstore.DefaultPrefix)
	fs.StringVar(&f.registryCA, "registry-ca", "", "CA bundle (PEM) the registry's HTTPS certificate must chain to (default: the system's CAs)")
	fs.StringVar(&f.fetchCA, "fetch-ca", "", "PEM file of CA certificates that did:web, status-list and federation fetches trust besides the system's CAs (issuers and federations under a private CA)")
	f.tls.register(fs, "relying-party back ends may authenticate with one (with --require-client-cert they must)")
	f.rate.register(fs)
	f.federation.register(fs)
	f.tracing.register(fs)
	fs.BoolVar(&f.dev, "dev", false, "development mode: start without a registry (unready, rejecting everything) ")
}

// policy builds the verification policy from the flags.
func (f *verifierFlags) policy() (verifier.Policy, error) {
	p := verifier.Policy{
		LocalScheme: f.localScheme, MinAssurance: f.minAssurance, RecognitionOptional: f.recognitionOptional,
		AcceptValidWhenIssued: f.validIfIssued, AllowCallerChallenge: f.allowCallerChallenge, ClockSkew: f.clockSkew,
		AssuranceLevels: splitList(f.assuranceLevels), RequireHolderBinding: !f.allowBearer,
		AllowWeakerHolderBinding: f.allowWeakerBinding,
	}
	hb, err := verifier.ParseHolderBinding(f.holderBinding)
	if err != nil {
		return p, fmt.Errorf("--holder-binding %q: want subject, holder-signed or none", f.holderBinding)
	}
	p.HolderBinding = hb
	if f.clockSkew == 0 {
		p.ClockSkew = -1 // an explicit zero means no tolerance
	}
	switch f.statusMode {
	case "closed", "":
		p.StatusFailMode = verifier.StatusFailClosed
	case "warn":
		p.StatusFailMode = verifier.StatusWarn
	default:
		return p, fmt.Errorf("--status-fail-mode %q: want closed or warn", f.statusMode)
	}
	switch f.crossBorder {
	case "refuse", "":
		p.CrossBorder = verifier.ClaimsRefuse
	case "strip":
		p.CrossBorder = verifier.ClaimsStrip
	case "allow":
		p.CrossBorder = verifier.ClaimsAllow
	default:
		return p, fmt.Errorf("--cross-border-claims %q: want refuse, strip or allow", f.crossBorder)
	}
	return p, nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// profiles loads the --profiles file over the service policy (nil without one).
func (f *verifierFlags) profiles(pol verifier.Policy) (*profiles.Set, error) {
	if f.profilesFile == "" {
		return nil, nil
	}
	c, err := profiles.Load(f.profilesFile)
	if err != nil {
		return nil, fmt.Errorf("--profiles: %w", err)
	}
	set, err := profiles.New(c, pol)
	if err != nil {
		return nil, fmt.Errorf("--profiles %s: %w", f.profilesFile, err)
	}
	return set, nil
}

// openID4VP returns the OpenID4VP configuration of the flags.
func (f *verifierFlags) openID4VP() *httpapi.ServiceOpenID4VP {
	base := f.publicURL
	if base == "" {
		base = f.tls.scheme() + "://" + f.addr
	}
	return &httpapi.ServiceOpenID4VP{APIKey: f.vpAPIKey, BaseURL: base, SigningSecret: []byte(f.vpSigningSecret)}
}

// sharedStore opens the etcd store of --store etcd (nil for bolt: verifier.db
// in --data).
func (f *verifierFlags) sharedStore(ctx context.Context) (httpapi.SharedStore, error) {
	cfg, ok, err := f.store.etcdConfig()
	if err != nil || !ok {
		return nil, err
	}
	st, err := etcdstore.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// runVerifier runs the verifier service until ctx ends.
func runVerifier(ctx context.Context, args []string, env Env) error {
	var f verifierFlags
	fs := flag.NewFlagSet("verifier", flag.ContinueOnError)
	f.register(fs)
	if err := parseCommand(fs, args, env, verifierUsage); err != nil {
		return err
	}
	pol, err := f.policy()
	if err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	if f.fetchRoots, err = f.fetchCACerts(); err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	tlsCfg, err := f.tls.config(env.Logger)
	if err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	rl, err := f.rate.limit()
	if err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	tp, stopTracing, err := f.tracing.start(ctx, "verifier", env.Logger)
	if err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	defer stopTracing()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	g, ctx := errgroup.WithContext(ctx)
	trust, err := f.trustSource(ctx, g, reg, env, tp)
	if err != nil {
		return err
	}
	svcCfg, err := f.serviceConfig(pol, trust, tp, env)
	if err != nil {
		return err
	}
	if svcCfg.Store, err = f.sharedStore(ctx); err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	ready := httpx.NewReadyWatch("verifier", nil, env.Logger)
	svcCfg.Registry, svcCfg.RateLimit, svcCfg.Ready = reg, rl, ready.Check
	svc, err := httpapi.NewService(svcCfg)
	if err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	defer svc.Close()
	ready.SetCheck(svc.Verifier().Ready)
	env.Logger.Info("verifier started", "data", f.data, "registry", f.registry, "local_scheme", f.localScheme, "min_assurance", f.minAssurance)
	srv := &httpx.Server{Addr: f.addr, Handler: svc.Handler(), Logger: env.Logger, Name: "verifier", TLSConfig: tlsCfg}
	g.Go(func() error { return srv.Run(ctx) })
	g.Go(func() error { return svc.Run(ctx) })
	g.Go(func() error { return ready.Run(ctx, 0) })
	return g.Wait()
}

// trustSource returns the verifier's trust source: the registry copy (kept in sync in g, its
// metrics in reg, its snapshot and federation fetches traced by tp when not nil), or with --dev
// and no --registry one that is never ready.
func (f *verifierFlags) trustSource(ctx context.Context, g *errgroup.Group, reg prometheus.Registerer, env Env,
	tp *otelx.Provider) (verifier.TrustSource, error) {
	switch {
	case f.registry != "":
		if f.registryKey == "" {
			return nil, errors.New("verifier: --registry needs --registry-key (the pinned registry public key)")
		}
		rt, err := newRegistryTrustSource(ctx, f.registry, f.registryKey, f.registryCA, f.data, f.localScheme,
			f.federation.config(f.fetchNet(otelx.SpanFederation, tp), env.Logger),
			env.Logger, tp.Transport(otelx.SpanRegistry))
		if err != nil {
			return nil, fmt.Errorf("verifier: %w", err)
		}
		if err := rt.register(reg); err != nil {
			return nil, fmt.Errorf("verifier: metrics: %w", err)
		}
		g.Go(func() error { return rt.run(ctx) })
		return rt.source, nil
	case f.dev:
		fmt.Fprintln(env.Stderr, "WARNING: --dev without --registry: the verifier is unready and rejects every credential with registry_stale")
		return verifier.Unavailable("no registry configured (--dev without --registry)"), nil
	}
	return nil, errors.New("verifier: --registry URL and --registry-key FILE are required (or --dev to start without a registry)")
}

// serviceConfig builds the service configuration (resolver, status lists, profiles) over trust,
// traced by tp (nil: no tracing).
func (f *verifierFlags) serviceConfig(pol verifier.Policy, trust verifier.TrustSource, tp *otelx.Provider, env Env) (httpapi.ServiceConfig, error) {
	vcfg, err := f.verifierConfig(trust, pol, tp, env)
	if err != nil {
		return httpapi.ServiceConfig{}, fmt.Errorf("verifier: %w", err)
	}
	set, err := f.profiles(pol)
	if err != nil {
		return httpapi.ServiceConfig{}, fmt.Errorf("verifier: %w", err)
	}
	return httpapi.ServiceConfig{
		DataDir: f.data, Logger: env.Logger, OpenID4VP: f.openID4VP(), Profiles: set,
		Verifier: vcfg, TracerProvider: tp.TracerProvider(),
	}, nil
}

// fetchCACerts returns the CAs of --fetch-ca (none without it), which the verifier's outbound
// fetches trust besides the system's CAs.
func (f *verifierFlags) fetchCACerts() ([]*x509.Certificate, error) {
	if f.fetchCA == "" {
		return nil, nil
	}
	return caCerts("fetch-ca", f.fetchCA)
}

// fetchNet returns the network options of the verifier's outbound fetches (did:web documents,
// status lists, federation statements): --allow-hosts, --allow-http and --fetch-ca, traced by tp
// as spans named span (nil tp: no tracing).
func (f *verifierFlags) fetchNet(span string, tp *otelx.Provider) did.NetOptions {
	return did.NetOptions{AllowHosts: splitList(f.allowHosts), AllowHTTP: f.allowHTTP, ExtraRoots: f.fetchRoots,
		WrapTransport: tp.Transport(span)}
}

// verifierConfig builds the SDK configuration: the policy, the did:web resolver and the
// status-list fetcher over the flags' network options, traced by tp (nil: no tracing).
func (f *verifierFlags) verifierConfig(trust verifier.TrustSource, pol verifier.Policy, tp *otelx.Provider, env Env) (verifier.Config, error) {
	webNet := f.fetchNet(otelx.SpanDIDWeb, tp)
	resolver := did.NewResolver(did.ResolverOptions{AllowHosts: webNet.AllowHosts, AllowHTTP: webNet.AllowHTTP,
		ExtraRoots: webNet.ExtraRoots, Logger: env.Logger, WrapTransport: webNet.WrapTransport})
	sf, err := statuslist.NewFetcher(statuslist.FetcherOptions{
		Net:      f.fetchNet(otelx.SpanStatusList, tp),
		Resolver: resolver, Logger: env.Logger,
		// Status list credentials served as JSON-LD with a Data Integrity
		// proof (W3C suites, @digitalbazaar issuers), checked by pkg/vcld.
		VerifyDataIntegrity: verifier.DataIntegrityListVerifier(resolver),
	})
	if err != nil {
		return verifier.Config{}, fmt.Errorf("status lists: %w", err)
	}
	return verifier.Config{TrustSource: trust, Resolver: resolver, Policy: pol, Logger: env.Logger,
		StatusFetcher: verifier.StatusLists(sf), Tracer: tp.Checks()}, nil
}
