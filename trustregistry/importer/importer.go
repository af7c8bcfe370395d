// Package importer turns external sources of issuer keys into registry proposals: an OpenID
// Federation trust chain (package trustregistry/oidfed), a DID document, or a DNS-DID domain
// (TXT records "openatts a=dns-did; p=<did>#controller; v=1.0;"). Every import yields an
// upsert_authority operation whose pinned keys carry their provenance; it is always proposed,
// never applied: the regulators' maker-checker decides. Recheck compares imported keys with
// their source and proposes the differences.
package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/oidfed"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// TXTResolver looks up DNS TXT records (*net.Resolver is one).
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Importer builds authorities from external sources. Its fields are its dependencies; a nil
// one disables that kind of import (CodeImportUnavailable).
type Importer struct {
	// Chains resolves federation trust chains through an SSRF-guarded client.
	Chains *oidfed.Resolver
	// DIDs resolves DID documents (pkg/did.CachingResolver, SSRF-guarded).
	DIDs did.Resolver
	// DNS looks up DNS-DID TXT records; DNSName describes it in provenance ("8.8.8.8:53",
	// "system").
	DNS     TXTResolver
	DNSName string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Stable error codes of imports (besides oidfed's and the registry's validation codes).
const (
	// CodeImportUnavailable: this registry is not configured for this kind of import.
	CodeImportUnavailable errs.Code = "import_unavailable"
	// CodeSourceUnusable: the source answered, but yields no usable key or DID.
	CodeSourceUnusable errs.Code = "import_source_unusable"
)

// Codes lists the codes of the package (for the HTTP status table).
var Codes = []errs.Code{CodeImportUnavailable, CodeSourceUnusable}

func (im *Importer) now() time.Time {
	if im.Now != nil {
		return im.Now().UTC()
	}
	return time.Now().UTC()
}

// Target says which authority an import creates or updates.
type Target struct {
	// Scheme is the authority's scheme (required).
	Scheme string `json:"scheme"`
	// AuthorityID defaults to one derived from the source ("fed:host", "did:...", "dns:domain").
	AuthorityID string `json:"authority_id,omitempty"`
	// LegalName defaults to the source's organisation name, else its identifier.
	LegalName string `json:"legal_name,omitempty"`
	// CredentialTypes default to the source's (federation metadata), else those of the
	// existing authority.
	CredentialTypes []string `json:"credential_types,omitempty"`
	Assurance       string   `json:"assurance,omitempty"`
}

// FederationRequest is the body of POST /admin/v1/imports/federation.
type FederationRequest struct {
	Target
	Entity      string          `json:"entity"`
	TrustAnchor string          `json:"trust_anchor"`
	AnchorJWKS  json.RawMessage `json:"anchor_jwks"`
	TrustMark   string          `json:"trust_mark,omitempty"`
	// MetadataType is the metadata whose jwks become the pinned keys (default
	// openid_credential_issuer; the leaf's federation keys when it has none).
	MetadataType string `json:"metadata_type,omitempty"`
	Reason       string `json:"reason"`
}

// DIDRequest is the body of POST /admin/v1/imports/did.
type DIDRequest struct {
	Target
	DID    string `json:"did"`
	Reason string `json:"reason"`
}

// DNSDIDRequest is the body of POST /admin/v1/imports/dns-did.
type DNSDIDRequest struct {
	Target
	Domain string `json:"domain"`
	Reason string `json:"reason"`
}

// Response is the answer of the /admin/v1/imports routes and of /admin/v1/recheck: the
// proposal made (nil when a re-check found nothing to change), the importer's note, and the
// re-check's findings.
type Response struct {
	Proposal *trustregistry.Proposal `json:"proposal,omitempty"`
	Note     string                  `json:"note,omitempty"`
	Findings []Finding               `json:"findings,omitempty"`
}

// Result is an import: the authority to upsert, and a note for the proposal's reason.
type Result struct {
	Authority *trustregistry.Authority
	Note      string
}

// ChangeSet returns the proposal's change set.
func (r *Result) ChangeSet() trustregistry.ChangeSet {
	return trustregistry.ChangeSet{Ops: []trustregistry.Op{{Op: trustregistry.OpUpsertAuthority, Authority: r.Authority}}}
}

// Federation resolves req's chain, checks its trust mark, and returns the leaf as an
// authority whose keys carry the chain as provenance. cur is the current registry state (an
// authority of the same id is updated: its keys from other sources are kept).
func (im *Importer) Federation(ctx context.Context, cur *trustregistry.State, req FederationRequest, by string) (*Result, error) {
	if im.Chains == nil {
		return nil, errs.New(CodeImportUnavailable, "this registry does not import from OpenID federations")
	}
	set, err := jwk.Parse(req.AnchorJWKS)
	if err != nil || set.Len() == 0 {
		return nil, errs.New(trustregistry.CodeValidationFailed, "anchor_jwks: the trust anchor's keys must be a JWK set").WithField(trustregistry.FieldPath, "anchor_jwks")
	}
	ch, err := im.Chains.Resolve(ctx, req.Entity, req.TrustAnchor, set)
	if err != nil {
		return nil, err
	}
	if req.TrustMark != "" {
		if err := im.Chains.CheckTrustMark(ctx, ch, req.TrustMark, set); err != nil {
			return nil, err
		}
	}
	mdType := req.MetadataType
	if mdType == "" {
		mdType = "openid_credential_issuer"
	}
	raw, from := metadataJWKS(ch, mdType)
	prov := trustregistry.Provenance{Method: trustregistry.ProvenanceFederation, Source: req.Entity, CheckedAt: im.now(), CheckedBy: by,
		Federation: &trustregistry.FederationProvenance{Entity: req.Entity, TrustAnchor: req.TrustAnchor, AnchorJWKS: compactJSON(req.AnchorJWKS),
			Chain: ch.Entities, ChainExpiresAt: ch.ExpiresAt.UTC(), MetadataType: from}}
	for _, tm := range ch.TrustMarks {
		prov.Federation.TrustMarks = append(prov.Federation.TrustMarks, tm.Type+" ("+tm.Issuer+")")
	}
	ks, skipped, err := pinJWKS(raw, prov)
	if err != nil {
		return nil, err
	}
	t := req.Target
	if t.AuthorityID == "" {
		t.AuthorityID = "fed:" + hostPath(req.Entity)
	}
	if t.LegalName == "" {
		t.LegalName = stringAt(ch.Metadata, "federation_entity", "organization_name")
	}
	if t.LegalName == "" {
		t.LegalName = stringAt(ch.Metadata, mdType, "display_name")
	}
	if len(t.CredentialTypes) == 0 {
		t.CredentialTypes = credentialTypes(ch.Metadata[mdType])
	}
	a := authority(cur, t, req.Entity, ks, func(k trustregistry.AuthorityKey) bool {
		return k.Provenance.Method == trustregistry.ProvenanceFederation && k.Provenance.Source == req.Entity
	})
	note := fmt.Sprintf("imported from the OpenID Federation trust chain %s (expires %s)", ch.Describe(), ch.ExpiresAt.UTC().Format(time.RFC3339))
	if len(prov.Federation.TrustMarks) > 0 {
		note += "; trust marks: " + strings.Join(prov.Federation.TrustMarks, ", ")
	}
	if skipped > 0 {
		note += fmt.Sprintf("; %d key(s) of a type the registry does not pin were skipped", skipped)
	}
	return &Result{Authority: a, Note: note}, nil
}

// metadataJWKS returns the jwks of the leaf's mdType metadata (after policy), or its
// federation keys, and which of the two it took.
func metadataJWKS(ch *oidfed.Chain, mdType string) (json.RawMessage, string) {
	if v, ok := ch.Metadata[mdType]["jwks"]; ok {
		if b, err := json.Marshal(v); err == nil {
			return b, mdType
		}
	}
	return ch.LeafConfiguration().JWKS, "federation_entity"
}

// pinJWKS turns a JWK set into pinned keys with provenance p; keys the registry does not pin
// (RSA, other curves) are counted in skipped.
func pinJWKS(raw json.RawMessage, p trustregistry.Provenance) ([]trustregistry.AuthorityKey, int, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, 0, errs.Wrap(CodeSourceUnusable, "the source's jwks is malformed", err)
	}
	var out []trustregistry.AuthorityKey
	skipped := 0
	for _, k := range set.Keys {
		pub, err := publicOnly(k)
		if err != nil {
			skipped++
			continue
		}
		tp, err := trustregistry.JWKThumbprint(pub)
		if err != nil {
			skipped++
			continue
		}
		if slices.ContainsFunc(out, func(x trustregistry.AuthorityKey) bool { return x.Thumbprint == tp }) {
			continue
		}
		out = append(out, trustregistry.AuthorityKey{Thumbprint: tp, JWK: pub, Provenance: p})
	}
	if len(out) == 0 {
		return nil, skipped, errs.New(CodeSourceUnusable, "the source publishes no Ed25519 or P-256 public key to pin")
	}
	return out, skipped, nil
}

