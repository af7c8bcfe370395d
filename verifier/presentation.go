package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
)

// PresentationOptions are per-request options of VerifyPresentation.
type PresentationOptions struct {
	// Challenge is the expected nonce. Empty: the presentation's own
	// challenge must be one this verifier issued (it is consumed).
	Challenge string
	// Domain is the expected audience / proof domain (empty: not checked).
	Domain string
	// ChallengeAudience is the audience the challenge must have been
	// issued for (IssueChallengeFor), for example a relying-party profile;
	// empty: a challenge of IssueChallenge. A challenge of this verifier
	// issued for another audience fails challenge_wrong_audience, unused.
	ChallengeAudience string
	// Policy replaces the verifier's policy for this request when set.
	Policy *Policy
}

// maxPresentedCredentials bounds the credentials of one presentation.
const maxPresentedCredentials = 16

// presentation is a parsed presentation of any format.
type presentation struct {
	format      vc.Format
	holder      string
	kid         string
	jwt         *vcjwt.ParsedVP // JWT presentations
	document    []byte          // Data Integrity
	nonce       string
	expires     time.Time
	audience    []string
	credentials [][]byte
	// sd is the credential of an SD-JWT+KB presentation.
	sd *credential
	// pre holds, per credential, the results of a Data Integrity
	// presentation's verification (nil entries: verify on its own).
	pre []*preverified
}

// VerifyPresentation verifies a presentation: a JWT VP (VC-JWT 1.1 or
// vp+jwt, possibly as an EnvelopedVerifiablePresentation), a Data Integrity
// presentation, or an SD-JWT VC with a key binding JWT. It checks the
// presenter's signature, the challenge (single use) and domain, holder
// binding (presenter = credential subject, or the SD-JWT cnf key; a
// credential without a subject id only when the policy does not
// RequireHolderBinding), and every embedded credential as VerifyCredential
// does.
func (v *Verifier) VerifyPresentation(ctx context.Context, raw []byte, o PresentationOptions) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	ctx, end := v.traceVerification(ctx, SpanPresentation)
	r, err := v.verifyPresentation(ctx, raw, o)
	end(r)
	return r, err
}

// verifyPresentation is VerifyPresentation under its span.
func (v *Verifier) verifyPresentation(ctx context.Context, raw []byte, o PresentationOptions) (*Result, error) {
	p := &v.policy
	if o.Policy != nil {
		p = o.Policy
	}
	r := newResult()
	now := v.now()
	_, end := v.traceCheck(ctx, r, CheckFormat)
	pr, code, err := parsePresentation(raw)
	if err != nil {
		r.fail(CheckFormat, code, err.Error())
		end()
		return r, nil
	}
	r.Format = pr.format
	r.pass(CheckFormat)
	end()

	if pr.sd != nil {
		v.verifySDPresentation(ctx, pr, r, p, o, now)
		v.debug(ctx, "presentation", r)
		return r, nil
	}

	if !v.checkPresentationProof(ctx, pr, r, p, o, now) {
		return r, nil
	}
	sctx, end := v.traceCheck(ctx, r, CheckChallenge)
	ok := v.checkChallenge(sctx, pr.nonce, pr.audience, r, p, o, now)
	end()
	if !ok {
		return r, nil
	}

	// verifiableCredential is optional (VC Data Model 2.0 section 4.13): a
	// presentation without credentials is verified by its proof and
	// challenge alone.
	var unbound, bearer []int
	for i, cr := range pr.credentials {
		var pre *preverified
		if pr.pre != nil {
			pre = pr.pre[i]
		}
		sub, err := v.verifyCredentialPre(ctx, cr, p, pre)
		if err != nil {
			return nil, err
		}
		r.Credentials = append(r.Credentials, sub)
		if !sub.Verified {
			r.Verified = false
			r.Errors = append(r.Errors, sub.Errors...)
		}
		r.Warnings = append(r.Warnings, sub.Warnings...)
		switch {
		case sub.Subject != "" && sub.Subject != pr.holder:
			unbound = append(unbound, i)
		case sub.Subject == "" && sub.Verified && p.RequireHolderBinding:
			bearer = append(bearer, i)
		}
	}
	_, end = v.traceCheck(ctx, r, CheckHolder)
	v.checkHolderBinding(r, p, pr.holder, unbound, bearer)
	end()
	if len(r.Credentials) > 0 {
		first := r.Credentials[0]
		r.Issuer, r.Subject, r.Types, r.Recognition, r.Claims = first.Issuer, first.Subject, first.Types, first.Recognition, first.Claims
	}
	v.debug(ctx, "presentation", r)
	return r, nil
}

