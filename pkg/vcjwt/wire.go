package vcjwt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/idport/idport/pkg/vc"
)

// strList is a JSON string or array of strings.
type strList []string

func (s *strList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = strList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("%w: want a string or an array of strings", ErrMalformed)
	}
	*s = many
	return nil
}

// idRef is a URL given as a string or as an object with an id (issuer, holder).
type idRef string

func (r *idRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		*r = idRef(o.ID)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: want a URL or an object with an id", ErrMalformed)
	}
	*r = idRef(s)
	return nil
}

// numericDate is a JWT NumericDate (seconds since the epoch, may be fractional).
type numericDate float64

// time converts a NumericDate; nil gives the zero time.
func (n *numericDate) time() time.Time {
	if n == nil {
		return time.Time{}
	}
	sec, frac := math.Modf(float64(*n))
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// credWire is the credential members the verify path reads (VC 1.1 in a vc
// claim, or VC 2.0 as a VC-JOSE payload), decoded into a struct.
type credWire struct {
	Context        []json.RawMessage `json:"@context"`
	ID             string            `json:"id"`
	Type           strList           `json:"type"`
	Issuer         idRef             `json:"issuer"`
	ValidFrom      string            `json:"validFrom"`
	ValidUntil     string            `json:"validUntil"`
	IssuanceDate   string            `json:"issuanceDate"`
	ExpirationDate string            `json:"expirationDate"`
	Subject        json.RawMessage   `json:"credentialSubject"`
	Status         json.RawMessage   `json:"credentialStatus"`
}

// jwtClaims are the registered JWT claims, plus the vc and cnf claims.
type jwtClaims struct {
	Iss string       `json:"iss"`
	Sub string       `json:"sub"`
	Jti string       `json:"jti"`
	Iat *numericDate `json:"iat"`
	Nbf *numericDate `json:"nbf"`
	Exp *numericDate `json:"exp"`
}

// contextVersion returns the data model version from the first @context entry.
func contextVersion(ctx []json.RawMessage) int {
	if len(ctx) == 0 {
		return 0
	}
	switch string(bytes.TrimSpace(ctx[0])) {
	case `"` + vc.ContextV2 + `"`:
		return 2
	case `"` + vc.ContextV1 + `"`:
		return 1
	}
	return 0
}

// check applies the data model rules the lean path enforces.
func (c *credWire) check(wantVersion int) error {
	v := contextVersion(c.Context)
	if v == 0 {
		return fmt.Errorf("%w: credential @context must start with a VC base context", ErrMalformed)
	}
	if wantVersion != 0 && v != wantVersion {
		return fmt.Errorf("%w: VC %d.x credential where VC %d.x is expected", ErrUnsupportedFormat, v, wantVersion)
	}
	if !contains(c.Type, vc.TypeCredential) {
		return fmt.Errorf("%w: credential type must include %s", ErrMalformed, vc.TypeCredential)
	}
	if c.Issuer == "" {
		return fmt.Errorf("%w: credential has no issuer", ErrMalformed)
	}
	if len(c.Subject) == 0 {
		return fmt.Errorf("%w: credential has no credentialSubject", ErrMalformed)
	}
	return nil
}

// fill copies the credential members into v.
func (c *credWire) fill(v *Verified) error {
	v.ID = c.ID
	v.Types = c.Type
	if v.Issuer == "" {
		v.Issuer = string(c.Issuer)
	} else if string(c.Issuer) != v.Issuer {
		return fmt.Errorf("%w: iss %q and credential issuer %q differ", ErrMalformed, v.Issuer, c.Issuer)
	}
	from, until := c.ValidFrom, c.ValidUntil
	if from == "" {
		from, until = c.IssuanceDate, c.ExpirationDate
	}
	for _, d := range []struct {
		s   string
		dst *time.Time
	}{{from, &v.NotBefore}, {until, &v.Expiry}} {
		if d.s == "" {
			continue
		}
		t, err := vc.ParseTime(d.s)
		if err != nil {
			return fmt.Errorf("%w: credential date %q: %w", ErrMalformed, d.s, err)
		}
		*d.dst = t
	}
	subj, err := firstObject(c.Subject, "credentialSubject")
	if err != nil {
		return err
	}
	if id, ok := subj["id"].(string); ok {
		v.Subject = id
		delete(subj, "id")
	}
	v.Claims = subj
	if len(c.Status) > 0 {
		if v.Status, err = decodeStatus(c.Status); err != nil {
			return err
		}
	}
	return nil
}

// firstObject decodes an object, or the first object of an array.
func firstObject(raw json.RawMessage, name string) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var list []map[string]any
		if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 || list[0] == nil {
			return nil, fmt.Errorf("%w: %s must be an object or a non-empty array of objects", ErrMalformed, name)
		}
		return list[0], nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: %s must be an object", ErrMalformed, name)
	}
	return m, nil
}

// decodeStatus reads credentialStatus entries (Bitstring Status List and others).
func decodeStatus(raw json.RawMessage) ([]StatusRef, error) {
	raw = bytes.TrimSpace(raw)
	var list []map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		raw = append(append([]byte{'['}, raw...), ']')
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%w: credentialStatus: %w", ErrMalformed, err)
	}
	out := make([]StatusRef, 0, len(list))
	for i, e := range list {
		if e == nil {
			return nil, fmt.Errorf("%w: credentialStatus[%d] is null", ErrMalformed, i)
		}
		r := StatusRef{Raw: e, Index: -1}
		r.ID, _ = e["id"].(string)
		r.Type, _ = e["type"].(string)
		r.Purpose, _ = e["statusPurpose"].(string)
		r.URI, _ = e["statusListCredential"].(string)
		switch idx := e["statusListIndex"].(type) {
		case string:
			n, err := strconv.Atoi(idx)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: credentialStatus[%d].statusListIndex %q", ErrMalformed, i, idx)
			}
			r.Index = n
		case float64:
			if idx < 0 || idx != math.Trunc(idx) || idx > math.MaxInt32 {
				return nil, fmt.Errorf("%w: credentialStatus[%d].statusListIndex %v", ErrMalformed, i, idx)
			}
			r.Index = int(idx)
		}
		out = append(out, r)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
