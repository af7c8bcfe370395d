package trustregistry

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Key provenance methods of imported keys. Keys with these methods are re-checked against
// their source (see package trustregistry/importer).
const (
	ProvenanceFederation  = "openid-federation"
	ProvenanceDIDDocument = "did-document"
	ProvenanceDNSDID      = "dns-did"
)

// CodeChainExpired is the decision code of a recognition by framework whose trust chain is
// expired, unknown or no longer served: fail-closed.
const CodeChainExpired = "federation_chain_unavailable"

// FederationProvenance records the OpenID Federation trust chain a key was imported from.
type FederationProvenance struct {
	// Entity is the leaf's entity identifier.
	Entity string `json:"entity"`
	// TrustAnchor is the anchor the chain ends at, with the keys pinned for it at import.
	TrustAnchor string          `json:"trust_anchor"`
	AnchorJWKS  json.RawMessage `json:"anchor_jwks,omitempty"`
	// Chain lists the entities from the leaf to the anchor.
	Chain []string `json:"chain"`
	// ChainExpiresAt is the earliest expiry of the chain's statements and trust marks.
	ChainExpiresAt time.Time `json:"chain_expires_at"`
	// TrustMarks are the verified trust marks, as "type (issuer)".
	TrustMarks []string `json:"trust_marks,omitempty"`
	// MetadataType is the metadata the keys were taken from (openid_credential_issuer), or
	// federation_entity for the entity's federation keys.
	MetadataType string `json:"metadata_type,omitempty"`
}

// DNSProvenance records the DNS-DID TXT record a key's DID was found through.
type DNSProvenance struct {
	Domain   string `json:"domain"`
	Record   string `json:"record"`
	Resolver string `json:"resolver,omitempty"`
}

// FrameworkRule makes a recognition cover every entity whose OpenID Federation trust chain ends
// at TrustAnchor, verified with the pinned AnchorJWKS, and whose leaf carries a TrustMark of
// that type (when set). Such entities are treated as authorities of the recognition's foreign
// scheme at assurance level Assurance.
type FrameworkRule struct {
	TrustAnchor string          `json:"trust_anchor"`
	AnchorJWKS  json.RawMessage `json:"anchor_jwks"`
	TrustMark   string          `json:"trust_mark,omitempty"`
	Assurance   string          `json:"assurance,omitempty"`
}

func (f *FrameworkRule) validate(op int) error {
	u, err := url.Parse(f.TrustAnchor)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return invalidf(op, "recognition.framework.trust_anchor", "%q is not an https entity identifier", f.TrustAnchor)
	}
	set, err := jwk.Parse(f.AnchorJWKS)
	if err != nil || set.Len() == 0 {
		return invalidf(op, "recognition.framework.anchor_jwks", "the trust anchor's keys must be a JWK set with at least one key")
	}
	for i := range set.Len() {
		k, _ := set.Key(i)
		if _, isPrivate := k.(interface{ D() []byte }); isPrivate || k.KeyID() == "" {
			return invalidf(op, "recognition.framework.anchor_jwks", "every anchor key must be public and carry a kid")
		}
	}
	if f.TrustMark != "" && (len(f.TrustMark) > 512 || strings.ContainsAny(f.TrustMark, " \t\n")) {
		return invalidf(op, "recognition.framework.trust_mark", "malformed trust mark type %q", f.TrustMark)
	}
	return nil
}

// validFrameworkLevel checks that a framework's assurance is a level of the foreign scheme.
func validFrameworkLevel(r *Recognition, foreign *Scheme, path string) error {
	if r.Framework == nil || r.Framework.Assurance == "" || foreign.LevelRank(r.Framework.Assurance) >= 0 {
		return nil
	}
	return verr(ErrInvalid, path+".framework.assurance", "foreign scheme %q has no level %q", foreign.ID, r.Framework.Assurance)
}

