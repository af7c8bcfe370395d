package statuslist

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
)

// Status purposes of the Bitstring Status List.
const (
	PurposeRevocation = "revocation"
	PurposeSuspension = "suspension"
)

// Types of the Bitstring Status List (and of its predecessor, StatusList2021,
// which verifiers still read).
const (
	TypeBitstringCredential  = "BitstringStatusListCredential"
	TypeBitstringList        = "BitstringStatusList"
	TypeBitstringEntry       = "BitstringStatusListEntry"
	typeStatusList2021Cred   = "StatusList2021Credential"
	typeStatusList2021       = "StatusList2021"
	typeMediaVCJWT           = "application/vc+jwt"
	typeMediaStatusListJWT   = "application/statuslist+jwt"
	typStatusListJWT         = "statuslist+jwt"
	defaultTokenValidity     = 24 * time.Hour
	defaultBitstringValidity = 24 * time.Hour
)

// BitstringParams describes a Bitstring Status List credential.
type BitstringParams struct {
	// Issuer is the issuer (a DID).
	Issuer string
	// ID is the URL the list credential is published at; the subject id is
	// ID + "#list".
	ID string
	// Purpose is the statusPurpose (revocation or suspension).
	Purpose string
	// List is the bitstring.
	List *Bitstring
	// ValidFrom is validFrom (default now).
	ValidFrom time.Time
	// ValidUntil is validUntil (zero: none).
	ValidUntil time.Time
	// TTL, when positive, is written as credentialSubject.ttl (milliseconds):
	// how long verifiers may cache the list.
	TTL time.Duration
}

// BitstringCredential builds an unsigned VC 2.0 BitstringStatusListCredential.
// Marshal it with encoding/json and secure it with any proof (a Data
// Integrity proof through pkg/vcld, or SignBitstringCredential's vc+jwt).
func BitstringCredential(p BitstringParams) (*vc.Credential, error) {
	if p.Purpose != PurposeRevocation && p.Purpose != PurposeSuspension {
		return nil, fmt.Errorf("statuslist: statusPurpose %q (want revocation or suspension)", p.Purpose)
	}
	if p.List == nil {
		return nil, fmt.Errorf("statuslist: no list")
	}
	if !vc.IsURL(p.ID) || !vc.IsURL(p.Issuer) {
		return nil, fmt.Errorf("statuslist: list id %q and issuer %q must be URLs", p.ID, p.Issuer)
	}
	enc, err := p.List.Encode()
	if err != nil {
		return nil, err
	}
	from := p.ValidFrom
	if from.IsZero() {
		from = time.Now()
	}
	from = from.UTC().Truncate(time.Second)
	subject := map[string]any{
		"id":            p.ID + "#list",
		"type":          TypeBitstringList,
		"statusPurpose": p.Purpose,
		"encodedList":   enc,
	}
	if p.TTL > 0 {
		subject["ttl"] = p.TTL.Milliseconds()
	}
	doc := map[string]any{
		"@context":          []any{vc.ContextV2},
		"id":                p.ID,
		"type":              []string{vc.TypeCredential, TypeBitstringCredential},
		"issuer":            p.Issuer,
		"validFrom":         vc.FormatTime(from),
		"credentialSubject": subject, // an object, as peers expect, not an array
	}
	if !p.ValidUntil.IsZero() {
		doc["validUntil"] = vc.FormatTime(p.ValidUntil.UTC().Truncate(time.Second))
	}
	// Going through ParseCredential validates the result and makes the
	// returned value marshal with the same shapes (single subject object).
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("statuslist: list credential: %w", err)
	}
	c, err := vc.ParseCredential(b)
	if err != nil {
		return nil, fmt.Errorf("statuslist: list credential: %w", err)
	}
	return c, nil
}

