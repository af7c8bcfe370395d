package trustsource

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/oidfed"
)

// Defaults of FederationConfig.
const (
	DefaultFederationLoadTimeout = 5 * time.Second
	DefaultFederationRefresh     = 5 * time.Minute
	DefaultFederationRetryAfter  = time.Minute
)

// FederationConfig makes a Source recognise issuers by federation framework live: an issuer the
// registry does not know, whose OpenID Federation trust chain ends at a trust anchor a
// recognition by framework pins, is decided from that chain (trustregistry.Index.DecideFramework).
type FederationConfig struct {
	// Cache holds the verified chains; build it over an oidfed.Resolver whose client is
	// SSRF-guarded (pkg/did.SafeHTTPClient).
	Cache *oidfed.Cache
	// LoadTimeout bounds the resolution of a chain that is not cached (default 5 s): the only
	// I/O a decision may do.
	LoadTimeout time.Duration
	// Refresh is how often every cached chain is re-resolved (default 5 min): a federation's
	// own revocation (a withdrawn or expired subordinate statement) takes effect then.
	Refresh time.Duration
	// RetryAfter is how long a chain that failed to resolve is not asked for again (default
	// 1 min), so unknown issuers cannot make the verifier fetch on every request.
	RetryAfter time.Duration
}

// federation is the live framework recognition of a Source.
type federation struct {
	cfg FederationConfig

	mu      sync.Mutex
	derived map[fedKey]derivedChain // the FrameworkChain of each cached chain
	failed  map[fedKey]failure      // recent resolution failures
	anchors map[string]jwk.Set      // parsed anchor keys, by their JSON
}

type fedKey struct{ leaf, anchor, mark string }

type derivedChain struct {
	from *oidfed.Chain
	fc   *trustregistry.FrameworkChain
	prov *trustregistry.Provenance
}

type failure struct {
	until time.Time
	msg   string
}

func newFederation(cfg FederationConfig) *federation {
	if cfg.LoadTimeout <= 0 {
		cfg.LoadTimeout = DefaultFederationLoadTimeout
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultFederationRefresh
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = DefaultFederationRetryAfter
	}
	return &federation{cfg: cfg, derived: map[fedKey]derivedChain{}, failed: map[fedKey]failure{}, anchors: map[string]jwk.Set{}}
}

// run refreshes the cached chains until ctx ends.
func (f *federation) run(ctx context.Context) error { return f.cfg.Cache.Run(ctx, f.cfg.Refresh) }

// EntityID maps an issuer to its OpenID Federation entity identifier: an https URL issuer is
// its own, a did:web's is its https origin (did:web:example.com%3A8443:x -> https://example.com:8443).
// Other issuers have none.
func EntityID(issuer string) (string, bool) {
	switch {
	case strings.HasPrefix(issuer, "https://"):
		u, err := url.Parse(issuer)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return "", false
		}
		return strings.TrimSuffix(issuer, "/"), true
	case strings.HasPrefix(issuer, "did:web:"):
		host, _, _ := strings.Cut(strings.TrimPrefix(issuer, "did:web:"), ":")
		host, err := url.PathUnescape(host)
		if err != nil || host == "" || strings.ContainsAny(host, "/?#@") {
			return "", false
		}
		return "https://" + host, true
	}
	return "", false
}

// decide answers q for an issuer the registry does not know, by framework: for each rule of
// the index, the entity's chain to the rule's anchor (from the cache, loaded on a miss within
// LoadTimeout) is given to DecideFramework. The first positive decision wins; otherwise the
// most telling refusal is returned.
func (f *federation) decide(ctx context.Context, idx *trustregistry.Index, q trustregistry.Query, entity string) trustregistry.Decision {
	at := q.At
	if at.IsZero() {
		at = time.Now()
	}
	var best trustregistry.Decision
	have, why := false, ""
	for _, r := range idx.FrameworkRules() {
		dc, msg := f.chain(ctx, entity, r.Framework, at)
		if dc.fc == nil {
			why = msg
			continue
		}
		d := idx.DecideFramework(q, dc.fc)
		d.KeyProvenance = dc.prov
		if d.Recognised {
			return d
		}
		if !have || best.Code == trustregistry.CodeIssuerNotRecognised {
			best, have = d, true
		}
	}
	if !have {
		d := idx.DecideFramework(q, nil)
		if why != "" {
			d.Message += ": " + why
		}
		return d
	}
	return best
}

