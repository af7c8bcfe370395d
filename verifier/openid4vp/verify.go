package openid4vp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/dcql"
)

// OverDisclosure says what to do with SD-JWT claims disclosed beyond what
// the query asked for.
type OverDisclosure int

const (
	// RefuseOverDisclosure refuses the response (ErrOverDisclosure): the
	// default, so that a verifier never receives data it did not ask for.
	RefuseOverDisclosure OverDisclosure = iota
	// WithholdOverDisclosure verifies the response but removes the extra
	// claims from the result (listed in Result.Stripped, with a
	// claim_stripped warning).
	WithholdOverDisclosure
)

// Options are per-response options of VerifyResponse.
type Options struct {
	// Policy replaces the verifier's policy when set.
	Policy *verifier.Policy
	// OverDisclosure is RefuseOverDisclosure unless set.
	OverDisclosure OverDisclosure
}

// VerifyResponse verifies the presentations of resp, an answer to req,
// with v: each presentation as VerifyPresentation does (signature, holder
// binding with the request's nonce and client id as audience, status,
// recognition, policy, cross-border allow-list), then the DCQL query and
// over-disclosure.
//
// A response that is not an answer to this request (a presentation whose
// holder proof fails or is bound to another nonce or audience; credentials
// that do not satisfy the query; refused over-disclosure) is an error
// (ErrResponseNotBound, dcql.ErrNotSatisfied, ErrOverDisclosure): the
// request stays open. A response that answers the request yields a Result,
// verified or not (a revoked or unrecognised credential): the request is
// answered. With several presentations, the Result lists one result per
// presentation in Credentials, in query order, and is verified when all are.
func VerifyResponse(ctx context.Context, v *verifier.Verifier, req *Request, resp *Response, o Options) (*verifier.Result, error) {
	q, err := dcql.Parse(req.Query)
	if err != nil {
		return nil, fmt.Errorf("openid4vp: the request's query: %w", err)
	}
	p := v.Policy()
	if o.Policy != nil {
		p = *o.Policy
	}
	// The nonce is the request's own, compared here and kept single use
	// by the request's single answer: the challenge store does not know it.
	p.AllowCallerChallenge = true
	aud := req.ClientID
	ids := make([]string, 0, len(resp.VPToken))
	for _, cq := range q.Credentials {
		if _, ok := resp.VPToken[cq.ID]; ok {
			ids = append(ids, cq.ID)
		}
	}
	views := make(map[string][]dcql.Credential, len(resp.VPToken))
	var results []*verifier.Result
	var disclosed [][]vcjwt.ClaimPath
	for id := range resp.VPToken {
		if !slices.Contains(ids, id) {
			return nil, errs.New(dcql.ErrNotSatisfied.Code, fmt.Sprintf("openid4vp: vp_token answers %q, which the query does not ask for", id))
		}
	}
	for _, id := range ids {
		for i, raw := range resp.VPToken[id] {
			r, err := v.VerifyPresentation(ctx, raw, verifier.PresentationOptions{Challenge: req.Nonce, Domain: aud, Policy: &p})
			if err != nil {
				return nil, fmt.Errorf("openid4vp: verify presentation %s[%d]: %w", id, i, err)
			}
			if !bound(r) {
				return nil, errs.Wrap(ErrResponseNotBound.Code, fmt.Sprintf("openid4vp: presentation %s[%d] is not bound to this request", id, i), problemError(r))
			}
			view, paths, err := credentialView(raw)
			if err != nil {
				return nil, errs.Wrap(ErrInvalidResponse.Code, fmt.Sprintf("openid4vp: presentation %s[%d]", id, i), err)
			}
			views[id] = append(views[id], view)
			results = append(results, r)
			disclosed = append(disclosed, paths)
		}
	}
	matches, err := q.CheckPresentation(views)
	if err != nil {
		return nil, err
	}
	k := 0
	for _, id := range ids {
		for _, m := range matches[id] {
			extra := overDisclosed(disclosed[k], m.Paths)
			if len(extra) > 0 {
				if o.OverDisclosure != WithholdOverDisclosure {
					return nil, errs.New(ErrOverDisclosure.Code, fmt.Sprintf("openid4vp: the presentation for %q discloses %s, which the query did not ask for", id, joinPaths(extra)))
				}
				withhold(results[k], extra, views[id][k-start(ids, id, matches)].Claims)
			}
			k++
		}
	}
	return combine(results), nil
}

