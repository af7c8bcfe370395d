package trustregistry

import (
	"fmt"
	"slices"
	"time"
)

// Decision codes. CodeRecognised is the only positive one.
const (
	CodeRecognised            = "recognised"
	CodeIssuerNotRecognised   = "issuer_not_recognised"
	CodeAuthorityNotActive    = "authority_not_active"
	CodeAuthoritySuspended    = "authority_suspended"
	CodeAuthorityRevoked      = "authority_revoked"
	CodeTypeNotAuthorised     = "type_not_authorised"
	CodeTypeNotRecognised     = "type_not_recognised"
	CodeSchemeNotRecognised   = "scheme_not_recognised"
	CodeLocalSchemeUnknown    = "local_scheme_unknown"
	CodeRecognitionInactive   = "recognition_inactive"
	CodeAgreementInactive     = "agreement_inactive"
	CodeAssuranceNotMapped    = "assurance_not_mapped"
	CodeKeyNotPinned          = "key_not_pinned"
	CodeRegistryStale         = "registry_stale"
	CodeVersionUnknown        = "version_unknown"
	CodeInvalidQuery          = "invalid_query"
	messageRecognised         = "the issuer is an active authority of a recognised scheme for this credential type"
	messageRecognisedDomestic = "the issuer is an active authority of the local scheme for this credential type"
)

// Query asks whether Entity may issue CredentialType recognised by LocalScheme at time At.
type Query struct {
	// Entity is the issuer's DID, the RFC 7638 thumbprint of its key, or the DNS domain under
	// which it issues (identifier kind dns_domain, lower case).
	Entity string `json:"entity"`
	// KeyThumbprint is the RFC 7638 thumbprint of the key that signed the credential. It finds
	// the authority when Entity does not, and when the authority pins keys it must be one of them
	// (else CodeKeyNotPinned). Empty skips the key check.
	KeyThumbprint  string `json:"key_thumbprint,omitempty"`
	CredentialType string `json:"credential_type"`
	// LocalScheme is the recognising scheme; empty means any scheme recognising the issuer's.
	LocalScheme string `json:"local_scheme,omitempty"`
	// At is the valid time of the question; zero means now.
	At time.Time `json:"at,omitzero"`
	// IssuedAt, when set, also requires the authority to have been active at issuance.
	IssuedAt time.Time `json:"issued_at,omitzero"`
	// AsOfVersion asks the question as the registry knew it at that version (0 = latest).
	AsOfVersion uint64 `json:"as_of_version,omitempty"`
	// AsKnownAt asks the question as the registry knew it at that (recorded) time: the holder
	// maps it to the last version applied by then. Zero means now.
	AsKnownAt time.Time `json:"as_known_at,omitzero"`
}

// Decision is the answer to a Query with its grounds. ClaimMapping and AllowedClaims are shared
// with the registry index: callers must not modify them.
type Decision struct {
	Recognised       bool              `json:"recognised"`
	Code             string            `json:"code"`
	Message          string            `json:"message"`
	Authority        string            `json:"authority,omitempty"`
	Scheme           string            `json:"scheme,omitempty"`
	Jurisdiction     string            `json:"jurisdiction,omitempty"`
	Agreement        string            `json:"agreement,omitempty"`
	Recognition      string            `json:"recognition,omitempty"`
	LocalScheme      string            `json:"local_scheme,omitempty"`
	ForeignAssurance string            `json:"foreign_assurance,omitempty"`
	LocalAssurance   string            `json:"local_assurance,omitempty"`
	ClaimMapping     map[string]string `json:"claim_mapping,omitempty"`
	AllowedClaims    []string          `json:"allowed_claims,omitempty"`
	RegistryVersion  uint64            `json:"registry_version"`
	EvaluatedAt      time.Time         `json:"evaluated_at"`
	// Chain names the OpenID Federation trust chain of a recognition by framework
	// ("leaf -> intermediate -> anchor, expires ..."); empty otherwise.
	Chain string `json:"chain,omitempty"`
	// KeyProvenance is the provenance of the pinned key the query named (KeyThumbprint): how
	// the key was obtained, and for a key imported from a trusted list, which list and entry.
	// Shared with the registry index: callers must not modify it.
	KeyProvenance *Provenance `json:"key_provenance,omitempty"`
}

