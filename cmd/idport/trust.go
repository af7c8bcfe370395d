package main

import (
	"context"
	"crypto/tls"
	"flag"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/trustregistry/oidfed"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
)

// registryCacheFile is where a verifier keeps the last good registry snapshot in its data dir.
const registryCacheFile = "registry-snapshot.cache"

// registryTrust is the verifier's registry copy as its trust source.
type registryTrust struct {
	// source answers trust queries; it is not ready while the copy is missing, stale, recognises
	// no authority or lacks the local scheme.
	source *trustsource.LocalSchemeSource
	// run keeps the copy in sync until its context ends.
	run func(context.Context) error
	// metrics are the sync metrics (register them with Register).
	metrics *syncMetrics
}

// newRegistryTrustSource returns the verifier's trust source: a replica of the registry at url,
// pinned to the public JWK in keyFile, cached in dataDir, ready only when it lists localScheme
// (when set), and the loop that keeps it in sync.
// caFile, when set, is the CA bundle the registry's HTTPS certificate must chain to. fed, when
// its Cache is set, recognises issuers by federation framework live. wrap, when not nil, wraps
// the fetching transport (tracing).
func newRegistryTrustSource(_ context.Context, url, keyFile, caFile, dataDir, localScheme string, fed trustsource.FederationConfig, logger *slog.Logger,
	wrap func(http.RoundTripper) http.RoundTripper) (*registryTrust, error) {
	key, err := trustsource.ReadKeyFile(keyFile)
	if err != nil {
		return nil, err
	}
	client, err := registryHTTPClient(caFile)
	if err != nil {
		return nil, err
	}
	m := newSyncMetrics()
	src, run, err := trustsource.Sync(trustsource.SyncConfig{URL: url, PinnedKey: key, HTTPClient: client,
		CacheFile: filepath.Join(dataDir, registryCacheFile), Logger: logger, OnSync: m.Observe, Federation: fed,
		WrapTransport: wrap})
	if err != nil {
		return nil, err
	}
	return &registryTrust{source: trustsource.RequireLocalScheme(src, localScheme), run: run, metrics: m}, nil
}

// registryHTTPClient returns the client that fetches snapshots: nil (the replica's default,
// trusting the system's CAs) without caFile, else one trusting only the CAs in caFile.
func registryHTTPClient(caFile string) (*http.Client, error) {
	if caFile == "" {
		return nil, nil
	}
	pool, err := caPool("registry-ca", caFile)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: 35 * time.Second}, nil
}

// register registers the registry copy's metrics with reg.
func (t *registryTrust) register(reg prometheus.Registerer) error {
	return t.metrics.Register(reg, t.source.Source, func() bool { return t.source.Status().Ready })
}

var _ verifier.TrustSource = (*trustsource.LocalSchemeSource)(nil)

// federationFlags configure live recognition by federation framework in 'idport verifier'.
type federationFlags struct {
	on             bool
	loadTimeout    time.Duration
	refresh, retry time.Duration
}

func (f *federationFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "federation", true, "recognise issuers by federation framework: resolve and cache the OpenID Federation trust chains of issuers the registry does not list, for the registry's recognitions by framework (fetches go through the SSRF-guarded client; --allow-hosts applies)")
	fs.DurationVar(&f.loadTimeout, "federation-load-timeout", trustsource.DefaultFederationLoadTimeout, "bound on resolving a trust chain that is not cached, on the request path")
	fs.DurationVar(&f.refresh, "federation-refresh", trustsource.DefaultFederationRefresh, "how often cached trust chains are re-resolved (a federation's withdrawal takes effect then)")
	fs.DurationVar(&f.retry, "federation-retry-after", trustsource.DefaultFederationRetryAfter, "how long a trust chain that failed to resolve is not asked for again")
}

// config returns the trust source's federation configuration (no Cache when off), fetching
// with the network options net (its Timeout is --federation-load-timeout).
func (f *federationFlags) config(net did.NetOptions, logger *slog.Logger) trustsource.FederationConfig {
	if !f.on {
		return trustsource.FederationConfig{}
	}
	net.Timeout = f.loadTimeout
	client := did.SafeHTTPClient(net)
	return trustsource.FederationConfig{Cache: oidfed.NewCache(&oidfed.Resolver{Client: client}, logger),
		LoadTimeout: f.loadTimeout, Refresh: f.refresh, RetryAfter: f.retry}
}
