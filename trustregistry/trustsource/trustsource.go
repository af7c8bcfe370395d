// Package trustsource plugs the trust registry into the verifier SDK: it adapts a registry
// replica (trustregistry/replica) to verifier.TrustSource, and gives SDK users one-call setups,
// from a registry URL with a pinned key or from a snapshot file.
//
// The verifier package never imports the registry (it declares the TrustSource it needs); this
// package is the one place where the two meet.
package trustsource

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/replica"
	"github.com/idport/idport/verifier"
)

// Source is a verifier.TrustSource answering from a registry replica's in-memory index and,
// when configured (WithFederation), from the verified OpenID Federation chains of issuers
// recognised by federation framework.
type Source struct {
	replica *replica.Replica
	fed     *federation
	// runsReplica is set when Run must also keep the replica in sync (Sync).
	runsReplica bool
}

// New adapts replica to verifier.TrustSource.
func New(replica *replica.Replica) *Source { return &Source{replica: replica} }

// WithFederation makes s recognise issuers by federation framework live, from cfg.Cache (see
// FederationConfig); Run refreshes the cache. It returns s.
func (s *Source) WithFederation(cfg FederationConfig) *Source {
	if cfg.Cache != nil {
		s.fed = newFederation(cfg)
	}
	return s
}

// Replica returns the adapted replica.
func (s *Source) Replica() *replica.Replica { return s.replica }

// Run keeps the source current until ctx ends: the replica in sync (for a Source made by Sync)
// and the federation chains refreshed (WithFederation). Without either it waits for ctx.
func (s *Source) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	if s.runsReplica {
		g.Go(func() error { return s.replica.Run(ctx) })
	}
	if s.fed != nil {
		g.Go(func() error { return s.fed.run(ctx) })
	}
	g.Go(func() error { <-ctx.Done(); return nil })
	return g.Wait()
}

// Decide implements verifier.TrustSource. The issuer is looked up by DID first, then by the
// RFC 7638 thumbprint of its signing key, for authorities registered by pinned key. The
// thumbprint also lets the registry refuse a key the authority has not pinned (key_not_pinned).
// An issuer the registry does not know is decided by federation framework when the Source has
// a chain cache and the registry holds recognitions by framework: that is the only path that
// may fetch (a chain not yet cached, bounded by FederationConfig.LoadTimeout).
func (s *Source) Decide(ctx context.Context, q verifier.TrustQuery) (verifier.TrustDecision, error) {
	tq := trustregistry.Query{Entity: q.Issuer, KeyThumbprint: q.KeyThumbprint, CredentialType: q.CredentialType,
		LocalScheme: q.LocalScheme, At: q.At, IssuedAt: q.IssuedAt}
	d := s.replica.Decide(tq)
	if !d.Recognised && d.Code == trustregistry.CodeIssuerNotRecognised && q.KeyThumbprint != "" {
		tq.Entity = q.KeyThumbprint
		if byKey := s.replica.Decide(tq); byKey.Code != trustregistry.CodeIssuerNotRecognised {
			d = byKey
		}
		tq.Entity = q.Issuer
	}
	var idx *trustregistry.Index
	if d.Code == trustregistry.CodeIssuerNotRecognised && s.fed != nil {
		if idx = s.replica.Index(); idx != nil && idx.HasFrameworks() {
			if entity, ok := EntityID(q.Issuer); ok {
				d = s.fed.decide(ctx, idx, tq, entity)
			}
		}
	}
	out := verifier.TrustDecision{
		Recognised: d.Recognised, Code: d.Code, Message: d.Message,
		Authority: d.Authority, Scheme: d.Scheme, Jurisdiction: d.Jurisdiction, Agreement: d.Agreement,
		Recognition: d.Recognition, LocalAssurance: d.LocalAssurance, ForeignAssurance: d.ForeignAssurance,
		RegistryVersion: d.RegistryVersion, ClaimMapping: d.ClaimMapping, AllowedClaims: d.AllowedClaims,
		Chain: d.Chain,
	}
	out.Provenance = s.provenance(d, q)
	return out, nil
}

// provenance names where the decision's key came from: the pinned key's provenance, else the
// one all of the authority's keys share, else (an authority registered by hand) manual; for
// a recognition by framework, the live trust chain (set as the decision's key provenance).
func (s *Source) provenance(d trustregistry.Decision, q verifier.TrustQuery) *verifier.Provenance {
	switch {
	case d.Authority == "":
		return nil
	case d.KeyProvenance != nil:
		return provenanceOf(d.KeyProvenance)
	}
	idx := s.replica.Index()
	p := authorityProvenance(idx, q.Issuer)
	if p == nil && q.KeyThumbprint != "" {
		p = authorityProvenance(idx, q.KeyThumbprint)
	}
	if p != nil {
		return provenanceOf(p)
	}
	return &verifier.Provenance{Kind: verifier.ProvenanceManual, Description: "authority " + d.Authority + " registered by the regulators (maker-checker)"}
}