// SignBitstringCredential builds the list credential for list (valid from
// now for validity, default 24 h) and secures it as VC-JOSE-COSE: a compact
// JWS with typ vc+jwt, cty vc and the credential as payload, signed by k
// (kid: k.ID, made absolute against the issuer DID when relative).
func SignBitstringCredential(k *keys.Key, issuer, id, purpose string, list *Bitstring, validity time.Duration) (string, error) {
	if validity <= 0 {
		validity = defaultBitstringValidity
	}
	now := time.Now()
	c, err := BitstringCredential(BitstringParams{
		Issuer: issuer, ID: id, Purpose: purpose, List: list,
		ValidFrom: now, ValidUntil: now.Add(validity),
	})
	if err != nil {
		return "", err
	}
	jwt, err := vcjwt.SignVCJOSE(k, c)
	if err != nil {
		return "", fmt.Errorf("statuslist: sign list credential: %w", err)
	}
	return jwt, nil
}

// ListCredential is a decoded Bitstring Status List credential.
type ListCredential struct {
	// ID is the credential id ("" when absent).
	ID string
	// Issuer is the issuer id.
	Issuer string
	// Purposes lists the statusPurpose values.
	Purposes []string
	// ValidFrom and ValidUntil are the validity dates (zero when absent).
	ValidFrom, ValidUntil time.Time
	// TTL is credentialSubject.ttl (zero when absent).
	TTL time.Duration
	// List is the decoded bitstring.
	List *Bitstring
}

// HasPurpose reports whether the list serves purpose.
func (l *ListCredential) HasPurpose(purpose string) bool { return slices.Contains(l.Purposes, purpose) }

// ParseBitstringCredential decodes the JSON of a BitstringStatusListCredential
// (or a StatusList2021Credential) whose proof the caller has checked: VC data
// model, types, statusPurpose, ttl and encodedList. It does not check dates.
func ParseBitstringCredential(b []byte) (*ListCredential, error) {
	c, err := vc.ParseCredential(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidList, err)
	}
	if !slices.Contains(c.Type, TypeBitstringCredential) && !slices.Contains(c.Type, typeStatusList2021Cred) {
		return nil, invalidf("credential type %v is not %s", c.Type, TypeBitstringCredential)
	}
	if len(c.Subject) != 1 {
		return nil, invalidf("list credential has %d subjects, want 1", len(c.Subject))
	}
	s := c.Subject[0]
	if t, _ := s["type"].(string); t != TypeBitstringList && t != typeStatusList2021 {
		return nil, invalidf("credentialSubject.type %v is not %s", s["type"], TypeBitstringList)
	}
	out := &ListCredential{ID: c.ID, Issuer: c.Issuer.ID}
	switch p := s["statusPurpose"].(type) {
	case string:
		out.Purposes = []string{p}
	case []any:
		for _, e := range p {
			str, ok := e.(string)
			if !ok {
				return nil, invalidf("statusPurpose holds a non-string")
			}
			out.Purposes = append(out.Purposes, str)
		}
	}
	if len(out.Purposes) == 0 {
		return nil, invalidf("credentialSubject.statusPurpose is missing")
	}
	if ttl, ok := s["ttl"]; ok {
		ms, isNum := ttl.(float64)
		if !isNum || ms < 0 || ms > float64(365*24*time.Hour/time.Millisecond) {
			return nil, invalidf("credentialSubject.ttl %v is not a number of milliseconds", ttl)
		}
		out.TTL = time.Duration(ms) * time.Millisecond
	}
	enc, _ := s["encodedList"].(string)
	if t, _ := s["type"].(string); t == typeStatusList2021 && strings.HasPrefix(enc, "H4sI") {
		// StatusList2021 lists carry base64url GZIP without the multibase
		// prefix; "H4sI" is the encoding of the GZIP magic bytes.
		enc = "u" + enc
	}
	if out.List, err = DecodeBitstring(enc); err != nil {
		return nil, err
	}
	if c.ValidFrom != nil {
		out.ValidFrom = *c.ValidFrom
	}
	if c.ValidUntil != nil {
		out.ValidUntil = *c.ValidUntil
	}
	return out, nil
}