// checkPresentationProof checks the presentation's own proof and expiry under the span of
// CheckPresentation, and records the holder.
func (v *Verifier) checkPresentationProof(ctx context.Context, pr *presentation, r *Result, p *Policy, o PresentationOptions, now time.Time) bool {
	ctx, end := v.traceCheck(ctx, r, CheckPresentation)
	defer end()
	if code, err := v.checkPresentationSignature(ctx, pr, o); err != nil {
		r.fail(CheckPresentation, code, err.Error())
		return false
	}
	r.Holder = pr.holder
	if !pr.expires.IsZero() && now.After(pr.expires.Add(p.skew())) {
		r.fail(CheckPresentation, CodeExpired, "presentation expired at "+pr.expires.UTC().Format(time.RFC3339))
		return false
	}
	r.pass(CheckPresentation)
	return true
}

// checkHolderBinding applies Policy.HolderBinding to a presentation whose
// presenter (already proven by the presentation's proof) is holder:
// credentials unbound (a subject that is not the holder) and bearer (no
// subject, when RequireHolderBinding) are indexes into its credentials.
func (v *Verifier) checkHolderBinding(r *Result, p *Policy, holder string, unbound, bearer []int) {
	mode := p.HolderBinding
	if mode == "" {
		mode = HolderBindingSubject
	}
	switch {
	case mode == HolderBindingNone:
		r.skip(CheckHolder, "")
	case mode != HolderBindingSubject && mode != HolderBindingHolderSigned:
		r.fail(CheckHolder, CodeHolderBindingFailed, fmt.Sprintf("holder binding mode %q is unknown", mode))
	case len(unbound) > 0 && mode == HolderBindingSubject:
		r.fail(CheckHolder, CodeHolderBindingFailed, fmt.Sprintf("the presenter %s is not the subject of every credential (credentials %v)", truncate(holder), unbound))
	case len(bearer) > 0 && mode == HolderBindingSubject:
		r.fail(CheckHolder, CodeHolderBindingFailed, fmt.Sprintf("credentials %v name no subject: no holder binding can be established, and the policy refuses bearer credentials", bearer))
	default:
		// holder-signed: the presentation's proof by the holder binds it;
		// subjects may differ.
		r.pass(CheckHolder)
	}
}

// consumeChallenge consumes nonce for audience: through the store's
// ConsumeFor when it binds audiences, else Consume (which cannot honour an
// audience).
func (v *Verifier) consumeChallenge(ctx context.Context, nonce, audience string, now time.Time) error {
	if s, ok := v.challenges.(AudienceChallengeStore); ok {
		return s.ConsumeFor(ctx, nonce, audience, now)
	}
	if audience != "" {
		return fmt.Errorf("%w: the challenge store does not bind challenges to an audience", ErrConfig)
	}
	return v.challenges.Consume(ctx, nonce, now)
}

// checkChallenge checks nonce and audience and consumes the challenge.
//
// Order. Callers run it only once the presentation's own proof (the
// holder's JWT signature, the key binding JWT, the Data Integrity proof)
// has verified, and before the embedded credentials are checked:
//   - The store checks the challenge's MAC and expiry before any write, so
//     a forged or expired challenge is challenge_invalid and writes nothing.
//   - After the proof: a presentation whose proof fails was not made by the
//     holder (or not for this challenge, which the proof covers), so it is
//     refused without a write and the holder may still use the challenge.
//     This lets no replay through: every copy of a presentation carries the
//     same signed nonce, so once one copy got past its proof and recorded
//     the challenge, the others find it used, and the record is atomic, so
//     of concurrent copies exactly one gets past this point.
//   - Before the credential checks: their outcome can change within the
//     challenge's lifetime (status list or registry unavailable, then back;
//     a credential becoming valid). Recording only on full success would let
//     whoever captured a presentation refused for such a reason submit it
//     again and have it accepted; recording here makes it challenge_reused.
func (v *Verifier) checkChallenge(ctx context.Context, nonce string, aud []string, r *Result, p *Policy, o PresentationOptions, now time.Time) bool {
	if o.Domain != "" && !containsString(aud, o.Domain) {
		r.fail(CheckChallenge, CodeChallengeInvalid, fmt.Sprintf("presentation audience %v does not include %q", aud, o.Domain))
		return false
	}
	if nonce == "" {
		r.fail(CheckChallenge, CodeChallengeInvalid, "presentation carries no challenge")
		return false
	}
	if o.Challenge != "" && nonce != o.Challenge {
		r.fail(CheckChallenge, CodeChallengeInvalid, "presentation challenge does not match the expected one")
		return false
	}
	err := v.consumeChallenge(ctx, nonce, o.ChallengeAudience, now)
	switch {
	case err == nil:
	case errors.Is(err, ErrChallengeUsed):
		r.fail(CheckChallenge, CodeChallengeReused, "challenge already used")
		return false
	case errors.Is(err, ErrChallengeWrongAudience):
		// Ours, but for another relying party's profile (or the plain
		// route): a relayed presentation. Not a caller-supplied challenge
		// either, since it carries our MAC.
		r.fail(CheckChallenge, CodeChallengeWrongAudience, "challenge was issued for another audience: "+err.Error())
		return false
	case errors.Is(err, ErrChallengeUnknown) && o.Challenge != "" && p.AllowCallerChallenge:
		// A caller-supplied challenge (not one of ours: no MAC): compared
		// above and not recorded; its single use is the caller's business.
		// A challenge this verifier issued is consumed even when the caller
		// passes it (err == nil above).
	case errors.Is(err, ErrChallengeUnknown):
		r.fail(CheckChallenge, CodeChallengeInvalid, "challenge was not issued by this verifier or has expired: "+err.Error())
		return false
	default:
		r.fail(CheckChallenge, CodeChallengeInvalid, "challenge store: "+err.Error())
		return false
	}
	r.pass(CheckChallenge)
	return true
}

