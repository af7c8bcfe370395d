// Package dcql evaluates DCQL queries (the Digital Credentials Query
// Language of OpenID for Verifiable Presentations 1.0, section 6) against
// credentials: which credentials match which credential query, whether a
// query can be satisfied, and whether a presentation answers it.
//
// The package is pure Go with no HTTP and no cryptography: it sees a
// credential as its format, its type (vct for SD-JWT VC, the type list of a
// W3C credential) and its claims as JSON values. Callers verify
// signatures first (package verifier) and evaluate second.
//
// Supported formats are "dc+sd-jwt" (meta.vct_values), "jwt_vc_json" and
// "ldp_vc" (meta.type_values). Queries for other formats (mso_mdoc) parse,
// but match no credential.
package dcql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/idport/idport/pkg/errs"
)

// Formats known to the evaluator.
const (
	FormatSDJWT     = "dc+sd-jwt"
	FormatJWTVCJSON = "jwt_vc_json"
	FormatLDPVC     = "ldp_vc"
	FormatMDoc      = "mso_mdoc"
)

// ErrInvalidQuery: a DCQL query is malformed (unknown or missing members,
// duplicate ids, a claim path that is not a path, a claim set naming an
// unknown claim).
var ErrInvalidQuery = errs.New("invalid_dcql_query", "dcql: invalid query")

// ErrNotSatisfied: the credentials presented do not answer the query.
var ErrNotSatisfied = errs.New("dcql_not_satisfied", "dcql: the presented credentials do not satisfy the query")

