package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/etcdstore"
	"github.com/idport/idport/trustregistry/httpapi"
	"github.com/idport/idport/trustregistry/importer"
	"github.com/idport/idport/trustregistry/storeconfig"
	"go.opentelemetry.io/otel/trace"
)

const registryUsage = `The trust registry records which foreign authorities and schemes are recognised,
for what, under which agreement and since when. Public queries need no auth:

  GET  /v1/{jurisdictions,schemes,authorities,agreements,recognitions}[/ID]
  GET  /v1/snapshot[?after=SEQ&wait=25s]   signed snapshot (application/jose), long-poll
  GET  /v1/snapshot/key                     the registry public key (JWK) verifiers pin
  POST /authorization   POST /recognition   TRQP v2 queries (?signed=true for a JWS answer)

Regulators change it through /admin/v1 (maker-checker: a proposal applies once
approved by distinct accounts other than the proposer). Create the first accounts
offline with 'idport admin bootstrap'. Regulators may also use the web console at
/console (sign in with the account's token; --console=false turns it off).
`

type registryFlags struct {
	addr, data, keySecretFile, exportKey string
	certAccounts, adminAddr              string
	trustedProxies, publicURL            string
	tls                                  tlsFlags
	quorum                               int
	snapshotInterval, proposalTTL        time.Duration
	tokenTTL, coolingOff                 time.Duration
	dev                                  bool
	store                                storeFlags
	console                              consoleFlags
	imports                              importFlagsRegistry
	tracing                              tracingFlags
}

// storeFlags choose the registry's store: the bbolt file in --data (default) or an etcd cluster
// shared by several registry processes (DESIGN §6).
type storeFlags struct {
	kind, endpoints, prefix       string
	etcdCA, etcdCert, etcdKey     string
	etcdUser, etcdPasswordFile    string
	etcdDialTimeout, etcdLeaseTTL time.Duration
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	f.registerFor(fs, "registry", "registry.db", "/idport/registry/")
	fs.DurationVar(&f.etcdLeaseTTL, "etcd-lease-ttl", 10*time.Second, "lease of the registry write lock in etcd: a standby takes over this long after the active registry dies")
}

