package dcql

import (
	"fmt"
	"slices"

	"github.com/idport/idport/pkg/errs"
)

// Credential is what the evaluator sees of a credential.
type Credential struct {
	// Format is the DCQL format identifier ("dc+sd-jwt", "jwt_vc_json").
	Format string
	// VCT is the SD-JWT VC type.
	VCT string
	// Types are the W3C credential types.
	Types []string
	// Claims are the claims as JSON values: for SD-JWT VC the payload
	// after disclosure; for a W3C credential the credential object.
	Claims map[string]any
	// HolderBound is true when the credential is bound to a holder key.
	HolderBound bool
}

// Match is how a credential answered a credential query.
type Match struct {
	// ClaimSet is the claim set used (claim ids), nil without claim sets.
	ClaimSet []string
	// Paths are the claim paths the query asked of this credential (the
	// chosen claim set's, or every claim's); nil when the query asked for
	// no claim in particular.
	Paths []Path
}

// MatchCredential reports whether c answers cq: format, meta, holder
// binding, and the claims (all of them, or the first claim set, in order
// of preference, whose claims are all present with an allowed value).
func (cq *CredentialQuery) MatchCredential(c Credential) (Match, bool) {
	if c.Format != cq.Format || !cq.matchMeta(c) {
		return Match{}, false
	}
	if cq.HolderBindingRequired() && !c.HolderBound {
		return Match{}, false
	}
	if len(cq.Claims) == 0 {
		return Match{}, true
	}
	if cq.ClaimSets == nil {
		paths := make([]Path, 0, len(cq.Claims))
		for i := range cq.Claims {
			if !cq.Claims[i].matches(c.Claims) {
				return Match{}, false
			}
			paths = append(paths, cq.Claims[i].Path)
		}
		return Match{Paths: paths}, true
	}
	for _, set := range cq.ClaimSets {
		paths, ok := cq.matchSet(set, c.Claims)
		if ok {
			return Match{ClaimSet: set, Paths: paths}, true
		}
	}
	return Match{}, false
}

func (cq *CredentialQuery) matchSet(set []string, claims map[string]any) ([]Path, bool) {
	paths := make([]Path, 0, len(set))
	for _, id := range set {
		i := slices.IndexFunc(cq.Claims, func(c ClaimsQuery) bool { return c.ID == id })
		if i < 0 || !cq.Claims[i].matches(claims) {
			return nil, false
		}
		paths = append(paths, cq.Claims[i].Path)
	}
	return paths, true
}

func (cq *CredentialQuery) matchMeta(c Credential) bool {
	switch cq.Format {
	case FormatSDJWT:
		return cq.Meta.VCTValues == nil || slices.Contains(cq.Meta.VCTValues, c.VCT)
	case FormatJWTVCJSON, FormatLDPVC:
		if cq.Meta.TypeValues == nil {
			return true
		}
		for _, want := range cq.Meta.TypeValues {
			if !slices.ContainsFunc(want, func(t string) bool { return !slices.Contains(c.Types, t) }) {
				return true
			}
		}
		return false
	}
	return false // formats the evaluator does not read (mso_mdoc)
}

// matches reports whether the claim is present in claims, with one of the
// allowed values when Values is set.
func (c *ClaimsQuery) matches(claims map[string]any) bool {
	got := c.Path.Select(claims)
	if len(got) == 0 {
		return false
	}
	if c.Values == nil {
		return true
	}
	for _, g := range got {
		for _, want := range c.Values {
			if g == want { // string, bool and float64 compare by value
				return true
			}
		}
	}
	return false
}

// Result is the outcome of evaluating a query against a pool of credentials.
type Result struct {
	// Satisfied is true when the pool can answer the query.
	Satisfied bool
	// Matches maps each credential query id to the indexes (into the pool)
	// of the credentials that answer it.
	Matches map[string][]int
}

// Evaluate matches every credential of pool against every credential query
// and says whether the query can be satisfied: with credential sets, every
// required set has an option whose queries all have a match; without, every
// credential query has a match.
func (q *Query) Evaluate(pool []Credential) Result {
	r := Result{Matches: make(map[string][]int, len(q.Credentials))}
	for i := range q.Credentials {
		cq := &q.Credentials[i]
		for j, c := range pool {
			if _, ok := cq.MatchCredential(c); ok {
				r.Matches[cq.ID] = append(r.Matches[cq.ID], j)
			}
		}
	}
	r.Satisfied = q.satisfiedBy(func(id string) bool { return len(r.Matches[id]) > 0 })
	return r
}

func (q *Query) satisfiedBy(has func(id string) bool) bool {
	if len(q.CredentialSets) == 0 {
		for _, cq := range q.Credentials {
			if !has(cq.ID) {
				return false
			}
		}
		return true
	}
	for _, s := range q.CredentialSets {
		if !s.IsRequired() {
			continue
		}
		if !slices.ContainsFunc(s.Options, func(opt []string) bool {
			return !slices.ContainsFunc(opt, func(id string) bool { return !has(id) })
		}) {
			return false
		}
	}
	return true
}

// CheckPresentation checks an answer to q shaped like a vp_token: for
// each credential query id, the credentials presented for it. Every id must
// be one of q's; every credential must answer its query; a query without
// Multiple takes one credential; and the ids present must satisfy q. It
// returns, per id, how each credential matched. The error is
// ErrNotSatisfied with the reason.
func (q *Query) CheckPresentation(presented map[string][]Credential) (map[string][]Match, error) {
	out := make(map[string][]Match, len(presented))
	for id, creds := range presented {
		i := slices.IndexFunc(q.Credentials, func(cq CredentialQuery) bool { return cq.ID == id })
		if i < 0 {
			return nil, notSatisfied("a credential is presented for %q, which the query does not ask for", id)
		}
		cq := &q.Credentials[i]
		if len(creds) == 0 {
			return nil, notSatisfied("an empty answer for credential query %q", id)
		}
		if len(creds) > 1 && !cq.Multiple {
			return nil, notSatisfied("%d credentials for credential query %q, which asks for one", len(creds), id)
		}
		for k, c := range creds {
			m, ok := cq.MatchCredential(c)
			if !ok {
				return nil, notSatisfied("credential %d presented for %q does not match its format, type or claims", k, id)
			}
			out[id] = append(out[id], m)
		}
	}
	if !q.satisfiedBy(func(id string) bool { return len(presented[id]) > 0 }) {
		return nil, notSatisfied("the credentials presented do not satisfy the query's credential sets")
	}
	return out, nil
}

func notSatisfied(format string, args ...any) error {
	return errs.New(ErrNotSatisfied.Code, "dcql: "+fmt.Sprintf(format, args...))
}
