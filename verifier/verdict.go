package verifier

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/idport/idport/pkg/vc"
)

// checkCredential runs the checks after parsing, the cheapest local
// refusals first and outbound work last: the signature when the issuer's
// key is local (did:key, did:jwk), recognition (in memory), and only then
// what goes out on the network. The key of an issuer that must be fetched
// (did:web) is fetched only when the registry knows the issuer for the
// credential's types, and status lists only for a credential that nothing
// else refused.
func (v *Verifier) checkCredential(ctx context.Context, c *credential, r *Result, p *Policy, now time.Time) {
	r.Issuer = c.issuer
	relied := reliedType(c.types, p)
	if !p.RecognitionOptional && !localIssuer(c.issuer) {
		sctx, end := v.traceCheck(ctx, r, spanPrecheck)
		code, msg, ok := v.preRecognise(sctx, c, relied, now)
		if !ok {
			r.fail(CheckRecognition, code, msg)
		}
		end()
		if !ok {
			return
		}
	}
	// Signature (and, for Data Integrity, the proofs) first: nothing else
	// is worth reporting about a forgery.
	sctx, end := v.traceCheck(ctx, r, CheckSignature)
	thumb, code, err := v.checkSignature(sctx, c, p)
	if err != nil {
		r.fail(CheckSignature, code, err.Error())
		end()
		return
	}
	r.pass(CheckSignature)
	end()
	r.Issuer, r.Subject, r.Types = c.issuer, c.subject, c.types
	r.IssuedAt, r.ValidFrom, r.ValidUntil = c.issuedAt, c.validFrom, c.validUntil
	r.Disclosed = c.disclosed

	_, end = v.traceCheck(ctx, r, CheckValidity)
	v.checkValidity(c, r, p, now)
	end()
	relied = reliedType(c.types, p)
	sctx, end = v.traceCheck(ctx, r, CheckRecognition)
	d, recognised := v.checkRecognition(sctx, c, r, p, thumb, relied, now)
	end()
	if recognised {
		_, end = v.traceCheck(ctx, r, CheckAssurance)
		v.checkAssurance(d, r, p)
		end()
	}
	_, end = v.traceCheck(ctx, r, CheckDisclosures)
	r.Claims = v.releaseClaims(c, d, r, p, recognised, relied)
	end()
	_, end = v.traceCheck(ctx, r, CheckPolicy)
	v.checkPolicy(c, d, r, p, recognised)
	end()
	if len(c.status) > 0 {
		sctx, end = v.traceCheck(ctx, r, CheckStatus)
		if recognised || p.RecognitionOptional {
			v.checkStatus(sctx, c, r, p)
		} else {
			// An issuer the registry does not recognise gets no outbound
			// request: its status lists are not fetched.
			r.skip(CheckStatus, "")
		}
		end()
	}
}

// localIssuer reports whether the keys of issuer are derived from the
// identifier itself (did:key, did:jwk): no fetch is needed to check its
// signature.
func localIssuer(issuer string) bool {
	return strings.HasPrefix(issuer, "did:key:") || strings.HasPrefix(issuer, "did:jwk:")
}

// reliedType returns the one credential type the policy relies on: the
// first type of Policy.CredentialTypes that the credential asserts, or ""
// when the policy names none (every asserted type must then be recognised).
func reliedType(types []string, p *Policy) string {
	for _, t := range p.CredentialTypes {
		if t != vc.TypeCredential && slices.Contains(types, t) {
			return t
		}
	}
	return ""
}

// recognisedTypes returns the types that must be recognised: the relied
// type alone, or every asserted type beyond the base type.
func recognisedTypes(types []string, relied string, one *[1]string) []string {
	if relied != "" {
		one[0] = relied
		return one[:]
	}
	return types
}

