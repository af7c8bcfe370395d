package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/issuer/etcdstore"
	"github.com/idport/idport/issuer/httpapi"
	"github.com/idport/idport/issuer/storeconfig"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
)

// devSecretFile holds the generated key-sealing secret of a --dev issuer, so that a dev data
// directory can be reopened.
const devSecretFile = "dev-key-secret"

// issuerFlags are the flags shared by the issuer service and its management subcommands.
type issuerFlags struct {
	addr, data, registry, baseURL, didMethod, alg, secretFile, typesFile, defaultFormat string
	tenant                                                                              string
	dev, acceptForeign, fillIssuer                                                      bool
	gcPercent                                                                           int
	reg                                                                                 issuerRegistryFlags
	store                                                                               storeFlags
	refresh                                                                             time.Duration
	tls                                                                                 tlsFlags
	rate                                                                                rateFlags
	tracing                                                                             tracingFlags
}

func (f *issuerFlags) register(fs *flag.FlagSet, service bool) {
	fs.StringVar(&f.data, "data", "./data/issuer", "data directory (holds issuer.db)")
	fs.StringVar(&f.secretFile, "key-secret-file", "", "file holding the secret that seals the signing keys at rest (or set IDPORT_KEY_SECRET)")
	fs.BoolVar(&f.dev, "dev", false, "development mode: generate and keep a key secret in the data directory, create an API key (loud warnings)")
	fs.StringVar(&f.baseURL, "base-url", "", "public base URL: names the did:web and prefixes status-list URLs (default http://<addr>)")
	fs.StringVar(&f.didMethod, "did-method", "did:web", "issuer identity: did:web, did:key or did:jwk")
	fs.StringVar(&f.alg, "alg", "EdDSA", "algorithm of generated keys: EdDSA (Ed25519) or ES256 (P-256)")
	fs.StringVar(&f.typesFile, "types-file", "", "YAML or JSON file of credential types, merged over the built-in ones")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8442", "listen address host:port")
	f.store.registerFor(fs, "issuer", "issuer.db", etcdstore.DefaultPrefix)
	if !service {
		fs.StringVar(&f.tenant, "tenant", "", "act on this tenant's keys and API keys (idport issuer tenant list); default: the default issuer")
	}
	if service {
		fs.StringVar(&f.registry, "registry", "", "trust registry URL whose signed snapshots the issuer follows (registry check before signing, onboarding)")
		f.reg.register(fs)
		fs.BoolVar(&f.acceptForeign, "accept-foreign-issuer", false, "accept client-supplied credentials naming another issuer (W3C test suites)")
		fs.BoolVar(&f.fillIssuer, "fill-issuer", false, "give client-supplied credentials without an issuer this instance's DID (default: refuse them with 400)")
		fs.StringVar(&f.defaultFormat, "default-format", "", "format for client-supplied VC 2.0 credentials: vc+jwt (default) or ldp_vc")
		fs.DurationVar(&f.refresh, "refresh-interval", 2*time.Second, "with --store etcd: how often the issuer reloads keys, API keys and status entries other issuer processes changed")
		f.tls.register(fs, "back ends may authenticate with one (with --require-client-cert they must)")
		f.rate.register(fs)
		f.tracing.register(fs)
		fs.IntVar(&f.gcPercent, "gc-percent", 0, "Go GC target percentage for the service; 0 keeps the process's: GOGC, or idport's 400 when GOGC is not set")
	}
}