type authEntry struct {
	a      *Authority
	scheme *Scheme
}

type recEntry struct {
	r         *Recognition
	agreement *Agreement
}

type pairKey struct{ local, foreign string }

// Index is an immutable, query-ready view of one State. Build it once per version and share it;
// Decide takes no lock and allocates nothing on a hit. The index of the next version is derived
// from it incrementally (Next): the identifiers of changed authorities go to a small overlay
// looked up before the shared base map, folded into a new base once it grows.
type Index struct {
	state    *State
	entities map[string]authEntry
	// over holds the identifiers changed since entities was built; an entry with a nil
	// authority hides a removed identifier.
	over map[string]authEntry
	// overBits has overBit(id) set for each identifier in over (0 when over is empty): a
	// lookup whose bit is clear, most lookups while over is small, skips over.
	overBits  uint64
	byPair    map[pairKey][]recEntry
	byForeign map[string][]recEntry
	ids       map[Kind][]string
	// frameworks are the recognitions by federation framework (federation.go).
	frameworks []recEntry
}

// NewIndex builds the index of s. s must not be modified afterwards.
func NewIndex(s *State) *Index {
	x := &Index{state: s,
		entities:  make(map[string]authEntry, len(s.Authorities)*2),
		byPair:    map[pairKey][]recEntry{},
		byForeign: map[string][]recEntry{},
		ids:       map[Kind][]string{},
	}
	for _, k := range Kinds {
		x.ids[k] = s.IDs(k)
	}
	for _, id := range x.ids[KindAuthority] {
		a := s.Authorities[id]
		e := authEntry{a: a, scheme: s.Schemes[a.Scheme]}
		for _, ident := range identifiers(a) {
			x.entities[ident] = e
		}
	}
	x.indexRecognitions()
	return x
}

// indexRecognitions (re)builds the recognition maps from the state.
func (x *Index) indexRecognitions() {
	x.byPair, x.byForeign, x.frameworks = map[pairKey][]recEntry{}, map[string][]recEntry{}, nil
	s := x.state
	for _, id := range x.ids[KindRecognition] {
		r := s.Recognitions[id]
		e := recEntry{r: r, agreement: s.Agreements[r.Agreement]}
		pk := pairKey{r.LocalScheme, r.ForeignScheme}
		x.byPair[pk] = append(x.byPair[pk], e)
		x.byForeign[r.ForeignScheme] = append(x.byForeign[r.ForeignScheme], e)
		if r.Framework != nil {
			x.frameworks = append(x.frameworks, e)
		}
	}
}

// State returns the indexed state (read only).
func (x *Index) State() *State { return x.state }

// Version returns the registry version of the index.
func (x *Index) Version() uint64 { return x.state.Version }

// IDs returns the sorted ids of kind k (read only).
func (x *Index) IDs(k Kind) []string { return x.ids[k] }

// Page returns up to limit objects of kind k with ids after the cursor `after`, and the cursor
// of the next page ("" at the end).
func (x *Index) Page(k Kind, after string, limit int) ([]any, string) {
	ids := x.ids[k]
	start, _ := slices.BinarySearch(ids, after)
	if after != "" && start < len(ids) && ids[start] == after {
		start++
	}
	end := min(start+limit, len(ids))
	out := make([]any, 0, end-start)
	for _, id := range ids[start:end] {
		out = append(out, x.state.Object(k, id))
	}
	next := ""
	if end < len(ids) {
		next = ids[end-1]
	}
	return out, next
}

// AuthorityByEntity returns the authority holding a DID, key thumbprint or DNS domain.
func (x *Index) AuthorityByEntity(entity string) (*Authority, bool) {
	e, ok := x.entity(entity)
	return e.a, ok
}

// entity finds the authority of an identifier: the overlay first, when it may hold it, then
// the base map.
func (x *Index) entity(e string) (authEntry, bool) {
	if x.overBits&overBit(e) != 0 {
		if v, ok := x.over[e]; ok {
			return v, v.a != nil
		}
	}
	v, ok := x.entities[e]
	return v, ok
}