func (f *storeFlags) etcdTLS() (*tls.Config, error) {
	if f.etcdCA == "" && f.etcdCert == "" && f.etcdKey == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.etcdCA != "" {
		pool, err := caPool("etcd-ca", f.etcdCA)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if f.etcdCert != "" || f.etcdKey != "" {
		cert, err := tls.LoadX509KeyPair(f.etcdCert, f.etcdKey)
		if err != nil {
			return nil, fmt.Errorf("--etcd-cert/--etcd-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// config turns the flags into the store configuration (storeconfig opens it). data is the
// data directory of the bbolt store.
func (f *storeFlags) config(data string, log *slog.Logger) (storeconfig.Config, error) {
	cfg := storeconfig.Config{Kind: f.kind, DataDir: data, LeaseTTL: f.etcdLeaseTTL, Logger: log}
	switch f.kind {
	case "", storeconfig.KindBolt:
		if f.endpoints != "" {
			return cfg, errors.New("--etcd-endpoints needs --store etcd")
		}
		return cfg, nil
	case storeconfig.KindEtcd:
	default:
		return cfg, fmt.Errorf("--store %q: want bolt or etcd", f.kind)
	}
	eps := splitList(f.endpoints)
	if len(eps) == 0 {
		return cfg, errors.New("--store etcd needs --etcd-endpoints")
	}
	tlsCfg, err := f.etcdTLS()
	if err != nil {
		return cfg, err
	}
	cfg.Etcd = etcdstore.Config{Endpoints: eps, Prefix: f.prefix, DialTimeout: f.etcdDialTimeout, TLS: tlsCfg, Username: f.etcdUser}
	if f.etcdPasswordFile != "" {
		b, err := os.ReadFile(f.etcdPasswordFile)
		if err != nil {
			return cfg, fmt.Errorf("--etcd-password-file: %w", err)
		}
		cfg.Etcd.Password = strings.TrimSpace(string(b))
	}
	return cfg, nil
}

// open opens the store the flags choose (see storeconfig.Open: for etcd it waits, as a
// standby, for the prefix's write lock).
func (f *storeFlags) open(ctx context.Context, data string, log *slog.Logger) (*storeconfig.Opened, error) {
	cfg, err := f.config(data, log)
	if err != nil {
		return nil, err
	}
	return storeconfig.Open(ctx, cfg)
}

func (f *registryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8441", "listen address (host:port)")
	fs.StringVar(&f.data, "data", "./data/registry", "data directory (registry.db)")
	fs.StringVar(&f.keySecretFile, "key-secret-file", "", "file with the secret (>= 32 bytes) sealing the registry signing key at rest")
	fs.StringVar(&f.exportKey, "export-key", "", "write the registry public key (JWK) to this file at start, for verifiers to pin")
	fs.IntVar(&f.quorum, "quorum", trustregistry.DefaultQuorum, "distinct accounts (proposer included) that must agree on a change, at least 2")
	fs.DurationVar(&f.snapshotInterval, "snapshot-interval", trustregistry.DefaultSnapshotInterval, "snapshot next-update distance; re-issued at half of it")
	fs.DurationVar(&f.proposalTTL, "proposal-ttl", trustregistry.DefaultProposalTTL, "default time a proposal waits for approval")
	fs.DurationVar(&f.tokenTTL, "token-ttl", trustregistry.DefaultTokenTTL, "lifetime of newly enrolled admin tokens (initial policy; set_policy overrides)")
	fs.DurationVar(&f.coolingOff, "cooling-off", trustregistry.DefaultCoolingOff, "how long the enrollers of an account may not approve its proposals (initial policy; set_policy overrides)")
	f.tls.register(fs, "regulators' admin clients log in with one mapped by --cert-accounts")
	fs.StringVar(&f.adminAddr, "admin-addr", "", "separate listen address (host:port) for /admin/v1 and /console; when set, the public --addr answers 404 there")
	fs.StringVar(&f.certAccounts, "cert-accounts", "", "comma-separated CERT=ACCOUNT pairs: CERT is the hex SHA-256 of a client certificate or CN=<common name>")
	fs.StringVar(&f.publicURL, "public-url", "", "the registry's public base URL as foreign parties reach it: its OpenID Federation entity id (default <scheme>://<addr>)")
	fs.StringVar(&f.trustedProxies, "trusted-proxies", "", "comma-separated proxy addresses/CIDRs whose X-Forwarded-For names the client (for the failed-login rate limit); default none")
	fs.BoolVar(&f.dev, "dev", false, "development mode: generate and keep a key secret in the data directory (loud warning)")
	f.store.register(fs)
	f.console.register(fs)
	f.imports.register(fs)
	f.tracing.register(fs)
}

func parseCertAccounts(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range splitList(s) {
		i := strings.LastIndex(pair, "=")
		if i <= 0 || i == len(pair)-1 {
			return nil, fmt.Errorf("--cert-accounts entry %q: want CERT=ACCOUNT", pair)
		}
		out[pair[:i]] = pair[i+1:]
	}
	return out, nil
}

// serviceConfig builds the service configuration from the flags (the store is set later).
func (f *registryFlags) serviceConfig(env Env) (trustregistry.Config, error) {
	cfg := trustregistry.Config{DataDir: f.data, Quorum: f.quorum, Dev: f.dev, Logger: env.Logger,
		SnapshotInterval: f.snapshotInterval, ProposalTTL: f.proposalTTL, TokenTTL: f.tokenTTL, CoolingOff: f.coolingOff}
	if f.keySecretFile != "" {
		b, err := os.ReadFile(f.keySecretFile)
		if err != nil {
			return cfg, fmt.Errorf("--key-secret-file: %w", err)
		}
		cfg.KeySecret = []byte(strings.TrimSpace(string(b)))
	} else if !f.dev {
		return cfg, errors.New("a key secret (--key-secret-file) is required outside --dev")
	} else {
		fmt.Fprintln(env.Stderr, "WARNING: --dev: the registry signing key is sealed with a secret generated into the data directory; never do this in production")
	}
	var err error
	if cfg.CertAccounts, err = parseCertAccounts(f.certAccounts); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// runRegistry runs the trust registry service until ctx ends.
func runRegistry(ctx context.Context, args []string, env Env) error {
	var f registryFlags
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	f.register(fs)
	if err := parseCommand(fs, args, env, registryUsage); err != nil {
		return err
	}
	cfg, err := f.serviceConfig(env)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	tlsCfg, err := f.tls.config(env.Logger)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	tp, stopTracing, err := f.tracing.start(ctx, "registry", env.Logger)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer stopTracing()
	st, err := f.store.open(ctx, f.data, env.Logger)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer st.Close() // releases the etcd write lock, closes the store
	cfg.Store = st.Store
	svc, err := trustregistry.NewService(cfg)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	if err := f.writeKey(svc); err != nil {
		return err
	}
	ready := httpx.NewReadyWatch("registry", svc.Ready, env.Logger)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return svc.Run(ctx) })
	g.Go(func() error { return ready.Run(ctx, 0) })
	im, err := f.imports.importer(tp)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	for _, srv := range f.servers(svc, ready.Check, tlsCfg, im, tp.TracerProvider(), env) {
		g.Go(func() error { return srv.Run(ctx) })
	}
	if st.Lost != nil {
		g.Go(func() error {
			select {
			case <-st.Lost:
				return errors.New("registry: lost the write lock in etcd (lease expired or revoked); stopping so a standby takes over")
			case <-ctx.Done():
				return nil
			}
		})
	}
	return g.Wait()
}

// servers returns the registry's listeners: one serving everything, or with --admin-addr a
// public one and an admin one (/admin/v1 and /console), importing with im. tracer, when not
// nil, traces their requests.
func (f *registryFlags) servers(svc *trustregistry.Service, ready func() error, tlsCfg *tls.Config, im *importer.Importer,
	tracer trace.TracerProvider, env Env) []*httpx.Server {
	o := httpapi.Options{TrustedProxies: splitList(f.trustedProxies), BackupDir: f.data, Console: f.console.config(), Ready: ready,
		Importer: im, PublicURL: f.publicURL, TracerProvider: tracer}
	if o.PublicURL == "" {
		o.PublicURL = f.tls.scheme() + "://" + f.addr
	}
	onListen := func(what string) func(net.Addr) {
		return func(a net.Addr) {
			env.Logger.Info("registry listening", "listener", what, "addr", a.String(), "tls", tlsCfg != nil,
				"data", f.data, "store", f.store.kind, "quorum", f.quorum)
		}
	}
	if f.adminAddr == "" {
		return []*httpx.Server{{Addr: f.addr, Handler: httpapi.New(svc, o, env.Logger), Logger: env.Logger, Name: "registry",
			TLSConfig: tlsCfg, OnListen: onListen("public+admin")}}
	}
	public, admin := httpapi.NewSplit(svc, o, env.Logger)
	return []*httpx.Server{
		{Addr: f.addr, Handler: public, Logger: env.Logger, Name: "registry", TLSConfig: tlsCfg, OnListen: onListen("public")},
		{Addr: f.adminAddr, Handler: admin, Logger: env.Logger, Name: "registry-admin", TLSConfig: tlsCfg, OnListen: onListen("admin")},
	}
}

// writeKey writes the registry public key to --export-key, when set.
func (f *registryFlags) writeKey(svc *trustregistry.Service) error {
	if f.exportKey == "" {
		return nil
	}
	jwk, err := svc.PublicKeyJWK()
	if err != nil {
		return err
	}
	if err := os.WriteFile(f.exportKey, append(jwk, '\n'), 0o644); err != nil {
		return fmt.Errorf("registry: --export-key: %w", err)
	}
	return nil
}
