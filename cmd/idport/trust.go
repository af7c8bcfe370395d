package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

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
// caFile, when set, is the CA bundle the registry's HTTPS certificate must chain to.
func newRegistryTrustSource(_ context.Context, url, keyFile, caFile, dataDir, localScheme string, logger *slog.Logger) (*registryTrust, error) {
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
		CacheFile: filepath.Join(dataDir, registryCacheFile), Logger: logger, OnSync: m.Observe})
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
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--registry-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--registry-ca %s: no PEM certificates", caFile)
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