// Decide answers q from the index. q.AsOfVersion is ignored here: an Index is one version; the
// holders (Service, client.Replica) route older versions to an index built from history.
func (x *Index) Decide(q Query) Decision {
	at := q.At
	if at.IsZero() {
		at = time.Now()
	}
	d := Decision{RegistryVersion: x.state.Version, EvaluatedAt: at}
	e, ok := x.entity(q.Entity)
	if !ok && q.KeyThumbprint != "" {
		e, ok = x.entity(q.KeyThumbprint)
	}
	if !ok {
		return deny(d, CodeIssuerNotRecognised, fmt.Sprintf("%q is not the DID, key or DNS domain of any authority in the registry", q.Entity))
	}
	a, sc := e.a, e.scheme
	d.Authority, d.Scheme, d.Jurisdiction, d.ForeignAssurance = a.ID, sc.ID, sc.Jurisdiction, a.Assurance
	if q.KeyThumbprint != "" && len(a.Keys) > 0 {
		i := slices.IndexFunc(a.Keys, func(k AuthorityKey) bool { return k.Thumbprint == q.KeyThumbprint })
		if i < 0 {
			return deny(d, CodeKeyNotPinned, fmt.Sprintf("authority %q pins its keys and %q is not one of them", a.ID, q.KeyThumbprint))
		}
		d.KeyProvenance = &a.Keys[i].Provenance
	}
	if code, msg := authorityActive(a, at, ""); code != "" {
		return deny(d, code, msg)
	}
	if !q.IssuedAt.IsZero() {
		if code, msg := authorityActive(a, q.IssuedAt, "at issuance, "); code != "" {
			return deny(d, code, msg)
		}
	}
	if !slices.Contains(a.CredentialTypes, q.CredentialType) {
		return deny(d, CodeTypeNotAuthorised, fmt.Sprintf("authority %q is not registered to issue %q", a.ID, q.CredentialType))
	}
	if q.LocalScheme == sc.ID {
		d.LocalScheme, d.LocalAssurance = sc.ID, a.Assurance
		d.Recognised, d.Code, d.Message = true, CodeRecognised, messageRecognisedDomestic
		return d
	}
	var recs []recEntry
	if q.LocalScheme != "" {
		if _, ok := x.state.Schemes[q.LocalScheme]; !ok {
			return deny(d, CodeLocalSchemeUnknown, fmt.Sprintf("local scheme %q is not in the registry", q.LocalScheme))
		}
		recs = x.byPair[pairKey{q.LocalScheme, sc.ID}]
	} else {
		recs = x.byForeign[sc.ID]
	}
	if len(recs) == 0 {
		return deny(d, CodeSchemeNotRecognised, fmt.Sprintf("no recognition of scheme %q%s", sc.ID, forLocal(q.LocalScheme)))
	}
	// Prefer a fully valid recognition; otherwise report the most specific failure.
	code, msg := "", ""
	for i := range recs {
		re := &recs[i]
		r := re.r
		if !slices.Contains(r.CredentialTypes, q.CredentialType) {
			continue
		}
		if c, m := recognitionActive(re, at); c != "" {
			code, msg = c, m
			continue
		}
		local, mapped := a.Assurance, true
		if len(r.AssuranceMapping) > 0 {
			local, mapped = r.AssuranceMapping[a.Assurance]
		}
		if !mapped {
			code, msg = CodeAssuranceNotMapped, fmt.Sprintf("recognition %q maps no local level for assurance %q", r.ID, a.Assurance)
			continue
		}
		d.Recognised, d.Code, d.Message = true, CodeRecognised, messageRecognised
		d.Agreement, d.Recognition, d.LocalScheme, d.LocalAssurance = r.Agreement, r.ID, r.LocalScheme, local
		d.ClaimMapping, d.AllowedClaims = r.ClaimMapping, r.AllowedClaims
		return d
	}
	if code == "" {
		code, msg = CodeTypeNotRecognised, fmt.Sprintf("no recognition of scheme %q covers %q%s", sc.ID, q.CredentialType, forLocal(q.LocalScheme))
	}
	return deny(d, code, msg)
}

func forLocal(local string) string {
	if local == "" {
		return ""
	}
	return " by local scheme " + `"` + local + `"`
}

func deny(d Decision, code, msg string) Decision {
	d.Recognised, d.Code, d.Message = false, code, msg
	return d
}

