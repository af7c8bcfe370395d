package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/idport/idport/pkg/vcjwt"
)

// kbClaims are the challenge claims of a key binding JWT.
type kbClaims struct {
	Nonce string          `json:"nonce"`
	Aud   json.RawMessage `json:"aud"`
}

// verifySDPresentation verifies an SD-JWT VC presented with a key binding
// JWT: the credential as VerifyCredential does, then the key binding JWT
// (signed by the cnf key, sd_hash over what was presented, nonce and
// audience), then the single-use challenge.
func (v *Verifier) verifySDPresentation(ctx context.Context, pr *presentation, r *Result, p *Policy, o PresentationOptions, now time.Time) {
	c := pr.sd
	v.checkCredential(ctx, c, r, p, now)
	if !r.Verified && !r.passed(CheckSignature) {
		return // the issuer signature failed or was not reached: nothing else is meaningful
	}
	sd := c.jose.SD
	if sd == nil || sd.KBJWT == "" {
		r.fail(CheckHolder, CodeHolderBindingFailed, "no key binding JWT presented")
		return
	}
	nonce, aud, code, err := v.checkKeyBinding(c, o.Domain, p, now)
	if err != nil {
		r.fail(CheckHolder, code, err.Error())
		return
	}
	r.pass(CheckHolder)
	v.checkChallenge(ctx, nonce, aud, r, p, o, now)
}

// checkKeyBinding verifies the key binding JWT of SD-JWT VC c: an allowed
// algorithm (never none), signed by the cnf key, sd_hash over what was
// presented, fresh, with audience wantAud (any when empty). It returns the
// JWT's nonce and audience for the challenge check.
func (v *Verifier) checkKeyBinding(c *credential, wantAud string, p *Policy, now time.Time) (string, []string, Code, error) {
	sd := c.jose.SD
	kb, err := vcjwt.Parse(sd.KBJWT)
	if err != nil {
		code := CodeHolderBindingFailed
		if errors.Is(err, vcjwt.ErrAlgNotAllowed) {
			code = CodeAlgNotAllowed
		}
		return "", nil, code, fmt.Errorf("key binding JWT: %w", err)
	}
	var claims kbClaims
	if err := json.Unmarshal(kb.Payload, &claims); err != nil {
		return "", nil, CodeHolderBindingFailed, fmt.Errorf("key binding JWT claims: %w", err)
	}
	var aud []string
	var one string
	if json.Unmarshal(claims.Aud, &one) == nil {
		aud = []string{one}
	} else if json.Unmarshal(claims.Aud, &aud) != nil || len(aud) == 0 {
		return "", nil, CodeHolderBindingFailed, errors.New("key binding JWT has no aud")
	}
	if wantAud == "" {
		wantAud = aud[0]
	}
	if err := sd.VerifyKeyBinding(c.holderKey, claims.Nonce, wantAud, now, p.skew()); err != nil {
		code := CodeHolderBindingFailed
		if errors.Is(err, vcjwt.ErrChallenge) {
			code = CodeChallengeInvalid
		}
		return "", nil, code, fmt.Errorf("key binding: %w", err)
	}
	return claims.Nonce, aud, "", nil
}
