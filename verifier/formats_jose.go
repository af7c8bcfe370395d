package verifier

import (
	"context"
	"errors"
	"fmt"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
)

// parseCompact parses a compact JWS credential (VC-JWT 1.1, VC-JOSE-COSE)
// or an SD-JWT VC through pkg/vcjwt's lean path, without checking the
// signature. That path is the verifier's only decoder of JOSE payloads: a
// strict, reflection-free scanner that refuses repeated member names, so
// that a signed payload such as {"iss":"A",...,"iss":"B"} cannot be read
// one way here and another way by a different JSON parser.
func parseCompact(s string) (*credential, error) {
	if len(s) > MaxInputBytes {
		return nil, perr(CodeMalformed, "credential of %d bytes exceeds the limit", len(s))
	}
	p, err := vcjwt.ParseCredential(s)
	if err != nil {
		return nil, joseError(err)
	}
	// types are the claimed ones until the signature is checked
	// (fillVerified): enough to refuse an unknown issuer before fetching
	// its key.
	c := &credential{format: p.Format, issuer: p.Issuer(), kid: p.KeyID(), alg: p.Token.Alg, jose: p, types: p.Types()}
	if c.issuer == "" {
		return nil, perr(CodeMalformed, "credential has no issuer")
	}
	if c.format == vc.FormatVCJOSE && !vc.IsURL(c.issuer) {
		return nil, perr(CodeMalformed, "issuer must be a URL")
	}
	return c, nil
}

// joseError maps pkg/vcjwt failures to stable codes.
func joseError(err error) error {
	code := CodeMalformed
	switch {
	case errors.Is(err, vcjwt.ErrAlgNotAllowed):
		code = CodeAlgNotAllowed
	case errors.Is(err, vcjwt.ErrHeaderNotAllowed), errors.Is(err, vcjwt.ErrKeyMismatch):
		code = CodeKeyNotFound
	case errors.Is(err, vcjwt.ErrSignatureInvalid):
		code = CodeSignatureInvalid
	case errors.Is(err, vcjwt.ErrUnsupportedFormat):
		code = CodeUnsupportedFormat
	case errors.Is(err, vcjwt.ErrHolderBinding):
		code = CodeHolderBindingFailed
	case errors.Is(err, vcjwt.ErrChallenge):
		code = CodeChallengeInvalid
	case errors.Is(err, vcjwt.ErrExpired):
		code = CodeExpired
	case errors.Is(err, vcjwt.ErrNotYetValid):
		code = CodeNotYetValid
	}
	return &parseError{code: code, err: err}
}

// fillVerified copies the verified claims of a JOSE credential into c.
func (c *credential) fillVerified(v *vcjwt.Verified) error {
	c.issuer, c.subject, c.types, c.claims = v.Issuer, v.Subject, v.Types, v.Claims
	c.issuedAt, c.validFrom, c.validUntil = v.IssuedAt, v.NotBefore, v.Expiry
	c.holderKey, c.disclosed = v.HolderKey, nil
	for _, d := range v.DisclosedPaths {
		c.disclosed = append(c.disclosed, d.String())
	}
	if len(v.Status) > maxStatusEntries {
		return fmt.Errorf("%d status entries, at most %d", len(v.Status), maxStatusEntries)
	}
	c.status = nil
	switch n := len(v.Status); {
	case n == 1:
		c.status = c.statusBuf[:0]
	case n > 1:
		c.status = make([]StatusRef, 0, n)
	}
	for _, s := range v.Status {
		ref := StatusRef{URL: s.URI, Index: s.Index, Purpose: s.Purpose}
		switch s.Type {
		case vcjwt.TypeTokenStatusList:
			ref.Kind = TokenStatus
		case "BitstringStatusListEntry", "StatusList2021Entry":
			ref.Kind = BitstringStatus
		default:
			return fmt.Errorf("unsupported status type %q", s.Type)
		}
		if ref.URL == "" || ref.Index < 0 || (ref.Kind == BitstringStatus && ref.Purpose == "") {
			return fmt.Errorf("incomplete status entry of type %q", s.Type)
		}
		c.status = append(c.status, ref)
	}
	return nil
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// checkSignature verifies the issuer's signature and returns the key
// thumbprint for the trust query.
func (v *Verifier) checkSignature(ctx context.Context, c *credential, p *Policy) (string, Code, error) {
	if c.format == vc.FormatDI {
		return v.checkDataIntegrity(ctx, c, p)
	}
	if len(p.RequiredProofsBy) > 0 {
		return "", CodeProofMissing, fmt.Errorf("the policy requires a proof by %s, and a %s credential carries the issuer's signature only", truncate(p.RequiredProofsBy[0]), c.format)
	}
	e, code, err := v.issuerKey(ctx, c.issuer, c.kid, did.AssertionMethod)
	if err != nil {
		return "", code, err
	}
	if e.alg != c.alg {
		return "", CodeAlgNotAllowed, fmt.Errorf("alg %s does not match the %s key of %s", c.alg, e.alg, truncate(c.issuer))
	}
	verified, err := c.jose.Verify(e.pub)
	if err != nil {
		return "", CodeSignatureInvalid, fmt.Errorf("issuer signature: %w", err)
	}
	if err := c.fillVerified(verified); err != nil {
		return "", CodeMalformed, err
	}
	return e.thumb, "", nil
}

// issuerKey finds the key kid (or, without kid, the first key listed for
// purpose) of the DID owner.
func (v *Verifier) issuerKey(ctx context.Context, owner, kid string, purpose did.Purpose) (*keyEntry, Code, error) {
	switch {
	case kid == "":
		id, err := v.keys.firstMethod(ctx, owner, purpose)
		if err != nil {
			return nil, CodeKeyNotFound, err
		}
		kid = id
	case kid[0] == '#':
		kid = owner + kid
	}
	if !keyBelongsTo(kid, owner) {
		return nil, CodeKeyNotFound, fmt.Errorf("key id %q is not a key of %q", truncate(kid), truncate(owner))
	}
	e, err := v.keys.get(ctx, kid, purpose, v.now())
	if err != nil {
		return nil, CodeKeyNotFound, err
	}
	return e, "", nil
}

func truncate(s string) string {
	if len(s) > 128 {
		return s[:128] + "..."
	}
	return s
}