func authorityActive(a *Authority, t time.Time, when string) (string, string) {
	st, ok := StatusAt(a.Statuses, t, 0)
	if !ok {
		return CodeAuthorityNotActive, fmt.Sprintf("%sauthority %q was not yet registered as active (%s)", when, a.ID, t.UTC().Format(time.RFC3339))
	}
	switch st.Status {
	case StatusActive:
		return "", ""
	case StatusSuspended:
		return CodeAuthoritySuspended, fmt.Sprintf("%sauthority %q is suspended since %s: %s", when, a.ID, st.EffectiveAt.Format(time.RFC3339), st.Reason)
	default:
		return CodeAuthorityRevoked, fmt.Sprintf("%sauthority %q is revoked since %s: %s", when, a.ID, st.EffectiveAt.Format(time.RFC3339), st.Reason)
	}
}

func recognitionActive(re *recEntry, at time.Time) (string, string) {
	r := re.r
	if at.Before(r.ValidFrom) || (r.ValidUntil != nil && !at.Before(*r.ValidUntil)) {
		return CodeRecognitionInactive, fmt.Sprintf("recognition %q is not valid at %s", r.ID, at.UTC().Format(time.RFC3339))
	}
	st, ok := StatusAt(r.Statuses, at, 0)
	if !ok || st.Status != StatusActive {
		return CodeRecognitionInactive, fmt.Sprintf("recognition %q is %s at %s", r.ID, orNone(st.Status), at.UTC().Format(time.RFC3339))
	}
	g := re.agreement
	if g == nil || at.Before(g.EffectiveFrom) || (g.TerminatesAt != nil && !at.Before(*g.TerminatesAt)) {
		return CodeAgreementInactive, fmt.Sprintf("agreement %q is not in force at %s", r.Agreement, at.UTC().Format(time.RFC3339))
	}
	return "", ""
}

func orNone(s Status) string {
	if s == "" {
		return "not yet active"
	}
	return string(s)
}

// RecognitionQuery asks whether LocalScheme recognises ForeignScheme for CredentialType at At
// (TRQP recognition).
type RecognitionQuery struct {
	LocalScheme, ForeignScheme, CredentialType string
	At                                         time.Time
}

// DecideRecognition answers a scheme-to-scheme recognition question.
func (x *Index) DecideRecognition(q RecognitionQuery) Decision {
	at := q.At
	if at.IsZero() {
		at = time.Now()
	}
	d := Decision{RegistryVersion: x.state.Version, EvaluatedAt: at, LocalScheme: q.LocalScheme, Scheme: q.ForeignScheme}
	if _, ok := x.state.Schemes[q.LocalScheme]; !ok {
		return deny(d, CodeLocalSchemeUnknown, fmt.Sprintf("local scheme %q is not in the registry", q.LocalScheme))
	}
	sc, ok := x.state.Schemes[q.ForeignScheme]
	if !ok {
		return deny(d, CodeSchemeNotRecognised, fmt.Sprintf("scheme %q is not in the registry", q.ForeignScheme))
	}
	d.Jurisdiction = sc.Jurisdiction
	recs := x.byPair[pairKey{q.LocalScheme, q.ForeignScheme}]
	if len(recs) == 0 {
		return deny(d, CodeSchemeNotRecognised, fmt.Sprintf("%q does not recognise %q", q.LocalScheme, q.ForeignScheme))
	}
	code, msg := "", ""
	for i := range recs {
		re := &recs[i]
		if q.CredentialType != "" && !slices.Contains(re.r.CredentialTypes, q.CredentialType) {
			continue
		}
		if c, m := recognitionActive(re, at); c != "" {
			code, msg = c, m
			continue
		}
		d.Recognised, d.Code, d.Message = true, CodeRecognised, "the local scheme recognises the foreign scheme"
		d.Agreement, d.Recognition = re.r.Agreement, re.r.ID
		d.ClaimMapping, d.AllowedClaims = re.r.ClaimMapping, re.r.AllowedClaims
		return d
	}
	if code == "" {
		code, msg = CodeTypeNotRecognised, fmt.Sprintf("no recognition of %q by %q covers %q", q.ForeignScheme, q.LocalScheme, q.CredentialType)
	}
	return deny(d, code, msg)
}
