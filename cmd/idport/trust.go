package main

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/idport/idport/trustregistry/trustsource"
	"github.com/idport/idport/verifier"
)

// registryCacheFile is where a verifier keeps the last good registry snapshot in its data dir.
const registryCacheFile = "registry-snapshot.cache"

// newRegistryTrustSource returns the verifier's trust source: a replica of the registry at url,
// pinned to the public JWK in keyFile, cached in dataDir, and the loop that keeps it in sync.
// wrap, when not nil, wraps the fetching transport (tracing).
func newRegistryTrustSource(_ context.Context, url, keyFile, dataDir string, logger *slog.Logger,
	wrap func(http.RoundTripper) http.RoundTripper) (verifier.TrustSource, func(context.Context) error, error) {
	key, err := trustsource.ReadKeyFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	src, run, err := trustsource.Sync(trustsource.SyncConfig{URL: url, PinnedKey: key,
		CacheFile: filepath.Join(dataDir, registryCacheFile), Logger: logger, WrapTransport: wrap})
	if err != nil {
		return nil, nil, err
	}
	return src, run, nil
}
