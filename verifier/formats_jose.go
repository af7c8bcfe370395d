package verifier

import (
	"context"
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

// parseCompact parses a compact JWS credential (VC-JWT 1.1, VC-JOSE-COSE)
// or an SD-JWT VC.
func parseCompact(s string) (*credential, error) {
	if len(s) > MaxInputBytes {
		return nil, perr(CodeMalformed, "credential of %d bytes exceeds the limit", len(s))
	}
	if strings.IndexByte(s, '~') >= 0 {
		return parseSDJWT(s)
	}
	if strings.Count(s, ".") != 2 {
		return nil, perr(CodeMalformed, "not a credential: neither JSON nor a compact JWS")
	}
	t, err := jws.Parse(s)
	if err != nil {
		return nil, joseError(err)
	}
	var c *credential
	switch t.Typ {
	case "vc+jwt", "vc+ld+jwt", "application/vc+jwt":
		c, err = parseVCJOSE(t)
	case "dc+sd-jwt", "vc+sd-jwt":
		return nil, perr(CodeMalformed, "an SD-JWT must end with '~'")
	case "JWT", "":
		c, err = parseVCJWT11(t)
	default:
		return nil, perr(CodeUnsupportedFormat, "JWS typ %q is not a credential format", t.Typ)
	}
	if err != nil {
		return nil, err
	}
	c.kid, c.alg, c.signingInput, c.signature = t.Kid, t.Alg, t.SigningInput, t.Signature
	return c, nil
}

func joseError(err error) error {
	switch {
	case errors.Is(err, jws.ErrAlgNotAllowed):
		return &parseError{code: CodeAlgNotAllowed, err: err}
	case errors.Is(err, jws.ErrForbiddenHeader):
		return &parseError{code: CodeKeyNotFound, err: err}
	}
	return &parseError{code: CodeMalformed, err: err}
}

// parseVCJOSE reads a VC-JOSE-COSE payload: the credential itself.
func parseVCJOSE(t *jws.Token) (*credential, error) { return parseVCJOSEPayload(t.Payload) }

// jwtVC11 is the claim set of a VC Data Model 1.1 JWT.
type jwtVC11 struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Jti string          `json:"jti"`
	Nbf *float64        `json:"nbf"`
	Exp *float64        `json:"exp"`
	Iat *float64        `json:"iat"`
	VC  json.RawMessage `json:"vc"`
}

func unixTime(f *float64) time.Time {
	if f == nil {
		return time.Time{}
	}
	return time.Unix(int64(*f), 0)
}

// parseVCJWT11 reads a VC 1.1 JWT: registered claims plus the vc claim.
func parseVCJWT11(t *jws.Token) (*credential, error) {
	var p jwtVC11
	if err := json.Unmarshal(t.Payload, &p); err != nil {
		return nil, perr(CodeMalformed, "JWT claims: %v", err)
	}
	if len(p.VC) == 0 {
		return nil, perr(CodeUnsupportedFormat, "JWT has no vc claim")
	}
	var cred vc.Credential
	if err := json.Unmarshal(p.VC, &cred); err != nil {
		return nil, perr(CodeMalformed, "vc claim: %v", err)
	}
	if !containsString(cred.Type, vc.TypeCredential) {
		return nil, perr(CodeMalformed, "vc claim: type must include VerifiableCredential")
	}
	c := &credential{format: vc.FormatVCJWT11, issuer: p.Iss}
	if c.issuer == "" {
		c.issuer = cred.Issuer.ID
	} else if cred.Issuer.ID != "" && cred.Issuer.ID != p.Iss {
		return nil, perr(CodeMalformed, "iss %q and vc.issuer %q differ", p.Iss, cred.Issuer.ID)
	}
	if c.issuer == "" {
		return nil, perr(CodeMalformed, "JWT has no issuer")
	}
	if err := fillFromCredential(c, &cred); err != nil {
		return nil, err
	}
	// The registered claims take precedence over the vc claim (VC-JWT 1.1 §6.3.1).
	if p.Nbf != nil {
		c.validFrom = unixTime(p.Nbf)
	}
	if p.Exp != nil {
		c.validUntil = unixTime(p.Exp)
	}
	c.issuedAt = unixTime(p.Iat)
	if c.issuedAt.IsZero() {
		c.issuedAt = c.validFrom
	}
	if p.Sub != "" {
		c.subject = p.Sub
	}
	return c, nil
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
func (v *Verifier) checkSignature(ctx context.Context, c *credential) (string, Code, error) {
	switch c.format {
	case vc.FormatDI:
		return v.checkDataIntegrity(ctx, c)
	}
	if c.issuer == "" {
		return "", CodeMalformed, errors.New("credential has no issuer")
	}
	kid := c.kid
	switch {
	case kid == "":
		id, err := v.keys.firstMethod(ctx, c.issuer, did.AssertionMethod)
		if err != nil {
			return "", CodeKeyNotFound, err
		}
		kid = id
	case kid[0] == '#':
		kid = c.issuer + kid
	}
	if !keyBelongsTo(kid, c.issuer) {
		return "", CodeKeyNotFound, fmt.Errorf("key id %q is not a key of the issuer %q", truncate(kid), truncate(c.issuer))
	}
	e, err := v.keys.get(ctx, kid, did.AssertionMethod, v.now())
	if err != nil {
		return "", CodeKeyNotFound, err
	}
	if e.alg != c.alg {
		return "", CodeAlgNotAllowed, fmt.Errorf("alg %s does not match the %s key %s", c.alg, e.alg, truncate(kid))
	}
	if err := keys.Verify(c.alg, e.pub, c.signingInput, c.signature); err != nil {
		return "", CodeSignatureInvalid, fmt.Errorf("issuer signature: %w", err)
	}
	return e.thumb, "", nil
}

func truncate(s string) string {
	if len(s) > 128 {
		return s[:128] + "..."
	}
	return s
}