// publicOnly keeps the public members of a JWK the registry stores (kty, crv, x, y, kid).
func publicOnly(k json.RawMessage) (json.RawMessage, error) {
	var m map[string]any
	if err := json.Unmarshal(k, &m); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, f := range []string{"kty", "crv", "x", "y", "kid"} {
		if v, ok := m[f]; ok {
			out[f] = v
		}
	}
	return json.Marshal(out)
}

// authority returns the authority to upsert: the existing one of t.AuthorityID (keys matching
// replaced dropped) or a new one, with ks added and the target's fields set.
func authority(cur *trustregistry.State, t Target, source string, ks []trustregistry.AuthorityKey, replaced func(trustregistry.AuthorityKey) bool) *trustregistry.Authority {
	a := &trustregistry.Authority{ID: t.AuthorityID, Scheme: t.Scheme, LegalName: t.LegalName, CredentialTypes: t.CredentialTypes, Assurance: t.Assurance}
	if old := cur.Authorities[t.AuthorityID]; old != nil {
		cp := *old
		cp.Statuses = nil
		cp.DIDs = slices.Clone(old.DIDs)
		cp.Keys = slices.DeleteFunc(slices.Clone(old.Keys), replaced)
		cp.CredentialTypes = slices.Clone(old.CredentialTypes)
		if t.Scheme != "" {
			cp.Scheme = t.Scheme
		}
		if t.LegalName != "" && old.LegalName == "" {
			cp.LegalName = t.LegalName
		}
		if len(t.CredentialTypes) > 0 {
			cp.CredentialTypes = t.CredentialTypes
		}
		if t.Assurance != "" {
			cp.Assurance = t.Assurance
		}
		a = &cp
	}
	if a.LegalName == "" {
		a.LegalName = source
	}
	a.Keys = append(a.Keys, ks...)
	return a
}

// credentialTypes lists the types an openid_credential_issuer metadata offers: each
// configuration's vct, or the last type of its credential_definition.
func credentialTypes(md map[string]any) []string {
	confs, _ := md["credential_configurations_supported"].(map[string]any)
	var out []string
	for _, id := range sortedKeys(confs) {
		c, _ := confs[id].(map[string]any)
		t, _ := c["vct"].(string)
		if def, ok := c["credential_definition"].(map[string]any); ok && t == "" {
			if ts, ok := def["type"].([]any); ok && len(ts) > 0 {
				t, _ = ts[len(ts)-1].(string)
			}
		}
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func stringAt(md map[string]map[string]any, typ, param string) string {
	s, _ := md[typ][param].(string)
	return s
}

var reIDUnsafe = regexp.MustCompile(`[^a-zA-Z0-9._:-]+`)

// hostPath makes an id fragment of an URL: host and path, unsafe characters as '-'.
func hostPath(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return reIDUnsafe.ReplaceAllString(u, "-")
	}
	s := reIDUnsafe.ReplaceAllString(strings.Trim(p.Host+p.Path, "/"), "-")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

func compactJSON(b json.RawMessage) json.RawMessage {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	out, _ := json.Marshal(v)
	return out
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