// Status implements verifier.TrustSource. A replica holding a snapshot without a single
// recognised authority is not ready: a verifier with zero trust anchors must never look healthy.
func (s *Source) Status() verifier.TrustStatus {
	st := s.replica.Status()
	ts := verifier.TrustStatus{Ready: st.Ready, Version: st.Version, Stale: st.Stale, LastUpdate: st.LastUpdate, Reason: st.Reason}
	if ts.Ready {
		if idx := s.replica.Index(); idx == nil || len(idx.IDs(trustregistry.KindAuthority)) == 0 {
			ts.Ready = false
			ts.Reason = fmt.Sprintf("registry snapshot (version %d) recognises no authority yet", st.Version)
		}
	}
	return ts
}

// WaitReady blocks until the source is ready (a verified, fresh snapshot with at least one
// authority) or ctx ends, and then returns the reason it is still not ready.
func (s *Source) WaitReady(ctx context.Context) error {
	for {
		st := s.Status()
		if st.Ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("registry not ready: %s: %w", st.Reason, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// SyncConfig configures Sync.
type SyncConfig struct {
	// URL of the registry, e.g. https://registry.lingang.example.
	URL string
	// PinnedKey is the registry's public JWK, obtained out of band.
	PinnedKey []byte
	// CacheFile keeps the last good snapshot so a restart works while the registry is down.
	CacheFile string
	// HTTPClient fetches snapshots (default: the replica's, 35 s timeout).
	HTTPClient *http.Client
	// WrapTransport, when set, wraps the fetching client's transport (replica.Config).
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Logger receives sync events (default slog.Default()).
	Logger *slog.Logger
	// OnSync is called after every sync attempt (see replica.Config.OnSync; SyncMetrics.Observe).
	OnSync func(accepted bool, err error)
	// Federation, when its Cache is set, recognises issuers by federation framework live
	// (see FederationConfig).
	Federation FederationConfig
}

// Sync returns a Source kept in sync with a registry, and the loop that keeps it so: run it
// (go run(ctx)) for as long as the Source is used. The Source is unready until the first
// verified snapshot arrives (or CacheFile held a valid one).
func Sync(cfg SyncConfig) (*Source, func(ctx context.Context) error, error) {
	r, err := replica.New(replica.Config{URL: cfg.URL, PinnedKey: cfg.PinnedKey, CacheFile: cfg.CacheFile,
		HTTPClient: cfg.HTTPClient, WrapTransport: cfg.WrapTransport, Logger: cfg.Logger, OnSync: cfg.OnSync})
	if err != nil {
		return nil, nil, fmt.Errorf("registry replica for %s: %w", cfg.URL, err)
	}
	src := New(r).WithFederation(cfg.Federation)
	src.runsReplica = true
	return src, src.Run, nil
}

// FromSnapshotFile returns a Source over a signed snapshot file (as served by the registry's
// GET /v1/snapshot), verified against pinnedKey, for verifiers without network access to the
// registry. It goes stale at the snapshot's next-update plus grace, like any replica.
func FromSnapshotFile(path string, pinnedKey []byte) (*Source, error) {
	r, err := replica.FromSnapshotFile(path, pinnedKey)
	if err != nil {
		return nil, fmt.Errorf("registry snapshot: %w", err)
	}
	return New(r), nil
}

// NewVerifier is the one-call setup of an online verifier: a verifier.Verifier whose trust
// source follows the registry at sync.URL (pinned key sync.PinnedKey). It waits until the first
// verified snapshot with at least one authority is held (or ctx ends), and keeps the replica in
// sync until ctx ends. cfg configures everything else; its TrustSource is replaced.
func NewVerifier(ctx context.Context, sync SyncConfig, cfg verifier.Config) (*verifier.Verifier, error) {
	src, run, err := Sync(sync)
	if err != nil {
		return nil, err
	}
	go func() { _ = run(ctx) }()
	if err := src.WaitReady(ctx); err != nil {
		return nil, err
	}
	cfg.TrustSource = src
	return verifier.New(cfg)
}

// NewOfflineVerifier is the one-call setup of a verifier without access to the registry: its
// trust source is the signed snapshot file at path, verified against pinnedKey. cfg configures
// everything else; its TrustSource is replaced.
func NewOfflineVerifier(path string, pinnedKey []byte, cfg verifier.Config) (*verifier.Verifier, error) {
	src, err := FromSnapshotFile(path, pinnedKey)
	if err != nil {
		return nil, err
	}
	cfg.TrustSource = src
	return verifier.New(cfg)
}

// ReadKeyFile reads a pinned registry key (a public JWK) from a file.
func ReadKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pinned registry key: %w", err)
	}
	return b, nil
}

var _ verifier.TrustSource = (*Source)(nil)
