package trustregistry

import (
	"encoding/json"
	"maps"
	"time"
)

// Kind names an object kind in change sets, history and paths.
type Kind string

// Object kinds.
const (
	KindJurisdiction Kind = "jurisdiction"
	KindScheme       Kind = "scheme"
	KindAuthority    Kind = "authority"
	KindAgreement    Kind = "agreement"
	KindRecognition  Kind = "recognition"
)

// Kinds lists every object kind in a stable order.
var Kinds = []Kind{KindJurisdiction, KindScheme, KindAuthority, KindAgreement, KindRecognition}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Status is the lifecycle status of an authority or a recognition.
type Status string

// Statuses. Suspended is reinstatable; revoked is final.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusRevoked   Status = "revoked"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	return s == StatusActive || s == StatusSuspended || s == StatusRevoked
}

// Jurisdiction is a legal area, coded by ISO 3166 where one exists (SG, HK, CN-SH-LG).
type Jurisdiction struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Scheme is a trust framework of a jurisdiction, with ordered assurance levels (lowest first).
type Scheme struct {
	ID              string   `json:"id"`
	Jurisdiction    string   `json:"jurisdiction"`
	Name            string   `json:"name"`
	AssuranceLevels []string `json:"assurance_levels"`
	GovernanceRef   string   `json:"governance_ref,omitempty"`
}

// LevelRank returns the position of level in the scheme's ordered levels, or -1.
func (s *Scheme) LevelRank(level string) int {
	for i, l := range s.AssuranceLevels {
		if l == level {
			return i
		}
	}
	return -1
}

