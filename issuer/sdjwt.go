package issuer

import (
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vcjwt"
)

// signSDJWT secures an SD-JWT VC through pkg/vcjwt: vct, iss, iat, nbf, exp, the holder key
// in cnf.jwk, the Token Status List entry, and the type's (or request's) disclosable claims.
func (is *Issuer) signSDJWT(p *plan) (string, error) {
	claims := make(map[string]any, len(p.sd.claims))
	sub := ""
	for k, v := range p.sd.claims {
		if k == "sub" {
			sub, _ = v.(string)
			continue
		}
		claims[k] = v
	}
	var disclose []string
	for _, n := range p.disclosable {
		if _, ok := claims[n]; ok {
			disclose = append(disclose, n)
		}
	}
	params := vcjwt.SDJWTParams{Issuer: p.sk.did, VCT: p.sd.vct, Subject: sub, IssuedAt: p.issuedAt,
		NotBefore: p.issuedAt, Expiry: p.validUntil, Claims: claims, Disclose: disclose,
		Status: &vcjwt.TokenStatusRef{Idx: int(p.ref.Index), URI: is.TokenListURL(p.ref.Set)}}
	if len(p.holderJWK) > 0 {
		pub, _, err := keys.ParsePublicJWK(p.holderJWK)
		if err != nil {
			return "", errs.Errorf(CodeInvalidHolderKey, "invalid holder key: %v", err)
		}
		params.HolderKey = pub
	}
	return vcjwt.SignSDJWT(p.sk.key, params)
}