// preRecognise refuses, before any key is fetched, a credential whose
// claimed issuer the registry does not know for its claimed types (or
// whose registry state is unusable). Only refusals that no key or
// issuance time could change are made here; the full recognition check
// runs after the signature.
func (v *Verifier) preRecognise(ctx context.Context, c *credential, relied string, now time.Time) (Code, string, bool) {
	st := v.trust.Status()
	if !st.Ready || st.Stale {
		return CodeRegistryStale, "trust registry state is not usable: " + st.Reason, false
	}
	var one [1]string
	for _, typ := range recognisedTypes(c.types, relied, &one) {
		if typ == vc.TypeCredential {
			continue
		}
		d, err := v.trust.Decide(ctx, TrustQuery{Issuer: c.issuer, CredentialType: typ, IssuedAt: now, At: now})
		if err != nil {
			return CodeRegistryStale, "trust registry could not answer: " + err.Error(), false
		}
		if code := Code(d.Code); !d.Recognised && (code == CodeIssuerNotRecognised || code == CodeTypeNotRecognised || code == CodeFederationChainUnavailable) {
			msg := d.Message
			if msg == "" {
				msg = "issuer " + truncate(c.issuer) + " is not recognised"
			}
			return code, msg, false
		}
	}
	return "", "", true
}

// checkRecognition asks the trust source whether the issuer is recognised,
// now and at issuance, for every type the credential asserts beyond
// VerifiableCredential, or only for the type the policy relies on
// (reliedType). The decisions of several types are merged: claim mappings
// joined, allow-lists united.
func (v *Verifier) checkRecognition(ctx context.Context, c *credential, r *Result, p *Policy, thumb, relied string, now time.Time) (TrustDecision, bool) {
	if p.RecognitionOptional {
		r.warn(CheckRecognition, CodeRecognitionNotChecked, "recognition by the trust registry was not checked (policy)")
		return TrustDecision{}, false
	}
	st := v.trust.Status()
	if !st.Ready || st.Stale {
		msg := "trust registry state is not usable"
		if st.Reason != "" {
			msg += ": " + st.Reason
		}
		r.fail(CheckRecognition, CodeRegistryStale, msg)
		return TrustDecision{}, false
	}
	issued := c.issuance()
	if issued.IsZero() {
		issued = now
	}
	var (
		one             [1]string
		merged          TrustDecision
		have, anyWhenIs bool
	)
	for _, typ := range recognisedTypes(c.types, relied, &one) {
		if typ == vc.TypeCredential {
			continue
		}
		d, validWhenIssued, err := v.decideType(ctx, c.issuer, thumb, typ, issued, now, p)
		if err != nil {
			r.fail(CheckRecognition, CodeRegistryStale, "trust registry could not answer: "+err.Error())
			return TrustDecision{}, false
		}
		if !d.Recognised {
			code := Code(d.Code)
			if code == "" {
				code = CodeIssuerNotRecognised
			}
			msg := d.Message
			if msg == "" {
				msg = "issuer " + truncate(c.issuer) + " is not recognised"
			}
			if len(c.types) > 2 && relied == "" {
				msg = fmt.Sprintf("every credential type must be recognised for the issuer; %s: %s", typ, msg)
			}
			r.fail(CheckRecognition, code, msg)
			return TrustDecision{}, false
		}
		if have {
			merged = mergeDecisions(merged, d)
		} else {
			merged, have = d, true
		}
		anyWhenIs = anyWhenIs || validWhenIssued
	}
	if !have {
		r.fail(CheckRecognition, CodeTypeNotRecognised, "credential has no specific type")
		return TrustDecision{}, false
	}
	d := merged
	r.recognition = Recognition{
		Authority: d.Authority, Scheme: d.Scheme, Jurisdiction: d.Jurisdiction,
		Agreement: d.Agreement, Recognition: d.Recognition,
		LocalAssurance: d.LocalAssurance, ForeignAssurance: d.ForeignAssurance,
		RegistryVersion: d.RegistryVersion, ValidWhenIssued: anyWhenIs,
		Provenance: d.Provenance, Chain: d.Chain,
	}
	r.Recognition = &r.recognition
	if anyWhenIs {
		r.warn(CheckRecognition, CodeAuthoritySuspended, "authority is suspended now; accepted as valid when issued (policy)")
	} else {
		r.pass(CheckRecognition)
	}
	return d, true
}

