package trustregistry

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

var (
	reJurisdiction = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,8}){0,3}$`)
	reID           = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._:-]{0,127}$`)
	reDIDMethod    = regexp.MustCompile(`^[a-z0-9]+$`)
	reIDChars      = regexp.MustCompile(`^([a-zA-Z0-9._:-]|%[0-9A-Fa-f]{2})+$`)
	reTypeName     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,199}$`)
	reDNSLabel     = regexp.MustCompile(`^[a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// ValidDNSDomain reports why s is not a DNS domain as the registry stores it (identifier kind
// dns_domain: lower case, at least two labels, no trailing dot, at most 253 characters), or nil.
func ValidDNSDomain(s string) error {
	if len(s) == 0 || len(s) > 253 {
		return fmt.Errorf("a DNS domain has 1 to 253 characters")
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%q is not a domain of at least two labels", s)
	}
	for _, l := range labels {
		if !reDNSLabel.MatchString(l) {
			return fmt.Errorf("%q has an invalid label %q (lower case letters, digits and '-', no trailing dot)", s, l)
		}
	}
	return nil
}

// ValidDID reports why s is not a syntactically valid DID (W3C DID Core §3.1), or nil.
// A DID URL (path, query, fragment) is refused: authorities are identified by DIDs.
func ValidDID(s string) error {
	if len(s) > 2048 {
		return fmt.Errorf("DID longer than 2048 characters")
	}
	rest, ok := strings.CutPrefix(s, "did:")
	if !ok {
		return fmt.Errorf("%q does not start with did:", s)
	}
	method, msid, ok := strings.Cut(rest, ":")
	if !ok || !reDIDMethod.MatchString(method) {
		return fmt.Errorf("%q has no valid method name", s)
	}
	if msid == "" || strings.HasSuffix(msid, ":") || !reIDChars.MatchString(msid) {
		return fmt.Errorf("%q has an invalid method-specific id", s)
	}
	return nil
}

// ValidThumbprint reports whether s looks like an RFC 7638 SHA-256 thumbprint in base64url.
func ValidThumbprint(s string) bool {
	if len(s) != 43 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// JWKThumbprint parses a public JWK (Ed25519 OKP or P-256 EC; private members refused) and
// returns its RFC 7638 SHA-256 thumbprint in base64url.
func JWKThumbprint(raw []byte) (string, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return "", fmt.Errorf("malformed JWK: %w", err)
	}
	for _, m := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
		if _, ok := members[m]; ok {
			return "", fmt.Errorf("JWK carries private member %q; pin public keys only", m)
		}
	}
	k, err := jwk.ParseKey(raw)
	if err != nil {
		return "", fmt.Errorf("malformed JWK: %w", err)
	}
	switch k.KeyType() {
	case "OKP":
		if c, ok := k.(jwk.OKPPublicKey); !ok || c.Crv().String() != "Ed25519" {
			return "", fmt.Errorf("only Ed25519 public OKP keys are accepted")
		}
	case "EC":
		if c, ok := k.(jwk.ECDSAPublicKey); !ok || c.Crv().String() != "P-256" {
			return "", fmt.Errorf("only P-256 public EC keys are accepted")
		}
	default:
		return "", fmt.Errorf("key type %q not accepted (Ed25519 or P-256 only)", k.KeyType())
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

func validID(op int, path, id string) error {
	if !reID.MatchString(id) {
		return invalidf(op, path, "id %q must be 1-128 characters of letters, digits, '.', '_', ':' or '-'", id)
	}
	return nil
}

func validTypes(op int, path string, types []string) error {
	if len(types) == 0 {
		return invalidf(op, path, "at least one credential type is required")
	}
	seen := map[string]bool{}
	for i, t := range types {
		if !reTypeName.MatchString(t) {
			return invalidf(op, fmt.Sprintf("%s[%d]", path, i), "malformed credential type %q", t)
		}
		if seen[t] {
			return invalidf(op, fmt.Sprintf("%s[%d]", path, i), "duplicate credential type %q", t)
		}
		seen[t] = true
	}
	return nil
}

func (j *Jurisdiction) validate(op int) error {
	if !reJurisdiction.MatchString(j.Code) {
		return invalidf(op, "jurisdiction.code", "%q is not an ISO 3166 style code (SG, HK, CN-SH-LG)", j.Code)
	}
	if strings.TrimSpace(j.Name) == "" {
		return invalidf(op, "jurisdiction.name", "name is required")
	}
	return nil
}

func (s *Scheme) validate(op int) error {
	if err := validID(op, "scheme.id", s.ID); err != nil {
		return err
	}
	if strings.TrimSpace(s.Name) == "" {
		return invalidf(op, "scheme.name", "name is required")
	}
	if len(s.AssuranceLevels) == 0 {
		return invalidf(op, "scheme.assurance_levels", "at least one assurance level is required")
	}
	seen := map[string]bool{}
	for i, l := range s.AssuranceLevels {
		if strings.TrimSpace(l) == "" || seen[l] {
			return invalidf(op, fmt.Sprintf("scheme.assurance_levels[%d]", i), "level %q is empty or repeated", l)
		}
		seen[l] = true
	}
	return nil
}

func (a *Authority) validate(op int) error {
	if err := validID(op, "authority.id", a.ID); err != nil {
		return err
	}
	if strings.TrimSpace(a.LegalName) == "" {
		return invalidf(op, "authority.legal_name", "legal name is required")
	}
	if len(a.DIDs) == 0 && len(a.Keys) == 0 && len(a.DNSDomains) == 0 {
		return invalidf(op, "authority", "at least one DID, pinned key or DNS domain is required")
	}
	for i, d := range a.DNSDomains {
		if err := ValidDNSDomain(d); err != nil {
			return invalidf(op, fmt.Sprintf("authority.dns_domains[%d]", i), "malformed DNS domain: %v", err)
		}
	}
	for i, d := range a.DIDs {
		if err := ValidDID(d); err != nil {
			return invalidf(op, fmt.Sprintf("authority.dids[%d]", i), "malformed DID: %v", err)
		}
	}
	for i, k := range a.Keys {
		p := fmt.Sprintf("authority.keys[%d]", i)
		if len(k.JWK) > 0 {
			tp, err := JWKThumbprint(k.JWK)
			if err != nil {
				return invalidf(op, p+".jwk", "%v", err)
			}
			if k.Thumbprint == "" {
				a.Keys[i].Thumbprint = tp
			} else if k.Thumbprint != tp {
				return invalidf(op, p+".thumbprint", "thumbprint %q does not match the JWK (%s)", k.Thumbprint, tp)
			}
		}
		if !ValidThumbprint(a.Keys[i].Thumbprint) {
			return invalidf(op, p+".thumbprint", "%q is not a base64url SHA-256 thumbprint", k.Thumbprint)
		}
		if strings.TrimSpace(k.Provenance.Method) == "" {
			return invalidf(op, p+".provenance.method", "key provenance method is required")
		}
	}
	if a.JWKSURL != "" {
		u, err := url.Parse(a.JWKSURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return invalidf(op, "authority.jwks_url", "%q is not an https URL", a.JWKSURL)
		}
	}
	return validTypes(op, "authority.credential_types", a.CredentialTypes)
}

func (g *Agreement) validate(op int) error {
	if err := validID(op, "agreement.id", g.ID); err != nil {
		return err
	}
	if len(g.Parties) < 2 {
		return invalidf(op, "agreement.parties", "an agreement needs at least two parties")
	}
	if strings.TrimSpace(g.LegalReference) == "" {
		return invalidf(op, "agreement.legal_reference", "legal reference is required")
	}
	if g.EffectiveFrom.IsZero() {
		return invalidf(op, "agreement.effective_from", "effective_from is required")
	}
	if g.TerminatesAt != nil && !g.TerminatesAt.After(g.EffectiveFrom) {
		return invalidf(op, "agreement.terminates_at", "termination must be after effective_from")
	}
	return nil
}

func (r *Recognition) validate(op int) error {
	if err := validID(op, "recognition.id", r.ID); err != nil {
		return err
	}
	if r.LocalScheme == r.ForeignScheme {
		return invalidf(op, "recognition.foreign_scheme", "a scheme cannot recognise itself")
	}
	if err := validTypes(op, "recognition.credential_types", r.CredentialTypes); err != nil {
		return err
	}
	for k, v := range r.ClaimMapping {
		if k == "" || v == "" {
			return invalidf(op, "recognition.claim_mapping", "empty claim name in mapping %q -> %q", k, v)
		}
	}
	seen := map[string]bool{}
	for i, c := range r.AllowedClaims {
		if c == "" || seen[c] {
			return invalidf(op, fmt.Sprintf("recognition.allowed_claims[%d]", i), "claim %q is empty or repeated", c)
		}
		seen[c] = true
	}
	if r.ValidFrom.IsZero() {
		return invalidf(op, "recognition.valid_from", "valid_from is required")
	}
	if r.ValidUntil != nil && !r.ValidUntil.After(r.ValidFrom) {
		return invalidf(op, "recognition.valid_until", "valid_until must be after valid_from")
	}
	if r.Framework != nil {
		return r.Framework.validate(op)
	}
	return nil
}

// ValidateState checks the referential rules of a whole state: references resolve, assurance
// mappings use levels the schemes have, identifiers belong to one authority, and recognitions of
// one scheme pair do not cover a type over overlapping windows.
func ValidateState(s *State) error {
	for _, id := range mapKeys(s.Schemes) {
		if err := validateSchemeRefs(s, id); err != nil {
			return err
		}
	}
	owner := map[string]string{}
	for _, id := range mapKeys(s.Authorities) {
		if err := validateAuthorityRefs(s, id); err != nil {
			return err
		}
		if err := claimIdentifiers(owner, s.Authorities[id]); err != nil {
			return err
		}
	}
	for _, id := range mapKeys(s.Agreements) {
		if err := validateAgreementRefs(s, id); err != nil {
			return err
		}
	}
	return validateRecognitions(s)
}

func validateSchemeRefs(s *State, id string) error {
	sc := s.Schemes[id]
	if _, ok := s.Jurisdictions[sc.Jurisdiction]; !ok {
		return verr(ErrUnknownReference, fmt.Sprintf("scheme %q.jurisdiction", id), "unknown jurisdiction %q", sc.Jurisdiction)
	}
	return nil
}

// validateAuthorityRefs checks the scheme and assurance level of authority id.
func validateAuthorityRefs(s *State, id string) error {
	a := s.Authorities[id]
	sc, ok := s.Schemes[a.Scheme]
	if !ok {
		return verr(ErrUnknownReference, fmt.Sprintf("authority %q.scheme", id), "unknown scheme %q", a.Scheme)
	}
	if a.Assurance != "" && sc.LevelRank(a.Assurance) < 0 {
		return verr(ErrInvalid, fmt.Sprintf("authority %q.assurance", id), "scheme %q has no assurance level %q (levels %v)", a.Scheme, a.Assurance, sc.AssuranceLevels)
	}
	return nil
}

// claimIdentifiers records a's DIDs, key thumbprints and DNS domains in owner, refusing one that belongs to
// another authority.
func claimIdentifiers(owner map[string]string, a *Authority) error {
	for _, e := range identifiers(a) {
		if o, dup := owner[e]; dup && o != a.ID {
			return verr(ErrDuplicate, fmt.Sprintf("authority %q", a.ID), "identifier %q already belongs to authority %q", e, o)
		}
		owner[e] = a.ID
	}
	return nil
}

// identifiers returns the DIDs, key thumbprints and DNS domains that find a.
func identifiers(a *Authority) []string {
	return append(append(slices.Clone(a.DIDs), thumbprints(a)...), a.DNSDomains...)
}

func validateAgreementRefs(s *State, id string) error {
	g := s.Agreements[id]
	for i, p := range g.Parties {
		if _, ok := s.Jurisdictions[p]; !ok {
			return verr(ErrUnknownReference, fmt.Sprintf("agreement %q.parties[%d]", id, i), "unknown jurisdiction %q", p)
		}
	}
	return nil
}

// validateRecognitions checks every recognition: references, assurance mappings and overlaps.
func validateRecognitions(s *State) error {
	for _, id := range mapKeys(s.Recognitions) {
		r := s.Recognitions[id]
		p := fmt.Sprintf("recognition %q", id)
		local, ok := s.Schemes[r.LocalScheme]
		if !ok {
			return verr(ErrUnknownReference, p+".local_scheme", "unknown scheme %q", r.LocalScheme)
		}
		foreign, ok := s.Schemes[r.ForeignScheme]
		if !ok {
			return verr(ErrUnknownReference, p+".foreign_scheme", "unknown scheme %q", r.ForeignScheme)
		}
		if _, ok := s.Agreements[r.Agreement]; !ok {
			return verr(ErrUnknownReference, p+".agreement", "unknown agreement %q", r.Agreement)
		}
		if err := validFrameworkLevel(r, foreign, p); err != nil {
			return err
		}
		for _, f := range sortedKeys(r.AssuranceMapping) {
			l := r.AssuranceMapping[f]
			if foreign.LevelRank(f) < 0 {
				return verr(ErrInvalid, p+".assurance_mapping", "foreign scheme %q has no level %q", foreign.ID, f)
			}
			if local.LevelRank(l) < 0 {
				return verr(ErrInvalid, p+".assurance_mapping", "local scheme %q has no level %q (mapped from %q)", local.ID, l, f)
			}
		}
	}
	// Overlap: same pair, shared type, overlapping windows, neither revoked.
	recs := mapKeys(s.Recognitions)
	for i, a := range recs {
		ra := s.Recognitions[a]
		if revoked(ra.Statuses) {
			continue
		}
		for _, b := range recs[i+1:] {
			rb := s.Recognitions[b]
			if revoked(rb.Statuses) || ra.LocalScheme != rb.LocalScheme || ra.ForeignScheme != rb.ForeignScheme {
				continue
			}
			shared := ""
			for _, t := range ra.CredentialTypes {
				if slices.Contains(rb.CredentialTypes, t) {
					shared = t
					break
				}
			}
			if shared != "" && windowsOverlap(ra.ValidFrom, ra.ValidUntil, rb.ValidFrom, rb.ValidUntil) {
				return verr(ErrOverlap, fmt.Sprintf("recognition %q", b), "overlaps recognition %q for %q (%s -> %s)", a, shared, ra.LocalScheme, ra.ForeignScheme)
			}
		}
	}
	return nil
}

// validateChanged checks next, which differs from x's (valid) state only in the objects of
// touched, by the rules of ValidateState, looking only at what those objects can affect: the
// touched authorities (their identifiers against the index's owners) and agreements, and every
// recognition when one changed. A changed scheme (its levels bind authorities and
// recognitions) or a removed object checks the whole state.
func (x *Index) validateChanged(next *State, touched map[Kind]map[string]bool) error {
	removed := false
	for k, ids := range touched {
		for id := range ids {
			if next.Object(k, id) == nil {
				removed = true
			}
		}
	}
	if removed || len(touched[KindScheme]) > 0 || len(touched[KindAuthority]) > len(next.Authorities)/2 {
		return ValidateState(next)
	}
	ids := mapKeys(touched[KindAuthority])
	owner := map[string]string{}
	for _, id := range ids {
		if err := validateAuthorityRefs(next, id); err != nil {
			return err
		}
		if err := claimIdentifiers(owner, next.Authorities[id]); err != nil {
			return err
		}
	}
	for _, id := range ids {
		for _, e := range identifiers(next.Authorities[id]) {
			if prev, ok := x.entity(e); ok && prev.a.ID != id && !touched[KindAuthority][prev.a.ID] {
				return verr(ErrDuplicate, fmt.Sprintf("authority %q", id), "identifier %q already belongs to authority %q", e, prev.a.ID)
			}
		}
	}
	for _, id := range mapKeys(touched[KindAgreement]) {
		if err := validateAgreementRefs(next, id); err != nil {
			return err
		}
	}
	if len(touched[KindRecognition]) > 0 {
		return validateRecognitions(next)
	}
	return nil
}

func revoked(tl []StatusChange) bool {
	for _, e := range tl {
		if e.Status == StatusRevoked {
			return true
		}
	}
	return false
}

func windowsOverlap(af time.Time, au *time.Time, bf time.Time, bu *time.Time) bool {
	// [af, au) and [bf, bu) overlap unless one ends before the other starts.
	if au != nil && !au.After(bf) {
		return false
	}
	if bu != nil && !bu.After(af) {
		return false
	}
	return true
}

func thumbprints(a *Authority) []string {
	out := make([]string, 0, len(a.Keys))
	for _, k := range a.Keys {
		out = append(out, k.Thumbprint)
	}
	return out
}

func mapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedKeys(m map[string]string) []string { return mapKeys(m) }