// FrameworkChain is what a verifier knows of an issuer's verified trust chain, taken from its
// chain cache: the registry never fetches on the decision path.
type FrameworkChain struct {
	// Entity is the leaf's entity identifier; Anchor the anchor its chain ends at.
	Entity, Anchor string
	// TrustMarks are the verified trust mark types of the leaf.
	TrustMarks []string
	// KeyThumbprints are the RFC 7638 thumbprints of the leaf's keys.
	KeyThumbprints []string
	// ExpiresAt is the chain's expiry; Describe names it.
	ExpiresAt time.Time
	Describe  string
}

// FrameworkRules returns the framework rules of the index's recognitions (read only), one per
// recognition, for a verifier to know which chains to keep.
func (x *Index) FrameworkRules() []*Recognition {
	out := make([]*Recognition, 0, len(x.frameworks))
	for _, e := range x.frameworks {
		out = append(out, e.r)
	}
	return out
}

// HasFrameworks reports whether any recognition works by federation framework.
func (x *Index) HasFrameworks() bool { return len(x.frameworks) > 0 }

// DecideFramework answers q for an issuer that is no authority of the registry, from its
// verified trust chain ch (nil: none is known): a recognition by framework of ch's anchor (and
// trust mark) covering the type, active, with its agreement in force, recognises it. The chain
// must be unexpired at q.At (fail-closed) and, when q names a key, hold that key.
func (x *Index) DecideFramework(q Query, ch *FrameworkChain) Decision {
	at := q.At
	if at.IsZero() {
		at = time.Now()
	}
	d := Decision{RegistryVersion: x.state.Version, EvaluatedAt: at}
	if ch == nil {
		return deny(d, CodeChainExpired, fmt.Sprintf("no verified trust chain is held for %q", q.Entity))
	}
	d.Authority, d.Chain = ch.Entity, ch.Describe
	if !at.Before(ch.ExpiresAt) {
		return deny(d, CodeChainExpired, fmt.Sprintf("the trust chain %s expired at %s", ch.Describe, ch.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	if q.KeyThumbprint != "" && !slices.Contains(ch.KeyThumbprints, q.KeyThumbprint) {
		return deny(d, CodeKeyNotPinned, fmt.Sprintf("key %q is not a key of %s in its trust chain", q.KeyThumbprint, ch.Entity))
	}
	code, msg := CodeIssuerNotRecognised, fmt.Sprintf("no recognition by framework covers the trust anchor %s", ch.Anchor)
	for i := range x.frameworks {
		re := &x.frameworks[i]
		r, fw := re.r, re.r.Framework
		if fw.TrustAnchor != ch.Anchor || (fw.TrustMark != "" && !slices.Contains(ch.TrustMarks, fw.TrustMark)) {
			continue
		}
		if q.LocalScheme != "" && r.LocalScheme != q.LocalScheme {
			continue
		}
		if !slices.Contains(r.CredentialTypes, q.CredentialType) {
			code, msg = CodeTypeNotRecognised, fmt.Sprintf("recognition %q by framework does not cover %q", r.ID, q.CredentialType)
			continue
		}
		if c, m := recognitionActive(re, at); c != "" {
			code, msg = c, m
			continue
		}
		local, mapped := fw.Assurance, true
		if len(r.AssuranceMapping) > 0 {
			local, mapped = r.AssuranceMapping[fw.Assurance]
		}
		if !mapped {
			code, msg = CodeAssuranceNotMapped, fmt.Sprintf("recognition %q maps no local level for assurance %q", r.ID, fw.Assurance)
			continue
		}
		sc := x.state.Schemes[r.ForeignScheme]
		d.Scheme, d.Jurisdiction, d.ForeignAssurance = sc.ID, sc.Jurisdiction, fw.Assurance
		d.Recognised, d.Code = true, CodeRecognised
		d.Message = "the issuer's trust chain ends at a trust anchor recognised by framework for this credential type"
		d.Agreement, d.Recognition, d.LocalScheme, d.LocalAssurance = r.Agreement, r.ID, r.LocalScheme, local
		d.ClaimMapping, d.AllowedClaims = r.ClaimMapping, r.AllowedClaims
		return d
	}
	return deny(d, code, msg)
}
