package verifier

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/verifier/internal/jws"
)

// PresentationOptions are per-request options of VerifyPresentation.
type PresentationOptions struct {
	// Challenge is the expected nonce. Empty: the presentation's own
	// challenge must be one this verifier issued (it is consumed).
	Challenge string
	// Domain is the expected audience / proof domain (empty: not checked).
	Domain string
	// Policy replaces the verifier's policy for this request when set.
	Policy *Policy
}

// maxPresentedCredentials bounds the credentials of one presentation.
const maxPresentedCredentials = 16

// presentation is a parsed presentation of any format.
type presentation struct {
	format       vc.Format
	holder       string
	kid          string
	alg          keys.Alg
	signingInput []byte
	signature    []byte
	document     []byte // Data Integrity
	nonce        string
	expires      time.Time
	audience     []string
	credentials  [][]byte
	// sd is the credential of an SD-JWT+KB presentation.
	sd *credential
}

// VerifyPresentation verifies a presentation: a JWT VP (VC-JWT 1.1 or
// vp+jwt, possibly as an EnvelopedVerifiablePresentation), a Data Integrity
// presentation, or an SD-JWT VC with a key binding JWT. It checks the
// presenter's signature, the challenge (single use) and domain, holder
// binding (presenter = credential subject, or the SD-JWT cnf key), and
// every embedded credential as VerifyCredential does.
func (v *Verifier) VerifyPresentation(ctx context.Context, raw []byte, o PresentationOptions) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	p := &v.policy
	if o.Policy != nil {
		p = o.Policy
	}
	r := newResult()
	now := v.now()
	pr, code, err := parsePresentation(raw)
	if err != nil {
		r.fail(CheckFormat, code, err.Error())
		return r, nil
	}
	r.Format = pr.format
	r.pass(CheckFormat)

	if pr.sd != nil {
		v.verifySDPresentation(ctx, pr, r, p, o, now)
		return r, nil
	}

	holderKey, code, err := v.checkPresentationSignature(ctx, pr, o)
	if err != nil {
		r.fail(CheckPresentation, code, err.Error())
		return r, nil
	}
	_ = holderKey
	r.Holder = pr.holder
	if !pr.expires.IsZero() && now.After(pr.expires.Add(p.skew())) {
		r.fail(CheckPresentation, CodeExpired, "presentation expired at "+pr.expires.UTC().Format(time.RFC3339))
		return r, nil
	}
	r.pass(CheckPresentation)

	if !v.checkChallenge(ctx, pr.nonce, pr.audience, r, p, o, now) {
		return r, nil
	}

	if len(pr.credentials) == 0 {
		r.fail(CheckHolder, CodeMalformed, "presentation carries no credential")
		return r, nil
	}
	bound := true
	for _, cr := range pr.credentials {
		sub, err := v.verifyCredential(ctx, cr, p)
		if err != nil {
			return nil, err
		}
		r.Credentials = append(r.Credentials, sub)
		if !sub.Verified {
			r.Verified = false
			r.Errors = append(r.Errors, sub.Errors...)
		}
		r.Warnings = append(r.Warnings, sub.Warnings...)
		if sub.Subject != "" && sub.Subject != pr.holder {
			bound = false
		}
	}
	if bound {
		r.pass(CheckHolder)
	} else {
		r.fail(CheckHolder, CodeHolderBindingFailed, "the presenter "+truncate(pr.holder)+" is not the subject of every credential")
	}
	first := r.Credentials[0]
	r.Issuer, r.Subject, r.Types, r.Recognition, r.Claims = first.Issuer, first.Subject, first.Types, first.Recognition, first.Claims
	return r, nil
}

