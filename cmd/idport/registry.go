package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
)

const registryUsage = `The trust registry records which foreign authorities and schemes are recognised,
for what, under which agreement and since when. Public queries need no auth:

  GET  /v1/{jurisdictions,schemes,authorities,agreements,recognitions}[/ID]
  GET  /v1/snapshot[?after=SEQ&wait=25s]   signed snapshot (application/jose), long-poll
  GET  /v1/snapshot/key                     the registry public key (JWK) verifiers pin
  POST /authorization   POST /recognition   TRQP v2 queries (?signed=true for a JWS answer)

Regulators change it through /admin/v1 (maker-checker: a proposal applies once
approved by distinct accounts other than the proposer). Create the first accounts
offline with 'idport admin bootstrap'.
`

type registryFlags struct {
	addr, data, keySecretFile, exportKey    string
	tlsCert, tlsKey, clientCA, certAccounts string
	trustedProxies                          string
	quorum                                  int
	snapshotInterval, proposalTTL           time.Duration
	dev                                     bool
}

func (f *registryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8441", "listen address (host:port)")
	fs.StringVar(&f.data, "data", "./data/registry", "data directory (registry.db)")
	fs.StringVar(&f.keySecretFile, "key-secret-file", "", "file with the secret (>= 32 bytes) sealing the registry signing key at rest")
	fs.StringVar(&f.exportKey, "export-key", "", "write the registry public key (JWK) to this file at start, for verifiers to pin")
	fs.IntVar(&f.quorum, "quorum", trustregistry.DefaultQuorum, "distinct accounts (proposer included) that must agree on a change, at least 2")
	fs.DurationVar(&f.snapshotInterval, "snapshot-interval", trustregistry.DefaultSnapshotInterval, "snapshot next-update distance; re-issued at half of it")
	fs.DurationVar(&f.proposalTTL, "proposal-ttl", trustregistry.DefaultProposalTTL, "default time a proposal waits for approval")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM); serves HTTPS when set with --tls-key")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.StringVar(&f.clientCA, "client-ca", "", "CA bundle (PEM) for admin client certificates (mTLS, optional)")
	fs.StringVar(&f.certAccounts, "cert-accounts", "", "comma-separated CERT=ACCOUNT pairs: CERT is the hex SHA-256 of a client certificate or CN=<common name>")
	fs.StringVar(&f.trustedProxies, "trusted-proxies", "", "comma-separated proxy addresses/CIDRs whose X-Forwarded-For names the client (for the failed-login rate limit); default none")
	fs.BoolVar(&f.dev, "dev", false, "development mode: generate and keep a key secret in the data directory (loud warning)")
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

func (f *registryFlags) tlsConfig() (*tls.Config, error) {
	if f.tlsCert == "" && f.tlsKey == "" {
		if f.clientCA != "" {
			return nil, errors.New("--client-ca needs --tls-cert and --tls-key")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("TLS key pair: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if f.clientCA != "" {
		pem, err := os.ReadFile(f.clientCA)
		if err != nil {
			return nil, fmt.Errorf("--client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--client-ca %s: no PEM certificates", f.clientCA)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return cfg, nil
}

// runRegistry runs the trust registry service until ctx ends.
func runRegistry(ctx context.Context, args []string, env Env) error {
	var f registryFlags
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	f.register(fs)
	if err := parseFlags(fs, args, env); err != nil {
		if errors.Is(err, errUsage) {
			fmt.Fprint(env.Stdout, "\n"+registryUsage)
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("registry: unexpected argument %q\n\n%s", fs.Arg(0), registryUsage)
	}
	cfg := trustregistry.Config{DataDir: f.data, Quorum: f.quorum, Dev: f.dev, Logger: env.Logger,
		SnapshotInterval: f.snapshotInterval, ProposalTTL: f.proposalTTL}
	cfg.HTTP.TrustedProxies = splitList(f.trustedProxies)
	if f.keySecretFile != "" {
		b, err := os.ReadFile(f.keySecretFile)
		if err != nil {
			return fmt.Errorf("registry: --key-secret-file: %w", err)
		}
		cfg.KeySecret = []byte(strings.TrimSpace(string(b)))
	} else if f.dev {
		fmt.Fprintln(env.Stderr, "WARNING: --dev: the registry signing key is sealed with a secret generated into the data directory; never do this in production")
	}
	var err error
	if cfg.CertAccounts, err = parseCertAccounts(f.certAccounts); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	tlsCfg, err := f.tlsConfig()
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	svc, err := trustregistry.NewService(cfg)
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	defer svc.Close()
	if f.exportKey != "" {
		jwk, err := svc.PublicKeyJWK()
		if err != nil {
			return err
		}
		if err := os.WriteFile(f.exportKey, append(jwk, '\n'), 0o644); err != nil {
			return fmt.Errorf("registry: --export-key: %w", err)
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return svc.Run(ctx) })
	srv := &httpx.Server{Addr: f.addr, Handler: svc.Handler(), Logger: env.Logger, TLSConfig: tlsCfg,
		OnListen: func(a net.Addr) {
			env.Logger.Info("registry listening", "addr", a.String(), "data", f.data, "quorum", f.quorum)
		}}
	g.Go(func() error { return srv.Run(ctx) })
	return g.Wait()
}