// secret returns the key-sealing secret: --key-secret-file, IDPORT_KEY_SECRET, or in --dev a
// generated one kept in the data directory.
func (f *issuerFlags) secret(env Env) ([]byte, error) {
	if f.secretFile != "" {
		b, err := readSecretFile(f.secretFile)
		if err != nil {
			return nil, fmt.Errorf("reading --key-secret-file: %w", err)
		}
		return b, nil
	}
	if env.Lookup != nil {
		if v, ok := env.Lookup("IDPORT_KEY_SECRET"); ok && v != "" {
			return []byte(v), nil
		}
	}
	if !f.dev {
		return nil, fmt.Errorf("%w: the issuer seals its signing keys with a secret: give --key-secret-file FILE or set IDPORT_KEY_SECRET (at least %d bytes); --dev generates one for development",
			issuer.ErrNoSecret, keys.MinSecretBytes)
	}
	path := filepath.Join(f.data, devSecretFile)
	if b, err := os.ReadFile(path); err == nil {
		fmt.Fprintf(env.Stderr, "WARNING: --dev: using the development key secret in %s; never use --dev in production\n", path)
		return b, nil
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	s := []byte(hex.EncodeToString(raw[:]))
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	if err := os.WriteFile(path, s, 0o600); err != nil {
		return nil, fmt.Errorf("writing dev key secret: %w", err)
	}
	fmt.Fprintf(env.Stderr, "WARNING: --dev: GENERATED a key-sealing secret and stored it IN CLEAR at %s; never use --dev in production\n", path)
	return s, nil
}

// config returns the engine configuration from the flags, without a store.
func (f *issuerFlags) config(env Env) (issuer.Config, error) {
	secret, err := f.secret(env)
	if err != nil {
		return issuer.Config{}, err
	}
	cfg := issuer.Config{BaseURL: f.baseURL, Identity: f.didMethod, Alg: keys.Alg(f.alg), Secret: secret, Tenant: f.tenant,
		AcceptForeignIssuer: f.acceptForeign, FillIssuer: f.fillIssuer, DefaultFormat: vc.Format(f.defaultFormat), Logger: env.Logger}
	if cfg.BaseURL == "" {
		cfg.BaseURL = f.tls.scheme() + "://" + f.addr
	}
	if f.typesFile != "" {
		if cfg.CredentialTypes, err = issuer.LoadTypesFile(f.typesFile); err != nil {
			return issuer.Config{}, err
		}
	}
	return cfg, nil
}

// open returns the engine configuration with its Store, opened here (issuer/storeconfig): the
// bbolt file in --data, or etcd with --store etcd. The caller owns the store
// (httpapi.NewService takes it over).
func (f *issuerFlags) open(ctx context.Context, env Env) (issuer.Config, error) {
	sc, err := f.storeConfig()
	if err != nil {
		return issuer.Config{}, err
	}
	cfg, err := f.config(env)
	if err != nil {
		return issuer.Config{}, err
	}
	if cfg.Store, err = storeconfig.Open(ctx, sc); err != nil {
		return issuer.Config{}, err
	}
	return cfg, nil
}

// storeConfig turns the store flags into the store configuration.
func (f *issuerFlags) storeConfig() (storeconfig.Config, error) {
	etcd, ok, err := f.store.etcdConfig()
	if err != nil || !ok {
		return storeconfig.Config{Kind: storeconfig.KindBolt, DataDir: f.data}, err
	}
	return storeconfig.Config{Kind: storeconfig.KindEtcd, Etcd: etcd}, nil
}

const issuerUsage = `Usage: idport issuer [flags]                      run the issuer service
       idport issuer keys list   --data DIR          list signing keys
       idport issuer keys rotate --data DIR [--new-alg ALG] make a new signing key (the old one stays published until its credentials expire)
       idport issuer tenant create  --data DIR --name NAME [--types T1,T2] [--display-name LABEL]
                                                     add a tenant: its own did:web <base>/tenants/NAME, keys, lists, API keys
       idport issuer tenant list    --data DIR [--json] list tenants
       idport issuer tenant disable --data DIR --name NAME  stop a tenant issuing (it keeps publishing)
       idport issuer apikey create --data DIR --scope TYPE [--scope TYPE ...] [--name NAME] [--ttl 2160h] [--tenant NAME]
                                                     create an API key (valid 90 days by default); prints it once, alone on the last line
       idport issuer apikey list   --data DIR [--json]  list API keys (id, name, scopes, expiry, state; never secrets)
       idport issuer apikey revoke --data DIR --id ID   revoke an API key
       idport issuer apikey rotate --data DIR --id ID   new key with the same scopes and principal; the old one is revoked
       idport issuer rotate-secret --data DIR --old-secret-file FILE --new-secret-file FILE
                                                     seal the signing keys again under a new key-sealing secret
       idport issuer backup --url URL --api-key KEY --out FILE
                                                     online backup of issuer.db over the API (key with the admin scope)
The keys and apikey commands take --tenant NAME to act on a tenant instead of the default issuer.
The tenant, keys, apikey and rotate-secret commands open the data directory, so they run while the service is stopped;
backup talks to the running service.
`

// runIssuer runs the issuer service or one of its management subcommands.
func runIssuer(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 {
		switch args[0] {
		case "keys":
			return runIssuerKeys(ctx, args[1:], env)
		case "apikey":
			return runIssuerAPIKey(ctx, args[1:], env)
		case "tenant":
			return runIssuerTenant(ctx, args[1:], env)
		case "backup":
			return runIssuerBackup(ctx, args[1:], env)
		case "rotate-secret":
			return runIssuerRotateSecret(ctx, args[1:], env)
		case "help":
			fmt.Fprint(env.Stdout, issuerUsage)
			return nil
		}
	}
	var f issuerFlags
	fs := flag.NewFlagSet("issuer", flag.ContinueOnError)
	f.register(fs, true)
	if err := parseCommand(fs, args, env, issuerUsage); err != nil {
		return err
	}
	if err := f.pickPort(); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	tlsCfg, rl, err := f.listenerConfig(env)
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	cfg, err := f.open(ctx, env)
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	var refresh time.Duration
	if f.store.kind == storeconfig.KindEtcd {
		refresh = f.refresh
	}
	if f.gcPercent > 0 {
		debug.SetGCPercent(f.gcPercent)
	}
	tp, stopTracing, err := f.tracing.start(ctx, "issuer", env.Logger)
	if err != nil {
		_ = cfg.Store.Close()
		return fmt.Errorf("issuer: %w", err)
	}
	defer stopTracing()
	syncRegistry, err := f.reg.wire(f.registry, f.data, f.dev, &cfg, env.Logger, tp)
	if err != nil {
		_ = cfg.Store.Close()
		return fmt.Errorf("issuer: %w", err)
	}
	ready := httpx.NewReadyWatch("issuer", nil, env.Logger)
	svc, err := httpapi.NewService(ctx, httpapi.ServiceConfig{Issuer: cfg, Logger: env.Logger, Refresh: refresh, Ready: ready.Check, RateLimit: rl,
		TracerProvider: tp.TracerProvider()})
	if err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	defer svc.Close()
	ready.SetCheck(svc.Issuer().Ready)
	if f.dev {
		if err := printDevAPIKey(ctx, svc, env); err != nil {
			return err
		}
	}
	env.Logger.Info("issuer ready", "did", svc.DID(), "base_url", cfg.BaseURL, "data", f.data, "registry", f.registry,
		"registry_check", svc.Issuer().RegistryCheck(), "tenants", len(svc.Tenants()))
	g, ctx := errgroup.WithContext(ctx)
	if syncRegistry != nil {
		g.Go(func() error { return syncRegistry(ctx) })
	}
	srv := &httpx.Server{Addr: f.addr, Handler: svc.Handler(), Logger: env.Logger, Name: "issuer", TLSConfig: tlsCfg}
	g.Go(func() error { return srv.Run(ctx) })
	g.Go(func() error { return ready.Run(ctx, 0) })
	g.Go(func() error { return svc.Run(ctx) })
	return g.Wait()
}

// listenerConfig returns the TLS configuration and the rate limit of the flags.
func (f *issuerFlags) listenerConfig(env Env) (*tls.Config, *httpx.RateLimit, error) {
	tlsCfg, err := f.tls.config(env.Logger)
	if err != nil {
		return nil, nil, err
	}
	rl, err := f.rate.limit()
	return tlsCfg, rl, err
}

// pickPort resolves a ":0" --addr without --base-url to a free port now, so that the did:web
// and the status-list URLs name it.
func (f *issuerFlags) pickPort() error {
	if !strings.HasSuffix(f.addr, ":0") || f.baseURL != "" {
		return nil
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	f.addr = ln.Addr().String()
	return ln.Close()
}

// printDevAPIKey creates the --dev API key with every scope and prints it on stdout.
func printDevAPIKey(ctx context.Context, svc *httpapi.Service, env Env) error {
	tok, err := svc.CreateAPIKey(ctx, "dev", "*")
	if err != nil {
		return fmt.Errorf("issuer: dev API key: %w", err)
	}
	fmt.Fprintf(env.Stderr, "WARNING: --dev: created an API key with every scope; use it as 'Authorization: Bearer <key>':\n")
	fmt.Fprintln(env.Stdout, tok)
	return nil
}

// openIssuerForTool parses a management subcommand's flags and opens the engine over the
// data directory (no HTTP); the returned func releases engine and store.
func openIssuerForTool(ctx context.Context, args []string, env Env, name string, extra func(fs *flag.FlagSet)) (*issuer.Issuer, func(), error) {
	return openIssuerForToolWith(ctx, args, env, name, extra, nil)
}

// openIssuerForToolWith is openIssuerForTool with a hook that adjusts the configuration after
// the flags are parsed.
func openIssuerForToolWith(ctx context.Context, args []string, env Env, name string, extra func(fs *flag.FlagSet), adjust func(*issuer.Config)) (*issuer.Issuer, func(), error) {
	var f issuerFlags
	fs := flag.NewFlagSet("issuer "+name, flag.ContinueOnError)
	f.register(fs, false)
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args, env); err != nil {
		return nil, nil, err
	}
	cfg, err := f.open(ctx, env)
	if err != nil {
		return nil, nil, fmt.Errorf("issuer %s: %w", name, err)
	}
	if adjust != nil {
		adjust(&cfg)
	}
	is, err := issuer.New(ctx, cfg)
	if err != nil {
		_ = cfg.Store.Close()
		return nil, nil, fmt.Errorf("issuer %s: %w", name, err)
	}
	return is, func() { is.Close(); _ = cfg.Store.Close() }, nil
}

func runIssuerKeys(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "rotate") {
		fmt.Fprint(env.Stderr, issuerUsage)
		return fmt.Errorf("issuer keys: want list or rotate")
	}
	var alg string
	is, closeIssuer, err := openIssuerForTool(ctx, args[1:], env, "keys "+args[0], func(fs *flag.FlagSet) {
		if args[0] == "rotate" {
			fs.StringVar(&alg, "new-alg", "", "algorithm of the new key (default: --alg)")
		}
	})
	if err != nil {
		return err
	}
	defer closeIssuer()
	if args[0] == "rotate" {
		k, err := is.Rotate(ctx, keys.Alg(alg))
		if err != nil {
			return fmt.Errorf("issuer keys rotate: %w", err)
		}
		fmt.Fprintf(env.Stdout, "new signing key %s (%s); the previous key stays published until the last credential it signed expires\n", k.KID, k.Alg)
		return nil
	}
	return printer{env: env, json: true}.print(is.Keys(), nil)
}

// runIssuerBackup fetches GET /admin/backup from a running issuer into --out.
func runIssuerBackup(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("issuer backup", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8442", "issuer base URL")
	key := fs.String("api-key", "", "API key with the admin scope (or IDPORT_API_KEY)")
	keyFile := fs.String("api-key-file", "", "file holding the API key")
	out := fs.String("out", "", "file to write the backup to (written through a temporary file, then renamed)")
	jsonOut := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args, env); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("issuer backup: unexpected argument %q\n\n%s", fs.Arg(0), issuerUsage)
	}
	tok := *key
	if tok == "" && *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("issuer backup: --api-key-file: %w", err)
		}
		tok = strings.TrimSpace(string(b))
	}
	if tok == "" {
		return errors.New("issuer backup: an API key with the admin scope is required: --api-key, --api-key-file or IDPORT_API_KEY")
	}
	if err := downloadBackup(ctx, env, strings.TrimRight(*base, "/")+"/admin/backup", tok, *out, *jsonOut); err != nil {
		return fmt.Errorf("issuer %w", err)
	}
	return nil
}