// bound reports whether the presentation's holder proof verified with the
// request's nonce and audience.
func bound(r *verifier.Result) bool {
	challenge := false
	for _, c := range r.Checks {
		switch {
		case c.Name == verifier.CheckChallenge && c.Outcome == verifier.Passed:
			challenge = true
		case c.Name == verifier.CheckHolder && c.Outcome == verifier.Failed,
			c.Name == verifier.CheckPresentation && c.Outcome == verifier.Failed:
			return false
		}
	}
	return challenge
}

// problemError renders a result's first error for the log.
func problemError(r *verifier.Result) error {
	if len(r.Errors) == 0 {
		return errors.New("no holder proof checked")
	}
	return fmt.Errorf("%s: %s", r.Errors[0].Code, r.Errors[0].Message)
}

// credentialView reads what the DCQL evaluator needs of a presentation
// that the verifier accepted as bound: its format, type and claims, and
// for SD-JWT the disclosed claim paths.
func credentialView(raw json.RawMessage) (dcql.Credential, []vcjwt.ClaimPath, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return dcql.Credential{}, nil, errors.New("a presentation is not a compact string (dc+sd-jwt or jwt_vc_json)")
	}
	if strings.IndexByte(s, '~') >= 0 {
		p, err := vcjwt.ParseCredential(s)
		if err != nil {
			return dcql.Credential{}, nil, err
		}
		u := p.Unverified()
		return dcql.Credential{Format: dcql.FormatSDJWT, VCT: u.VCT, Claims: u.Claims, HolderBound: true}, u.DisclosedPaths, nil
	}
	vp, err := vcjwt.ParseVPJWT(s)
	if err != nil {
		return dcql.Credential{}, nil, err
	}
	if len(vp.Credentials) != 1 {
		return dcql.Credential{}, nil, fmt.Errorf("a jwt_vc_json presentation carries %d credentials, want one", len(vp.Credentials))
	}
	p, err := vcjwt.ParseCredential(vp.Credentials[0])
	if err != nil {
		return dcql.Credential{}, nil, err
	}
	if p.Format != vc.FormatVCJWT11 && p.Format != vc.FormatVCJOSE {
		return dcql.Credential{}, nil, fmt.Errorf("a jwt_vc_json presentation carries a %s credential", p.Format)
	}
	u := p.Unverified()
	c, err := u.Credential()
	if err != nil {
		return dcql.Credential{}, nil, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return dcql.Credential{}, nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		return dcql.Credential{}, nil, err
	}
	return dcql.Credential{Format: dcql.FormatJWTVCJSON, Types: u.Types, Claims: claims, HolderBound: u.Subject != "" && u.Subject == vp.Holder}, nil, nil
}

// overDisclosed returns the disclosed paths no requested path needs.
func overDisclosed(disclosed []vcjwt.ClaimPath, asked []dcql.Path) []vcjwt.ClaimPath {
	var extra []vcjwt.ClaimPath
	for _, d := range disclosed {
		if !slices.ContainsFunc(asked, func(p dcql.Path) bool { return p.Covers(d) }) {
			extra = append(extra, d)
		}
	}
	return extra
}