// decideType decides one credential type: recognised now and at issuance,
// or (AcceptValidWhenIssued) suspended after a recognised issuance.
func (v *Verifier) decideType(ctx context.Context, issuer, thumb, typ string, issued, now time.Time, p *Policy) (TrustDecision, bool, error) {
	q := TrustQuery{Issuer: issuer, KeyThumbprint: thumb, CredentialType: typ, IssuedAt: issued, At: now, LocalScheme: p.LocalScheme}
	d, err := v.trust.Decide(ctx, q)
	if err != nil {
		return TrustDecision{}, false, err
	}
	switch {
	case !d.Recognised && d.Code == string(CodeAuthoritySuspended) && p.AcceptValidWhenIssued && issued.Before(now):
		// Accept when the authority was recognised at issuance as the
		// registry knows it now: a back-dated suspension covers the
		// issuance time and is refused here.
		q.At = issued
		if di, err := v.trust.Decide(ctx, q); err == nil && di.Recognised && (d.SuspendedFrom.IsZero() || issued.Before(d.SuspendedFrom)) {
			return di, true, nil
		}
	case d.Recognised && issued.Before(now):
		// Recognised now: it must also have been at issuance.
		q.At = issued
		di, err := v.trust.Decide(ctx, q)
		if err != nil {
			return TrustDecision{}, false, err
		}
		if !di.Recognised {
			di.Message = "not recognised when the credential was issued: " + di.Message
			return di, false, nil
		}
	}
	return d, false, nil
}

// mergeDecisions joins the recognitions of two types of one credential:
// the grounds of the first, the claim mappings of both, and the union of
// their allow-lists (none when either sets none).
func mergeDecisions(a, b TrustDecision) TrustDecision {
	for k, val := range b.ClaimMapping {
		if _, ok := a.ClaimMapping[k]; !ok {
			if a.ClaimMapping == nil || len(a.ClaimMapping) == 0 {
				a.ClaimMapping = map[string]string{}
			} else {
				a.ClaimMapping = maps.Clone(a.ClaimMapping)
			}
			a.ClaimMapping[k] = val
		}
	}
	if a.AllowedClaims == nil || b.AllowedClaims == nil {
		a.AllowedClaims = nil
		return a
	}
	union := slices.Clone(a.AllowedClaims)
	for _, c := range b.AllowedClaims {
		if !slices.Contains(union, c) {
			union = append(union, c)
		}
	}
	a.AllowedClaims = union
	return a
}

// releaseClaims returns the subject claims to report, under local names
// (the recognition's claim mapping), in every format:
//   - When the policy relies on one type of a credential asserting others,
//     only that type's claims (named by its recognition's claim mapping or
//     allow-list) are returned; the others are withheld with a
//     claim_stripped warning.
//   - The cross-border allow-list applies to every claim, disclosed or
//     not: outside it, a claim fails the credential
//     (claim_not_allowed_across_border) or is stripped with a
//     claim_stripped warning, per Policy.CrossBorder.
//
// Withheld claims are listed by name in Result.Stripped (strip mode and
// other types) or in the error (refuse mode); their values never appear.
func (v *Verifier) releaseClaims(c *credential, d TrustDecision, r *Result, p *Policy, recognised bool, relied string) map[string]any {
	if !recognised {
		return mapClaims(c.claims, nil)
	}
	restrict, check := claimRules(c, d, p, relied)
	if !restrict && !check {
		return mapClaims(c.claims, d.ClaimMapping)
	}
	if keepsAll(c.claims, d.ClaimMapping, d.AllowedClaims, restrict, check) {
		if check {
			r.pass(CheckDisclosures)
		}
		return handOver(c.claims)
	}
	return filterClaims(c.claims, d, r, p, restrict, check, relied)
}

// claimRules tells which of releaseClaims's rules apply to a recognised
// credential: restrict (only the relied type's claims) and check (the
// cross-border allow-list).
func claimRules(c *credential, d TrustDecision, p *Policy, relied string) (restrict, check bool) {
	restrict = relied != "" && hasOtherTypes(c.types, relied) && (len(d.ClaimMapping) > 0 || d.AllowedClaims != nil)
	check = d.AllowedClaims != nil && p.CrossBorder != ClaimsAllow
	return restrict, check
}

