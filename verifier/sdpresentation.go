package verifier

import (
	"context"
	"encoding/json"
	"errors"
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
	if !r.Verified && (len(r.Checks) == 0 || r.Checks[len(r.Checks)-1].Name == CheckSignature) {
		return // the issuer signature failed: nothing else is meaningful
	}
	sd := c.jose.SD
	if sd == nil || sd.KBJWT == "" {
		r.fail(CheckHolder, CodeHolderBindingFailed, "no key binding JWT presented")
		return
	}
	kb, err := vcjwt.Parse(sd.KBJWT)
	if err != nil {
		r.fail(CheckHolder, CodeHolderBindingFailed, "key binding JWT: "+err.Error())
		return
	}
	var claims kbClaims
	if err := json.Unmarshal(kb.Payload, &claims); err != nil {
		r.fail(CheckHolder, CodeHolderBindingFailed, "key binding JWT claims: "+err.Error())
		return
	}
	var aud []string
	var one string
	if json.Unmarshal(claims.Aud, &one) == nil {
		aud = []string{one}
	} else if json.Unmarshal(claims.Aud, &aud) != nil || len(aud) == 0 {
		r.fail(CheckHolder, CodeHolderBindingFailed, "key binding JWT has no aud")
		return
	}
	wantAud := o.Domain
	if wantAud == "" {
		wantAud = aud[0]
	}
	if err := sd.VerifyKeyBinding(c.holderKey, claims.Nonce, wantAud, now, p.skew()); err != nil {
		code := CodeHolderBindingFailed
		if errors.Is(err, vcjwt.ErrChallenge) {
			code = CodeChallengeInvalid
		}
		r.fail(CheckHolder, code, "key binding: "+err.Error())
		return
	}
	r.pass(CheckHolder)
	v.checkChallenge(ctx, claims.Nonce, aud, r, p, o, now)
}