// Provenance records how a key was obtained and checked.
type Provenance struct {
	// Method is how the key was obtained: did-document, jwks, out-of-band, in-person, ...
	Method string `json:"method"`
	// Source is where it came from (a URL, a document reference).
	Source    string    `json:"source,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
	CheckedBy string    `json:"checked_by,omitempty"`
	Note      string    `json:"note,omitempty"`
	// Federation, for a key taken from an OpenID Federation trust chain (see federation.go).
	Federation *FederationProvenance `json:"federation,omitempty"`
	// DNS, for a key found through a DNS-DID TXT record (see federation.go).
	DNS *DNSProvenance `json:"dns,omitempty"`
	// TrustedList names the ETSI TS 119 612 trusted list entry the key was imported from.
	TrustedList *TrustedListSource `json:"trusted_list,omitempty"`
}

// AuthorityKey is a key pinned for an authority by its RFC 7638 thumbprint (base64url SHA-256),
// optionally with the public JWK itself, and its provenance.
type AuthorityKey struct {
	Thumbprint string          `json:"thumbprint"`
	JWK        json.RawMessage `json:"jwk,omitempty"`
	Provenance Provenance      `json:"provenance"`
}

// StatusChange is one entry of a status timeline: the status takes effect at EffectiveAt (valid
// time) and was recorded at RecordedAt in registry version Version (transaction time).
type StatusChange struct {
	Status      Status    `json:"status"`
	Reason      string    `json:"reason,omitempty"`
	EffectiveAt time.Time `json:"effective_at"`
	RecordedAt  time.Time `json:"recorded_at"`
	Version     uint64    `json:"version"`
}

// Authority is a recognised issuer within a scheme.
type Authority struct {
	ID        string   `json:"id"`
	Scheme    string   `json:"scheme"`
	LegalName string   `json:"legal_name"`
	DIDs      []string `json:"dids,omitempty"`
	// DNSDomains are the DNS domains the authority issues under (identifier kind dns_domain):
	// documents whose identity is proven through DNS (OpenAttestation DNS-DID) are decided with
	// the domain as the query's entity. Lower case, without a trailing dot.
	DNSDomains      []string       `json:"dns_domains,omitempty"`
	Keys            []AuthorityKey `json:"keys,omitempty"`
	JWKSURL         string         `json:"jwks_url,omitempty"`
	CredentialTypes []string       `json:"credential_types"`
	// Assurance is the level of the authority's scheme at which it issues.
	Assurance string `json:"assurance,omitempty"`
	// Statuses is the status timeline, maintained by set_authority_status operations.
	Statuses []StatusChange `json:"statuses,omitempty"`
}

// Agreement is the legal basis of recognitions.
type Agreement struct {
	ID             string     `json:"id"`
	Title          string     `json:"title,omitempty"`
	Parties        []string   `json:"parties"`
	LegalReference string     `json:"legal_reference"`
	Scope          string     `json:"scope,omitempty"`
	EffectiveFrom  time.Time  `json:"effective_from"`
	TerminatesAt   *time.Time `json:"terminates_at,omitempty"`
}

// Recognition says that LocalScheme recognises credentials of ForeignScheme under Agreement.
type Recognition struct {
	ID              string   `json:"id"`
	LocalScheme     string   `json:"local_scheme"`
	ForeignScheme   string   `json:"foreign_scheme"`
	Agreement       string   `json:"agreement"`
	CredentialTypes []string `json:"credential_types"`
	// AssuranceMapping maps a foreign assurance level to a local one.
	AssuranceMapping map[string]string `json:"assurance_mapping,omitempty"`
	// ClaimMapping maps a foreign claim name to the local claim name.
	ClaimMapping map[string]string `json:"claim_mapping,omitempty"`
	// AllowedClaims are the foreign claims that may cross the border; empty means none restricted.
	AllowedClaims []string `json:"allowed_claims,omitempty"`
	// Framework, when set, recognises every entity whose OpenID Federation trust chain ends at
	// a pinned trust anchor (with a trust mark), checked live by verifiers (see federation.go).
	Framework  *FrameworkRule `json:"framework,omitempty"`
	ValidFrom  time.Time      `json:"valid_from"`
	ValidUntil *time.Time     `json:"valid_until,omitempty"`
	Statuses   []StatusChange `json:"statuses,omitempty"`
}

// State is the whole registry at one version. A State is immutable once published: change sets
// produce a new State sharing unchanged objects.
type State struct {
	Version       uint64                   `json:"version"`
	UpdatedAt     time.Time                `json:"updated_at"`
	Jurisdictions map[string]*Jurisdiction `json:"jurisdictions"`
	Schemes       map[string]*Scheme       `json:"schemes"`
	Authorities   map[string]*Authority    `json:"authorities"`
	Agreements    map[string]*Agreement    `json:"agreements"`
	Recognitions  map[string]*Recognition  `json:"recognitions"`
}

// NewState returns an empty state at version 0.
func NewState() *State {
	return &State{
		Jurisdictions: map[string]*Jurisdiction{},
		Schemes:       map[string]*Scheme{},
		Authorities:   map[string]*Authority{},
		Agreements:    map[string]*Agreement{},
		Recognitions:  map[string]*Recognition{},
	}
}

// clone returns a shallow copy: new maps sharing the (immutable) objects.
func (s *State) clone() *State {
	return &State{Version: s.Version, UpdatedAt: s.UpdatedAt,
		Jurisdictions: copyMap(s.Jurisdictions),
		Schemes:       copyMap(s.Schemes),
		Authorities:   copyMap(s.Authorities),
		Agreements:    copyMap(s.Agreements),
		Recognitions:  copyMap(s.Recognitions),
	}
}

// copyMap returns a copy of m (an empty map for nil).
func copyMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return map[string]V{}
	}
	return maps.Clone(m)
}

// Object returns the object of kind k with id, or nil.
func (s *State) Object(k Kind, id string) any {
	switch k {
	case KindJurisdiction:
		if v, ok := s.Jurisdictions[id]; ok {
			return v
		}
	case KindScheme:
		if v, ok := s.Schemes[id]; ok {
			return v
		}
	case KindAuthority:
		if v, ok := s.Authorities[id]; ok {
			return v
		}
	case KindAgreement:
		if v, ok := s.Agreements[id]; ok {
			return v
		}
	case KindRecognition:
		if v, ok := s.Recognitions[id]; ok {
			return v
		}
	}
	return nil
}

// SetObject decodes raw JSON of kind k and stores it under id (nil raw deletes). Backends use it
// to rebuild a State from stored objects.
func (s *State) SetObject(k Kind, id string, raw []byte) error {
	var err error
	switch k {
	case KindJurisdiction:
		err = setObject(s.Jurisdictions, id, raw)
	case KindScheme:
		err = setObject(s.Schemes, id, raw)
	case KindAuthority:
		err = setObject(s.Authorities, id, raw)
	case KindAgreement:
		err = setObject(s.Agreements, id, raw)
	case KindRecognition:
		err = setObject(s.Recognitions, id, raw)
	default:
		return invalidf(-1, "kind", "unknown kind %q", k)
	}
	if err != nil {
		return fmtErr("decoding %s %q: %w", k, id, err)
	}
	return nil
}

func setObject[T any](m map[string]*T, id string, raw []byte) error {
	if raw == nil {
		delete(m, id)
		return nil
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return err
	}
	m[id] = v
	return nil
}

// IDs returns the sorted ids of kind k.
func (s *State) IDs(k Kind) []string {
	var ids []string
	switch k {
	case KindJurisdiction:
		ids = mapKeys(s.Jurisdictions)
	case KindScheme:
		ids = mapKeys(s.Schemes)
	case KindAuthority:
		ids = mapKeys(s.Authorities)
	case KindAgreement:
		ids = mapKeys(s.Agreements)
	case KindRecognition:
		ids = mapKeys(s.Recognitions)
	}
	return ids
}

// StatusAt returns the status in force at valid time t as known at registry version asOf
// (0 = everything recorded): of the timeline entries recorded by asOf and effective by t, the one
// with the latest effective time wins (the later-recorded on ties). Before any entry there is
// no status ("").
func StatusAt(tl []StatusChange, t time.Time, asOf uint64) (StatusChange, bool) {
	var best StatusChange
	found := false
	for i := range tl {
		e := &tl[i]
		if asOf != 0 && e.Version > asOf {
			continue
		}
		if e.EffectiveAt.After(t) {
			continue
		}
		if !found || e.EffectiveAt.After(best.EffectiveAt) ||
			(e.EffectiveAt.Equal(best.EffectiveAt) && e.Version >= best.Version) {
			best, found = *e, true
		}
	}
	return best, found
}