func parsePresentation(raw []byte) (*presentation, Code, error) {
	pr, err := parsePresentationAny(raw)
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			return nil, pe.code, err
		}
		return nil, CodeMalformed, err
	}
	return pr, "", nil
}

func parsePresentationAny(raw []byte) (*presentation, error) {
	if len(raw) > MaxInputBytes {
		return nil, perr(CodeMalformed, "presentation of %d bytes exceeds the limit of %d", len(raw), MaxInputBytes)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, perr(CodeMalformed, "empty presentation")
	}
	switch raw[0] {
	case '"':
		s, err := compactString(raw, "presentation")
		if err != nil {
			return nil, err
		}
		return parseCompactPresentation(s)
	case '{':
		if isEnveloped(raw) {
			env, err := vc.ParseEnveloped(raw)
			if err != nil {
				return nil, perr(CodeMalformed, "enveloped presentation: %v", err)
			}
			if !env.Presentation {
				return nil, perr(CodeMalformed, "an enveloped credential is not a presentation")
			}
			return parseCompactPresentation(env.Data)
		}
		return parseDIPresentation(raw)
	}
	return parseCompactPresentation(string(raw))
}

func parseCompactPresentation(s string) (*presentation, error) {
	if strings.IndexByte(s, '~') >= 0 {
		c, err := parseCompact(s)
		if err != nil {
			return nil, err
		}
		if c.format != vc.FormatSDJWT {
			return nil, perr(CodeUnsupportedFormat, "not an SD-JWT presentation")
		}
		return &presentation{format: vc.FormatSDJWT, sd: c}, nil
	}
	vp, err := vcjwt.ParseVPJWT(s)
	if err != nil {
		return nil, joseError(err)
	}
	pr := &presentation{
		format: vc.FormatVCJWT11, holder: vp.Holder, kid: vp.Kid, jwt: vp,
		nonce: vp.Nonce, audience: vp.Audience, expires: vp.Expiry,
	}
	if vp.Version == 2 {
		pr.format = vc.FormatVCJOSE
	}
	if len(vp.Credentials) > maxPresentedCredentials {
		return nil, perr(CodeMalformed, "%d credentials in one presentation, at most %d", len(vp.Credentials), maxPresentedCredentials)
	}
	for _, c := range vp.Credentials {
		pr.credentials = append(pr.credentials, []byte(c))
	}
	return pr, nil
}

func addCredentials(pr *presentation, creds []json.RawMessage) error {
	if len(creds) > maxPresentedCredentials {
		return perr(CodeMalformed, "%d credentials in one presentation, at most %d", len(creds), maxPresentedCredentials)
	}
	for _, c := range creds {
		pr.credentials = append(pr.credentials, []byte(c))
	}
	return nil
}

// checkPresentationSignature verifies the presenter's signature with a key
// of the holder DID listed for authentication.
func (v *Verifier) checkPresentationSignature(ctx context.Context, pr *presentation, o PresentationOptions) (Code, error) {
	if pr.format == vc.FormatDI {
		return v.checkDIPresentation(ctx, pr, o)
	}
	e, code, err := v.issuerKey(ctx, pr.holder, pr.kid, did.Authentication)
	if err != nil {
		if code == CodeKeyNotFound && pr.kid != "" && pr.kid[0] != '#' && !keyBelongsTo(pr.kid, pr.holder) {
			code = CodeHolderBindingFailed
		}
		return code, err
	}
	if e.alg != pr.jwt.Token.Alg {
		return CodeAlgNotAllowed, fmt.Errorf("alg %s does not match the %s key of %s", pr.jwt.Token.Alg, e.alg, truncate(pr.holder))
	}
	if err := pr.jwt.Token.Verify(e.pub); err != nil {
		return CodeSignatureInvalid, fmt.Errorf("presenter signature: %w", err)
	}
	return "", nil
}