// checkChallenge checks nonce and audience and consumes the challenge.
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
	err := v.challenges.Consume(ctx, nonce, now)
	switch {
	case err == nil:
	case errors.Is(err, ErrChallengeUsed):
		r.fail(CheckChallenge, CodeChallengeReused, "challenge already used")
		return false
	case errors.Is(err, ErrChallengeUnknown) && o.Challenge != "" && p.AllowCallerChallenge:
		// A caller-supplied challenge: compared above, not consumed here.
	case errors.Is(err, ErrChallengeUnknown):
		r.fail(CheckChallenge, CodeChallengeInvalid, "challenge was not issued by this verifier or has expired")
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
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, perr(CodeMalformed, "presentation string: %v", err)
		}
		return parseCompactPresentation(s)
	case '{':
		if vc.IsEnveloped(raw) {
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
		c, err := parseSDJWT(s)
		if err != nil {
			return nil, err
		}
		return &presentation{format: vc.FormatSDJWT, sd: c}, nil
	}
	if strings.Count(s, ".") != 2 {
		return nil, perr(CodeMalformed, "not a presentation: neither JSON nor a compact JWS")
	}
	t, err := jws.Parse(s)
	if err != nil {
		return nil, joseError(err)
	}
	pr := &presentation{kid: t.Kid, alg: t.Alg, signingInput: t.SigningInput, signature: t.Signature}
	var claims struct {
		Iss   string          `json:"iss"`
		Aud   json.RawMessage `json:"aud"`
		Nonce string          `json:"nonce"`
		VP    json.RawMessage `json:"vp"`
		Exp   *float64        `json:"exp"`
	}
	if err := json.Unmarshal(t.Payload, &claims); err != nil {
		return nil, perr(CodeMalformed, "presentation claims: %v", err)
	}
	pr.nonce, pr.holder = claims.Nonce, claims.Iss
	if len(claims.Aud) > 0 {
		var one string
		if json.Unmarshal(claims.Aud, &one) == nil {
			pr.audience = []string{one}
		} else if err := json.Unmarshal(claims.Aud, &pr.audience); err != nil {
			return nil, perr(CodeMalformed, "aud must be a string or an array of strings")
		}
	}
	var body []byte
	switch t.Typ {
	case "vp+jwt", "vp+ld+jwt":
		pr.format = vc.FormatVCJOSE
		body = t.Payload
	case "JWT", "":
		pr.format = vc.FormatVCJWT11
		body = claims.VP
		if len(body) == 0 {
			return nil, perr(CodeUnsupportedFormat, "JWT has no vp claim")
		}
	default:
		return nil, perr(CodeUnsupportedFormat, "JWS typ %q is not a presentation format", t.Typ)
	}
	var vp vc.Presentation
	if err := json.Unmarshal(body, &vp); err != nil {
		return nil, perr(CodeMalformed, "presentation: %v", err)
	}
	if !containsString(vp.Type, vc.TypePresentation) {
		return nil, perr(CodeMalformed, "presentation type must include VerifiablePresentation")
	}
	if pr.holder == "" {
		pr.holder = vp.Holder
	} else if vp.Holder != "" && vp.Holder != pr.holder {
		return nil, perr(CodeMalformed, "iss %q and holder %q differ", truncate(pr.holder), truncate(vp.Holder))
	}
	if pr.holder == "" {
		return nil, perr(CodeMalformed, "presentation has no holder")
	}
	pr.expires = unixTime(claims.Exp)
	if err := addCredentials(pr, vp.Credentials); err != nil {
		return nil, err
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
func (v *Verifier) checkPresentationSignature(ctx context.Context, pr *presentation, o PresentationOptions) (crypto.PublicKey, Code, error) {
	if pr.format == vc.FormatDI {
		return v.checkDIPresentation(ctx, pr, o)
	}
	kid := pr.kid
	switch {
	case kid == "":
		id, err := v.keys.firstMethod(ctx, pr.holder, did.Authentication)
		if err != nil {
			return nil, CodeKeyNotFound, err
		}
		kid = id
	case kid[0] == '#':
		kid = pr.holder + kid
	}
	if !keyBelongsTo(kid, pr.holder) {
		return nil, CodeHolderBindingFailed, fmt.Errorf("key id %q is not a key of the holder %q", truncate(kid), truncate(pr.holder))
	}
	e, err := v.keys.get(ctx, kid, did.Authentication, v.now())
	if err != nil {
		return nil, CodeKeyNotFound, err
	}
	if e.alg != pr.alg {
		return nil, CodeAlgNotAllowed, fmt.Errorf("alg %s does not match the %s key %s", pr.alg, e.alg, truncate(kid))
	}
	if err := keys.Verify(pr.alg, e.pub, pr.signingInput, pr.signature); err != nil {
		return nil, CodeSignatureInvalid, fmt.Errorf("presenter signature: %w", err)
	}
	return e.pub, "", nil
}
