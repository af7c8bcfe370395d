package fedexport

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/oidfed"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Paths of the federation endpoints, below the registry's entity identifier.
const (
	FetchPath = "/federation/fetch"
	ListPath  = "/federation/list"
)

// URNPrefix prefixes the entity identifier of an authority without an https identifier.
const URNPrefix = "urn:idport:authority:"

// MetadataType is the metadata member (entity type) carrying the idport view of an authority.
const MetadataType = "idport_authority"

// DefaultValidity is the lifetime of a statement when the snapshot announces no next update in
// the future.
const DefaultValidity = 24 * time.Hour

// Options are the inputs common to every statement.
type Options struct {
	// EntityID is the registry's entity identifier: its public base URL (https in production).
	EntityID string
	// JWKS is the registry's public key set ({"keys": [...]}), published in the configuration.
	JWKS json.RawMessage
	// Sign signs a payload with the registry key as a compact JWS of the given typ, with the
	// key's id as kid.
	Sign func(typ string, payload []byte) ([]byte, error)
	// At is the iat of the statements and the time at which authorities must be active.
	At time.Time
	// NextUpdate is the snapshot's next update: the exp of the statements (DefaultValidity
	// after At when it is not after At).
	NextUpdate time.Time
}

func (o Options) check() error {
	if o.EntityID == "" || o.Sign == nil {
		return ErrUnavailable
	}
	return nil
}

func (o Options) expiry() time.Time {
	if o.NextUpdate.After(o.At) {
		return o.NextUpdate
	}
	return o.At.Add(DefaultValidity)
}

// Subordinate is an authority published as a subordinate of the registry.
type Subordinate struct {
	// EntityID is the authority's entity identifier in the federation.
	EntityID string
	// Local is true for an authority of a local scheme (published for reciprocity), false for
	// one of a recognised foreign scheme.
	Local     bool
	Authority *trustregistry.Authority
	// Status is the authority's status change in force (active).
	Status trustregistry.StatusChange
}

// Subordinates returns the authorities published at at, in authority id order: those of the
// local schemes and of the foreign schemes recognised by a recognition in force, active at at.
func Subordinates(st *trustregistry.State, at time.Time) []Subordinate {
	local, foreign := schemes(st, at)
	var out []Subordinate
	origins := map[string]int{}
	for _, id := range st.IDs(trustregistry.KindAuthority) {
		a := st.Authorities[id]
		isLocal := slices.Contains(local, a.Scheme)
		if !isLocal && !foreign[a.Scheme] {
			continue
		}
		sc, ok := trustregistry.StatusAt(a.Statuses, at, 0)
		if !ok || sc.Status != trustregistry.StatusActive {
			continue
		}
		s := Subordinate{EntityID: HTTPSIdentifier(a), Local: isLocal, Authority: a, Status: sc}
		if s.EntityID != "" {
			origins[s.EntityID]++
		}
		out = append(out, s)
	}
	for i := range out {
		if out[i].EntityID == "" || origins[out[i].EntityID] > 1 {
			out[i].EntityID = URNPrefix + out[i].Authority.ID
		}
	}
	return out
}

// schemes returns the local schemes (those that recognise another) and the foreign schemes a
// recognition in force at at recognises.
func schemes(st *trustregistry.State, at time.Time) ([]string, map[string]bool) {
	var local []string
	foreign := map[string]bool{}
	for _, id := range st.IDs(trustregistry.KindRecognition) {
		r := st.Recognitions[id]
		if !slices.Contains(local, r.LocalScheme) {
			local = append(local, r.LocalScheme)
		}
		if inForce(r, at) {
			foreign[r.ForeignScheme] = true
		}
	}
	return local, foreign
}

func inForce(r *trustregistry.Recognition, at time.Time) bool {
	if at.Before(r.ValidFrom) || (r.ValidUntil != nil && !at.Before(*r.ValidUntil)) {
		return false
	}
	sc, ok := trustregistry.StatusAt(r.Statuses, at, 0)
	return !ok || sc.Status == trustregistry.StatusActive
}

// HTTPSIdentifier returns the https origin of the authority's first did:web DID
// (did:web:example.com%3A8443:path -> https://example.com:8443), or "".
func HTTPSIdentifier(a *trustregistry.Authority) string {
	for _, d := range a.DIDs {
		rest, ok := strings.CutPrefix(d, "did:web:")
		if !ok || rest == "" {
			continue
		}
		host, _, _ := strings.Cut(rest, ":")
		host, err := url.PathUnescape(host)
		if err != nil || host == "" || strings.ContainsAny(host, "/?#@ ") {
			continue
		}
		u := url.URL{Scheme: "https", Host: strings.ToLower(host)}
		if p, err := url.Parse(u.String()); err != nil || p.Host != u.Host {
			continue
		}
		return u.String()
	}
	return ""
}