// joinPaths renders paths for a message.
func joinPaths(paths []vcjwt.ClaimPath) string {
	s := make([]string, len(paths))
	for i, p := range paths {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// withhold removes over-disclosed claims from r, precisely: an extra
// top-level claim goes whole, an extra member or array element goes from
// a copy of its top-level claim, so that the elements and members the
// query asked for stay. The copy replaces the claim under its own
// top-level name and under any local name the recognition's claim mapping
// gave the same value.
func withhold(r *verifier.Result, extra []vcjwt.ClaimPath, presented map[string]any) {
	byTop := map[string][]vcjwt.ClaimPath{}
	var tops []string
	for _, e := range extra {
		top, _ := e[0].(string)
		if _, seen := byTop[top]; !seen {
			tops = append(tops, top)
		}
		byTop[top] = append(byTop[top], e[1:])
		r.Stripped = append(r.Stripped, e.String())
	}
	for _, top := range tops {
		val, ok := presented[top]
		var pruned any // nil: withhold the claim whole
		if ok && !slices.ContainsFunc(byTop[top], func(p vcjwt.ClaimPath) bool { return len(p) == 0 }) {
			pruned = prune(val, byTop[top])
		}
		replace := func(name string) {
			if pruned == nil {
				delete(r.Claims, name)
			} else {
				r.Claims[name] = pruned
			}
		}
		if _, has := r.Claims[top]; has {
			replace(top)
		}
		if ok {
			for name, local := range r.Claims {
				if name != top && reflect.DeepEqual(local, val) {
					replace(name)
				}
			}
		}
	}
	r.Checks = append(r.Checks, verifier.Check{Name: verifier.CheckDisclosures, Outcome: verifier.Warned, Code: verifier.CodeClaimStripped})
	r.Warnings = append(r.Warnings, verifier.Problem{Code: verifier.CodeClaimStripped,
		Message: "claims disclosed beyond the request were withheld: " + joinPaths(extra)})
}

// prune returns a deep copy of v without the values at paths (relative to
// v, none empty). Array elements removed leave no gap.
func prune(v any, paths []vcjwt.ClaimPath) any {
	here := map[any]bool{}
	below := map[any][]vcjwt.ClaimPath{}
	for _, p := range paths {
		if len(p) == 1 {
			here[p[0]] = true
		} else {
			below[p[0]] = append(below[p[0]], p[1:])
		}
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, el := range x {
			if !here[k] {
				out[k] = pruneOrCopy(el, below[k])
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for i, el := range x {
			if !here[i] {
				out = append(out, pruneOrCopy(el, below[i]))
			}
		}
		return out
	}
	return v
}

// pruneOrCopy prunes v at paths, or returns v itself (shared, read only)
// when no path lies under it.
func pruneOrCopy(v any, paths []vcjwt.ClaimPath) any {
	if len(paths) == 0 {
		return v
	}
	return prune(v, paths)
}

// start returns the index, in the flat list of presentations, of the
// first presentation for id.
func start(ids []string, id string, matches map[string][]dcql.Match) int {
	n := 0
	for _, x := range ids {
		if x == id {
			return n
		}
		n += len(matches[x])
	}
	return n
}

// combine returns the one result of a response: the presentation's own
// when there is one, else a result listing each.
func combine(rs []*verifier.Result) *verifier.Result {
	if len(rs) == 1 {
		return rs[0]
	}
	out := &verifier.Result{Verified: true, Checks: []verifier.Check{}, Errors: []verifier.Problem{}, Warnings: []verifier.Problem{}}
	for _, r := range rs {
		out.Credentials = append(out.Credentials, r)
		out.Verified = out.Verified && r.Verified
		out.Errors = append(out.Errors, r.Errors...)
		out.Warnings = append(out.Warnings, r.Warnings...)
	}
	first := rs[0]
	out.Format, out.Checks, out.Issuer, out.Subject, out.Types = first.Format, first.Checks, first.Issuer, first.Subject, first.Types
	out.Recognition, out.Claims, out.Holder = first.Recognition, first.Claims, first.Holder
	return out
}
