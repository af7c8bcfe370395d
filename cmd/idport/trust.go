package main

import (
	"context"
	"flag"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/trustregistry/oidfed"

	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
)

// registryCacheFile is where a verifier keeps the last good registry snapshot in its data dir.
const registryCacheFile = "registry-snapshot.cache"

// newRegistryTrustSource returns the verifier's trust source: a replica of the registry at url,
// pinned to the public JWK in keyFile, cached in dataDir, and the loop that keeps it in sync.
// fed, when its Cache is set, recognises issuers by federation framework live.
func newRegistryTrustSource(_ context.Context, url, keyFile, dataDir string, fed trustsource.FederationConfig, logger *slog.Logger) (verifier.TrustSource, func(context.Context) error, error) {
	key, err := trustsource.ReadKeyFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	src, run, err := trustsource.Sync(trustsource.SyncConfig{URL: url, PinnedKey: key,
		CacheFile: filepath.Join(dataDir, registryCacheFile), Logger: logger, Federation: fed})
	if err != nil {
		return nil, nil, err
	}
	return src, run, nil
}

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

// config returns the trust source's federation configuration (no Cache when off).
func (f *federationFlags) config(allowHosts []string, allowHTTP bool, logger *slog.Logger) trustsource.FederationConfig {
	if !f.on {
		return trustsource.FederationConfig{}
	}
	client := did.SafeHTTPClient(did.NetOptions{AllowHosts: allowHosts, AllowHTTP: allowHTTP, Timeout: f.loadTimeout})
	return trustsource.FederationConfig{Cache: oidfed.NewCache(&oidfed.Resolver{Client: client}, logger),
		LoadTimeout: f.loadTimeout, Refresh: f.refresh, RetryAfter: f.retry}
}
