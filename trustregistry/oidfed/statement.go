package oidfed

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// JOSE types of the specification.
const (
	TypeEntityStatement = "entity-statement+jwt"
	TypeTrustMark       = "trust-mark+jwt"
)

// AllowedAlgs are the signature algorithms accepted on federation statements and trust marks.
var AllowedAlgs = []jwa.SignatureAlgorithm{jwa.ES256, jwa.EdDSA, jwa.RS256}

// Policy is a metadata policy: entity type -> metadata parameter -> operator -> value.
type Policy map[string]map[string]map[string]any

// TrustMarkRef is a trust mark carried in an entity configuration.
type TrustMarkRef struct {
	Type      string `json:"trust_mark_type"`
	ID        string `json:"id,omitempty"` // the draft name of trust_mark_type
	TrustMark string `json:"trust_mark"`
}

// Statement is an entity statement: an entity configuration (iss == sub) or a subordinate
// statement (iss is the superior of sub).
type Statement struct {
	Issuer           string                    `json:"iss"`
	Subject          string                    `json:"sub"`
	IssuedAt         int64                     `json:"iat"`
	Expires          int64                     `json:"exp"`
	JWKS             json.RawMessage           `json:"jwks,omitempty"`
	AuthorityHints   []string                  `json:"authority_hints,omitempty"`
	Metadata         map[string]map[string]any `json:"metadata,omitempty"`
	MetadataPolicy   Policy                    `json:"metadata_policy,omitempty"`
	TrustMarks       []TrustMarkRef            `json:"trust_marks,omitempty"`
	TrustMarkIssuers map[string][]string       `json:"trust_mark_issuers,omitempty"`
	// Raw is the compact JWS the statement was read from.
	Raw string `json:"-"`

	keys jwk.Set
}

// ExpiresAt returns the statement's exp as a time.
func (s *Statement) ExpiresAt() time.Time { return time.Unix(s.Expires, 0).UTC() }

// Keys returns the statement's jwks (the subject's federation keys).
func (s *Statement) Keys() jwk.Set { return s.keys }

// FetchEndpoint returns the federation_fetch_endpoint of an entity configuration, or "".
func (s *Statement) FetchEndpoint() string {
	fe, _ := s.Metadata["federation_entity"]["federation_fetch_endpoint"].(string)
	return fe
}

// parseStatement decodes a compact JWS of typ want without checking its signature, and parses
// the jwks it carries. The signature is checked by verifyWith once the signer's keys are known.
func parseStatement(raw []byte, want string) (*Statement, jws.Headers, error) {
	msg, err := jws.Parse(raw, jws.WithCompact())
	if err != nil {
		return nil, nil, errs.Wrap(CodeStatementInvalid, "a federation statement is not a compact JWS", err)
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return nil, nil, fail(CodeStatementInvalid, "a federation statement must carry one signature")
	}
	h := sigs[0].ProtectedHeaders()
	if h.Type() != want {
		return nil, nil, fail(CodeStatementInvalid, "statement typ is %q, want %q", h.Type(), want)
	}
	if !slices.Contains(AllowedAlgs, h.Algorithm()) {
		return nil, nil, fail(CodeStatementInvalid, "statement algorithm %q is not allowed (ES256, EdDSA, RS256)", h.Algorithm())
	}
	if h.KeyID() == "" {
		return nil, nil, fail(CodeStatementInvalid, "statement header has no kid")
	}
	var st Statement
	if err := json.Unmarshal(msg.Payload(), &st); err != nil {
		return nil, nil, errs.Wrap(CodeStatementInvalid, "malformed statement claims", err)
	}
	if st.Issuer == "" || st.Subject == "" || st.IssuedAt == 0 || st.Expires == 0 {
		return nil, nil, fail(CodeStatementInvalid, "statement lacks iss, sub, iat or exp")
	}
	if len(st.JWKS) > 0 {
		set, err := jwk.Parse(st.JWKS)
		if err != nil {
			return nil, nil, errs.Wrap(CodeStatementInvalid, fmt.Sprintf("statement about %s carries a malformed jwks", st.Subject), err)
		}
		st.keys = set
	}
	st.Raw = string(raw)
	return &st, h, nil
}

// verifyWith checks raw's signature with the key of set named by the header's kid.
func verifyWith(raw []byte, h jws.Headers, set jwk.Set, what string) error {
	if set == nil {
		return fail(CodeStatementInvalid, "no keys to verify %s", what)
	}
	k, ok := set.LookupKeyID(h.KeyID())
	if !ok {
		return fail(CodeStatementInvalid, "%s is signed with kid %q, not a key of its issuer", what, h.KeyID())
	}
	if _, err := jws.Verify(raw, jws.WithKey(h.Algorithm(), k)); err != nil {
		return errs.Wrap(CodeStatementInvalid, fmt.Sprintf("the signature of %s does not verify", what), err)
	}
	return nil
}

// checkTime refuses a statement outside [iat - skew, exp).
func checkTime(s *Statement, now time.Time, skew time.Duration, what string) error {
	if !now.Before(s.ExpiresAt()) {
		return fail(CodeStatementExpired, "%s expired at %s", what, s.ExpiresAt().Format(time.RFC3339))
	}
	if time.Unix(s.IssuedAt, 0).After(now.Add(skew)) {
		return fail(CodeStatementExpired, "%s is issued in the future (%s)", what, time.Unix(s.IssuedAt, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

// VerifyStatement reads a compact entity statement (typ entity-statement+jwt), checks its
// signature with the key of keys its kid names (the issuer's keys: a pinned trust anchor key, or
// the jwks of the issuer's verified entity configuration) and its iat/exp at now, tolerating skew
// on iat. It is what a consumer of the registry's federation export runs on each statement.
func VerifyStatement(raw []byte, keys jwk.Set, now time.Time, skew time.Duration) (*Statement, error) {
	st, h, err := parseStatement(raw, TypeEntityStatement)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("the statement of %s about %s", st.Issuer, st.Subject)
	if err := verifyWith(raw, h, keys, what); err != nil {
		return nil, err
	}
	if err := checkTime(st, now, skew, what); err != nil {
		return nil, err
	}
	return st, nil
}
