package oidfed

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// TrustMark is a verified trust mark of a chain's leaf.
type TrustMark struct {
	Type      string    `json:"type"`
	Issuer    string    `json:"issuer"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

type trustMarkClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Type     string `json:"trust_mark_type"`
	ID       string `json:"id"`
	IssuedAt int64  `json:"iat"`
	Expires  int64  `json:"exp"`
}

// CheckTrustMark verifies that the chain's leaf carries a trust mark of type typ issued by an
// issuer the anchor lists for typ in trust_mark_issuers, whose own chain to the same anchor
// verifies, about the leaf, and not expired. On success the mark is added to c.TrustMarks and
// the chain's expiry shortened to the mark's.
func (r *Resolver) CheckTrustMark(ctx context.Context, c *Chain, typ string, anchorKeys jwk.Set) error {
	issuers := c.AnchorConfiguration().TrustMarkIssuers[typ]
	var last error = fail(CodeTrustMarkInvalid, "%s carries no trust mark of type %q", c.Leaf, typ)
	for _, ref := range c.LeafConfiguration().TrustMarks {
		if ref.Type != typ && ref.ID != typ {
			continue
		}
		tm, err := r.checkMark(ctx, c, typ, ref.TrustMark, issuers, anchorKeys)
		if err != nil {
			last = err
			continue
		}
		c.TrustMarks = append(c.TrustMarks, tm)
		if !tm.ExpiresAt.IsZero() && tm.ExpiresAt.Before(c.ExpiresAt) {
			c.ExpiresAt = tm.ExpiresAt
		}
		return nil
	}
	return last
}

func (r *Resolver) checkMark(ctx context.Context, c *Chain, typ, raw string, issuers []string, anchorKeys jwk.Set) (TrustMark, error) {
	msg, err := jws.Parse([]byte(raw), jws.WithCompact())
	if err != nil || len(msg.Signatures()) != 1 {
		return TrustMark{}, fail(CodeTrustMarkInvalid, "the %q trust mark of %s is not a compact JWS", typ, c.Leaf)
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if h.Type() != TypeTrustMark || !slices.Contains(AllowedAlgs, h.Algorithm()) {
		return TrustMark{}, fail(CodeTrustMarkInvalid, "the %q trust mark of %s has typ %q and alg %q", typ, c.Leaf, h.Type(), h.Algorithm())
	}
	var cl trustMarkClaims
	if err := json.Unmarshal(msg.Payload(), &cl); err != nil {
		return TrustMark{}, errs.Wrap(CodeTrustMarkInvalid, "malformed trust mark claims", err)
	}
	if cl.Type == "" {
		cl.Type = cl.ID
	}
	if cl.Type != typ || cl.Subject != c.Leaf {
		return TrustMark{}, fail(CodeTrustMarkInvalid, "the trust mark is of type %q about %q, not %q about %q", cl.Type, cl.Subject, typ, c.Leaf)
	}
	if !slices.Contains(issuers, cl.Issuer) {
		return TrustMark{}, fail(CodeTrustMarkInvalid, "trust mark issuer %q is not recognised by the trust anchor %s for %q", cl.Issuer, c.Anchor, typ)
	}
	now := r.now()
	tm := TrustMark{Type: typ, Issuer: cl.Issuer}
	if cl.Expires != 0 {
		tm.ExpiresAt = time.Unix(cl.Expires, 0).UTC()
		if !now.Before(tm.ExpiresAt) {
			return TrustMark{}, fail(CodeTrustMarkInvalid, "the %q trust mark of %s expired at %s", typ, c.Leaf, tm.ExpiresAt.Format(time.RFC3339))
		}
	}
	var ikeys jwk.Set
	if cl.Issuer == c.Anchor {
		ikeys = anchorKeys
	} else {
		ic, err := r.Resolve(ctx, cl.Issuer, c.Anchor, anchorKeys)
		if err != nil {
			return TrustMark{}, errs.Wrap(CodeTrustMarkInvalid, "the chain of trust mark issuer "+cl.Issuer+" does not verify: "+messageOf(err), err)
		}
		ikeys = ic.LeafConfiguration().Keys()
		if ic.ExpiresAt.Before(c.ExpiresAt) {
			c.ExpiresAt = ic.ExpiresAt
		}
	}
	if err := verifyWith([]byte(raw), h, ikeys, "the trust mark of "+cl.Issuer); err != nil {
		return TrustMark{}, errs.Wrap(CodeTrustMarkInvalid, messageOf(err), err)
	}
	return tm, nil
}