// List returns the entity identifiers of the subordinates published at o.At.
func List(st *trustregistry.State, o Options) ([]string, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	ids := []string{}
	for _, s := range Subordinates(st, o.At) {
		ids = append(ids, s.EntityID)
	}
	return ids, nil
}

// Configuration returns the registry's entity configuration: iss = sub = the entity id, the
// registry's public keys, and federation_entity metadata naming the fetch and list endpoints.
func Configuration(o Options) ([]byte, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	base := strings.TrimRight(o.EntityID, "/")
	claims := map[string]any{
		"iss": o.EntityID, "sub": o.EntityID, "iat": o.At.Unix(), "exp": o.expiry().Unix(), "jwks": o.JWKS,
		"metadata": map[string]any{"federation_entity": map[string]any{
			"federation_fetch_endpoint": base + FetchPath,
			"federation_list_endpoint":  base + ListPath,
			"organization_name":         "idport trust registry",
		}},
	}
	return sign(o, claims)
}

// Fetch returns the subordinate statement about sub: the authority's exportable public keys as
// jwks, its credential types as openid_credential_issuer metadata and its scheme, jurisdiction,
// assurance and status as idport_authority metadata. An unknown or inactive subject is
// ErrSubjectUnknown.
func Fetch(st *trustregistry.State, o Options, sub string) ([]byte, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	subs := Subordinates(st, o.At)
	i := slices.IndexFunc(subs, func(s Subordinate) bool { return s.EntityID == sub })
	if i < 0 {
		return nil, errs.Wrap(CodeSubjectUnknown, "no active authority has this entity identifier",
			fmt.Errorf("subject %q", sub))
	}
	s := subs[i]
	set, omitted, err := publicKeys(s.Authority)
	if err != nil {
		return nil, err
	}
	claims := map[string]any{
		"iss": o.EntityID, "sub": s.EntityID, "iat": o.At.Unix(), "exp": o.expiry().Unix(), "jwks": set,
		"metadata": metadata(st, s, omitted),
	}
	return sign(o, claims)
}

func metadata(st *trustregistry.State, s Subordinate, omitted []string) map[string]any {
	a := s.Authority
	configs := map[string]any{}
	for _, t := range a.CredentialTypes {
		configs[t] = map[string]any{"credential_definition": map[string]any{"type": []string{t}}}
	}
	ci := map[string]any{"credential_configurations_supported": configs}
	if strings.HasPrefix(s.EntityID, "https://") {
		ci["credential_issuer"] = s.EntityID
	}
	role := "recognised"
	if s.Local {
		role = "local"
	}
	idp := map[string]any{
		"authority_id": a.ID, "legal_name": a.LegalName, "scheme": a.Scheme, "role": role,
		"assurance": a.Assurance, "status": s.Status.Status, "status_effective_at": s.Status.EffectiveAt.UTC().Format(time.RFC3339),
		"credential_types": a.CredentialTypes,
	}
	if sc, ok := st.Schemes[a.Scheme]; ok {
		idp["jurisdiction"] = sc.Jurisdiction
		idp["scheme_name"] = sc.Name
	}
	if len(a.DIDs) > 0 {
		idp["dids"] = a.DIDs
	}
	if len(omitted) > 0 {
		// Keys pinned by thumbprint only: the registry does not hold the public key.
		idp["keys_not_exported"] = omitted
	}
	return map[string]any{
		"federation_entity":        map[string]any{"organization_name": a.LegalName},
		"openid_credential_issuer": ci,
		MetadataType:               idp,
	}
}

// publicKeys returns the authority's public JWKs (kid = thumbprint) and the thumbprints of the
// keys pinned without a JWK.
func publicKeys(a *trustregistry.Authority) (jwk.Set, []string, error) {
	set := jwk.NewSet()
	var omitted []string
	for _, k := range a.Keys {
		if len(k.JWK) == 0 {
			omitted = append(omitted, k.Thumbprint)
			continue
		}
		key, err := jwk.ParseKey(k.JWK)
		if err != nil {
			return nil, nil, fmt.Errorf("authority %s: key %s: %w", a.ID, k.Thumbprint, err)
		}
		pub, err := jwk.PublicKeyOf(key)
		if err != nil {
			return nil, nil, fmt.Errorf("authority %s: key %s: %w", a.ID, k.Thumbprint, err)
		}
		if err := pub.Set(jwk.KeyIDKey, k.Thumbprint); err != nil {
			return nil, nil, fmt.Errorf("authority %s: key %s: %w", a.ID, k.Thumbprint, err)
		}
		if err := set.AddKey(pub); err != nil {
			return nil, nil, fmt.Errorf("authority %s: key %s: %w", a.ID, k.Thumbprint, err)
		}
	}
	return set, omitted, nil
}

func sign(o Options, claims map[string]any) ([]byte, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, fmt.Errorf("encoding the entity statement: %w", err)
	}
	return o.Sign(oidfed.TypeEntityStatement, payload)
}