// Limits on a query, to keep evaluation cheap whatever a caller sends.
const (
	MaxCredentialQueries = 32
	MaxClaims            = 64
	MaxPathLength        = 16
	MaxValues            = 64
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Query is a DCQL query.
type Query struct {
	// Credentials are the credential queries (at least one).
	Credentials []CredentialQuery `json:"credentials"`
	// CredentialSets, when present, say which combinations of credential
	// queries satisfy the query; absent, every credential query must be
	// satisfied.
	CredentialSets []CredentialSetQuery `json:"credential_sets,omitempty"`
}

// CredentialQuery asks for one credential (or several, with Multiple).
type CredentialQuery struct {
	// ID names the query; the vp_token is keyed by it.
	ID string `json:"id"`
	// Format is the requested credential format.
	Format string `json:"format"`
	// Multiple allows more than one credential in the answer.
	Multiple bool `json:"multiple,omitempty"`
	// Meta holds the format-specific type constraints.
	Meta Meta `json:"meta"`
	// TrustedAuthorities is carried for the wallet; the verifier decides
	// trust with its registry instead.
	TrustedAuthorities json.RawMessage `json:"trusted_authorities,omitempty"`
	// RequireCryptographicHolderBinding defaults to true.
	RequireCryptographicHolderBinding *bool `json:"require_cryptographic_holder_binding,omitempty"`
	// Claims are the requested claims; absent, no claim is requested.
	Claims []ClaimsQuery `json:"claims,omitempty"`
	// ClaimSets are alternative sets of claim ids, in order of preference.
	ClaimSets [][]string `json:"claim_sets,omitempty"`
}

// Meta holds the type constraints of a credential query.
type Meta struct {
	// VCTValues (dc+sd-jwt): the vct must be one of these.
	VCTValues []string `json:"vct_values,omitempty"`
	// TypeValues (jwt_vc_json, ldp_vc): the credential's types must
	// include every type of one of the inner lists.
	TypeValues [][]string `json:"type_values,omitempty"`
	// DoctypeValue (mso_mdoc): carried, not evaluated.
	DoctypeValue string `json:"doctype_value,omitempty"`
}

// ClaimsQuery asks for one claim, optionally with given values.
type ClaimsQuery struct {
	// ID names the claim for ClaimSets.
	ID string `json:"id,omitempty"`
	// Path selects the claim.
	Path Path `json:"path"`
	// Values, when present, restrict the claim to one of them (strings,
	// integers, booleans).
	Values []any `json:"values,omitempty"`
}

// CredentialSetQuery is one requirement over credential queries.
type CredentialSetQuery struct {
	// Options are alternative lists of credential query ids.
	Options [][]string `json:"options"`
	// Required defaults to true.
	Required *bool `json:"required,omitempty"`
	// Purpose is free text for the wallet.
	Purpose json.RawMessage `json:"purpose,omitempty"`
}

// IsRequired reports whether the set must be satisfied (the default).
func (s CredentialSetQuery) IsRequired() bool { return s.Required == nil || *s.Required }

// HolderBindingRequired reports whether the query requires cryptographic
// holder binding (the default).
func (cq *CredentialQuery) HolderBindingRequired() bool {
	return cq.RequireCryptographicHolderBinding == nil || *cq.RequireCryptographicHolderBinding
}

// Parse decodes and validates a DCQL query. Unknown members are refused.
func Parse(b []byte) (*Query, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var q Query
	if err := dec.Decode(&q); err != nil {
		return nil, errs.Wrap(ErrInvalidQuery.Code, "dcql: invalid query JSON", err)
	}
	if dec.More() {
		return nil, errs.New(ErrInvalidQuery.Code, "dcql: trailing data after the query")
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return &q, nil
}

func invalid(format string, args ...any) error {
	return errs.New(ErrInvalidQuery.Code, "dcql: "+fmt.Sprintf(format, args...))
}

// Validate checks the query's structure: ids, formats, paths, values,
// claim sets and credential sets.
func (q *Query) Validate() error {
	if len(q.Credentials) == 0 {
		return invalid("no credential query")
	}
	if len(q.Credentials) > MaxCredentialQueries {
		return invalid("%d credential queries, at most %d", len(q.Credentials), MaxCredentialQueries)
	}
	ids := map[string]bool{}
	for i := range q.Credentials {
		cq := &q.Credentials[i]
		if !idPattern.MatchString(cq.ID) {
			return invalid("credential query %d: id %q is not [A-Za-z0-9_-]+", i, cq.ID)
		}
		if ids[cq.ID] {
			return invalid("credential query id %q is used twice", cq.ID)
		}
		ids[cq.ID] = true
		if err := cq.validate(); err != nil {
			return err
		}
	}
	for i, s := range q.CredentialSets {
		if len(s.Options) == 0 {
			return invalid("credential set %d has no option", i)
		}
		for _, opt := range s.Options {
			if len(opt) == 0 {
				return invalid("credential set %d has an empty option", i)
			}
			for _, id := range opt {
				if !ids[id] {
					return invalid("credential set %d names unknown credential query %q", i, id)
				}
			}
		}
	}
	return nil
}

func (cq *CredentialQuery) validate() error {
	if cq.Format == "" {
		return invalid("credential query %q has no format", cq.ID)
	}
	if len(cq.Claims) > MaxClaims {
		return invalid("credential query %q: %d claims, at most %d", cq.ID, len(cq.Claims), MaxClaims)
	}
	if len(cq.Claims) == 0 && cq.ClaimSets != nil {
		return invalid("credential query %q has claim_sets but no claims", cq.ID)
	}
	claimIDs := map[string]bool{}
	for j, c := range cq.Claims {
		if len(c.Path) == 0 || len(c.Path) > MaxPathLength {
			return invalid("credential query %q, claim %d: a path of 1 to %d elements", cq.ID, j, MaxPathLength)
		}
		if len(c.Values) > MaxValues {
			return invalid("credential query %q, claim %d: %d values, at most %d", cq.ID, j, len(c.Values), MaxValues)
		}
		for _, v := range c.Values {
			switch v.(type) {
			case string, bool, float64:
			default:
				return invalid("credential query %q, claim %d: values are strings, integers or booleans", cq.ID, j)
			}
		}
		if c.ID == "" {
			if cq.ClaimSets != nil {
				return invalid("credential query %q, claim %d: claims need an id when claim_sets is present", cq.ID, j)
			}
			continue
		}
		if !idPattern.MatchString(c.ID) {
			return invalid("credential query %q, claim %d: id %q is not [A-Za-z0-9_-]+", cq.ID, j, c.ID)
		}
		if claimIDs[c.ID] {
			return invalid("credential query %q: claim id %q is used twice", cq.ID, c.ID)
		}
		claimIDs[c.ID] = true
	}
	for _, set := range cq.ClaimSets {
		if len(set) == 0 {
			return invalid("credential query %q has an empty claim set", cq.ID)
		}
		for _, id := range set {
			if !claimIDs[id] {
				return invalid("credential query %q: claim set names unknown claim %q", cq.ID, id)
			}
		}
	}
	switch cq.Format {
	case FormatSDJWT:
		if len(cq.Meta.TypeValues) > 0 {
			return invalid("credential query %q: type_values is not a meta of %s", cq.ID, cq.Format)
		}
	case FormatJWTVCJSON, FormatLDPVC:
		if len(cq.Meta.VCTValues) > 0 {
			return invalid("credential query %q: vct_values is not a meta of %s", cq.ID, cq.Format)
		}
		for _, tv := range cq.Meta.TypeValues {
			if len(tv) == 0 {
				return invalid("credential query %q: an empty type_values entry", cq.ID)
			}
		}
	}
	return nil
}