// chain returns the FrameworkChain (and provenance) of entity under rule fw, or none and why.
func (f *federation) chain(ctx context.Context, entity string, fw *trustregistry.FrameworkRule, at time.Time) (derivedChain, string) {
	k := fedKey{entity, fw.TrustAnchor, fw.TrustMark}
	ch, ok := f.cfg.Cache.Get(entity, fw.TrustAnchor, fw.TrustMark, at)
	if !ok {
		var why string
		if ch, why = f.load(ctx, k, fw); ch == nil {
			return derivedChain{}, why
		}
		if ch.Expired(at) {
			return derivedChain{}, fmt.Sprintf("the trust chain %s expired at %s", ch.Describe(), ch.ExpiresAt.UTC().Format(time.RFC3339))
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if d, ok := f.derived[k]; ok && d.from == ch {
		return d, ""
	}
	d := derivedChain{from: ch, fc: frameworkChain(ch), prov: &trustregistry.Provenance{
		Method: trustregistry.ProvenanceFederation, Source: ch.Leaf, CheckedAt: ch.VerifiedAt,
		Federation: &trustregistry.FederationProvenance{Entity: ch.Leaf, TrustAnchor: ch.Anchor, Chain: ch.Entities,
			ChainExpiresAt: ch.ExpiresAt, TrustMarks: trustMarkNames(ch)}}}
	f.derived[k] = d
	return d, ""
}

// trustMarkNames lists a chain's verified trust marks as "type (issuer)".
func trustMarkNames(ch *oidfed.Chain) []string {
	var out []string
	for _, tm := range ch.TrustMarks {
		out = append(out, tm.Type+" ("+tm.Issuer+")")
	}
	return out
}

// load resolves a chain that is not cached, unless it failed less than RetryAfter ago.
func (f *federation) load(ctx context.Context, k fedKey, fw *trustregistry.FrameworkRule) (*oidfed.Chain, string) {
	now := time.Now()
	f.mu.Lock()
	if fl, ok := f.failed[k]; ok && now.Before(fl.until) {
		f.mu.Unlock()
		return nil, fl.msg
	}
	keys, err := f.anchorKeys(fw.AnchorJWKS)
	f.mu.Unlock()
	if err != nil {
		return nil, "the trust anchor's pinned keys are unusable: " + err.Error()
	}
	lctx, cancel := context.WithTimeout(ctx, f.cfg.LoadTimeout)
	defer cancel()
	ch, err := f.cfg.Cache.Load(lctx, oidfed.Request{Leaf: k.leaf, Anchor: k.anchor, AnchorKeys: keys, TrustMark: k.mark})
	if err == nil {
		return ch, ""
	}
	msg := err.Error()
	f.mu.Lock()
	f.failed[k] = failure{until: now.Add(f.cfg.RetryAfter), msg: msg}
	if len(f.failed) > 10000 { // bounded: forget old failures wholesale
		f.failed = map[fedKey]failure{k: f.failed[k]}
	}
	f.mu.Unlock()
	return nil, msg
}

// anchorKeys parses (once) a rule's pinned anchor keys. f.mu is held.
func (f *federation) anchorKeys(raw json.RawMessage) (jwk.Set, error) {
	if s, ok := f.anchors[string(raw)]; ok {
		return s, nil
	}
	s, err := jwk.Parse(raw)
	if err != nil {
		return nil, err
	}
	f.anchors[string(raw)] = s
	return s, nil
}

// frameworkChain is what the registry index needs of a verified chain: its ends, trust mark
// types, the thumbprints of the leaf's credential-issuer keys (its federation keys when it
// publishes none) and its expiry.
func frameworkChain(ch *oidfed.Chain) *trustregistry.FrameworkChain {
	fc := &trustregistry.FrameworkChain{Entity: ch.Leaf, Anchor: ch.Anchor, ExpiresAt: ch.ExpiresAt, Describe: ch.Describe()}
	for _, tm := range ch.TrustMarks {
		fc.TrustMarks = append(fc.TrustMarks, tm.Type)
	}
	raw := ch.LeafConfiguration().JWKS
	if v, ok := ch.Metadata["openid_credential_issuer"]["jwks"]; ok {
		if b, err := json.Marshal(v); err == nil {
			raw = b
		}
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if json.Unmarshal(raw, &set) == nil {
		for _, k := range set.Keys {
			if tp, err := trustregistry.JWKThumbprint(k); err == nil {
				fc.KeyThumbprints = append(fc.KeyThumbprints, tp)
			}
		}
	}
	return fc
}