// filterClaims releases claims under restrict and check into a new map, and
// records what it withholds in r.
func filterClaims(claims map[string]any, d TrustDecision, r *Result, p *Policy, restrict, check bool, relied string) map[string]any {
	out := make(map[string]any, len(claims))
	var other, outside []string
	for k, val := range claims {
		switch local, fate := claimRelease(k, d.ClaimMapping, d.AllowedClaims, restrict, check); fate {
		case claimOtherType:
			other = append(other, local)
		case claimOutsideAllowList:
			outside = append(outside, local)
		default:
			out[local] = val
		}
	}
	if len(other) > 0 {
		slices.Sort(other)
		r.Stripped = append(r.Stripped, other...)
		r.warn(CheckDisclosures, CodeClaimStripped, fmt.Sprintf("claims of credential types other than %s, which the policy relies on, are not returned: %v", relied, other))
	}
	if !check {
		return out
	}
	if len(outside) == 0 {
		r.pass(CheckDisclosures)
		return out
	}
	slices.Sort(outside)
	msg := fmt.Sprintf("claims outside the cross-border allow-list: %v", outside)
	if p.CrossBorder == ClaimsRefuse {
		r.fail(CheckDisclosures, CodeClaimNotAllowedAcrossBorder, msg)
		return out
	}
	r.Stripped = append(r.Stripped, outside...)
	r.warn(CheckDisclosures, CodeClaimStripped, msg+" (stripped)")
	return out
}

// keepsAll reports whether filterClaims would keep every claim under its
// own name: none renamed by mapping, none withheld as another type's
// (restrict) or as outside the allow-list allowed (check). It asks
// claimRelease what filterClaims asks, without building a map.
func keepsAll(claims map[string]any, mapping map[string]string, allowed []string, restrict, check bool) bool {
	for k := range claims {
		if local, fate := claimRelease(k, mapping, allowed, restrict, check); fate != claimKept || local != k {
			return false
		}
	}
	return true
}

// claimFate is what releaseClaims does with one claim.
type claimFate int

const (
	claimKept             claimFate = iota // released under its local name
	claimOtherType                         // withheld: another credential type's (restrict)
	claimOutsideAllowList                  // outside the cross-border allow-list (check)
)

// claimRelease decides the claim k: its local name under mapping and its
// fate under restrict and check. One mapping lookup serves the local
// name, the type test and the allow-list test.
func claimRelease(k string, mapping map[string]string, allowed []string, restrict, check bool) (string, claimFate) {
	mapped, isMapped := mapping[k]
	local := k
	if isMapped && mapped != "" {
		local = mapped
	}
	switch {
	case restrict && !isMapped && !slices.Contains(allowed, k):
		return local, claimOtherType
	case check && !slices.Contains(allowed, k) && !(isMapped && slices.Contains(allowed, mapped)):
		return local, claimOutsideAllowList
	}
	return local, claimKept
}

// handOver returns the credential's own claims as the released ones (an
// empty map for none): they are decoded for one verification and read by
// nothing after their release.
func handOver(claims map[string]any) map[string]any {
	if claims == nil {
		return map[string]any{}
	}
	return claims
}

// hasOtherTypes reports whether types holds a specific type besides relied.
func hasOtherTypes(types []string, relied string) bool {
	for _, t := range types {
		if t != relied && t != vc.TypeCredential {
			return true
		}
	}
	return false
}

// mapClaims renames subject claims to local names. When no claim is
// renamed it hands over claims itself (see handOver); otherwise the map is
// new (renameClaims). Values are shared with the parsed credential either
// way.
func mapClaims(claims map[string]any, mapping map[string]string) map[string]any {
	if keepsAll(claims, mapping, nil, false, false) {
		return handOver(claims)
	}
	return renameClaims(claims, mapping)
}

// renameClaims copies claims into a new map under their local names.
func renameClaims(claims map[string]any, mapping map[string]string) map[string]any {
	out := make(map[string]any, len(claims))
	for k, val := range claims {
		if local, ok := mapping[k]; ok && local != "" {
			k = local
		}
		out[k] = val
	}
	return out
}
