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

// UnmarshalJSON reads a string or an array of strings.
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

// UnmarshalJSON reads a URL string or an object with an id.
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

// Bounds of the NumericDates time converts exactly: years 1 to 9999 (RFC 3339's range), the
// first second of year 1 left out since it is the zero time, which stands for "absent". A value
// beyond them stands for the bound, so that a date far in the future stays in the future and
// one far in the past in the past: converted as it is, a float64 beyond int64 seconds gives an
// implementation-defined integer (a nbf of 1e19 became a date in the far past, and the
// credential valid at once).
const (
	minNumericDate = -62135596799 // 0001-01-01T00:00:01Z
	maxNumericDate = 253402300799 // 9999-12-31T23:59:59Z
)

// time converts a NumericDate; nil gives the zero time.
func (n *numericDate) time() time.Time {
	if n == nil {
		return time.Time{}
	}
	f := float64(*n)
	switch {
	case f >= maxNumericDate:
		return time.Unix(maxNumericDate, 0).UTC()
	case f <= minNumericDate:
		return time.Unix(minNumericDate, 0).UTC()
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// credWire is the credential members the verify path reads (VC 1.1 in a vc
// claim, or VC 2.0 as a VC-JOSE payload).
type credWire struct {
	version                                             int // from @context[0]; 0 when unknown
	hasContext, hasSubject                              bool
	ID                                                  string
	Type                                                []string
	Issuer                                              string
	ValidFrom, ValidUntil, IssuanceDate, ExpirationDate string
	Subject                                             map[string]any // the first subject
	Status                                              []StatusRef
}

// member reads the credential member name, if it is one we use.
func (c *credWire) member(s *scanner, name string) (bool, error) {
	var err error
	switch name {
	case "@context":
		c.hasContext = true
		c.version, err = readContext(s)
	case "id":
		c.ID, err = s.str()
	case "type":
		c.Type, err = s.strings()
	case "issuer":
		c.Issuer, err = s.idRef()
	case "validFrom":
		c.ValidFrom, err = s.str()
	case "validUntil":
		c.ValidUntil, err = s.str()
	case "issuanceDate":
		c.IssuanceDate, err = s.str()
	case "expirationDate":
		c.ExpirationDate, err = s.str()
	case "credentialSubject":
		c.hasSubject = true
		c.Subject, err = readFirstObject(s, "credentialSubject")
	case "credentialStatus":
		c.Status, err = readStatus(s)
	default:
		return false, nil
	}
	return true, err
}

// readContext reads @context and returns the version its first entry names.
func readContext(s *scanner) (int, error) {
	version, first := 0, true
	read := func() error {
		if first && s.peek() == '"' {
			first = false
			v, err := s.rawString()
			switch string(v) {
			case vc.ContextV2:
				version = 2
			case vc.ContextV1:
				version = 1
			}
			return err
		}
		first = false
		return s.skip()
	}
	if s.peek() == '[' {
		return version, s.array(read)
	}
	return version, read()
}

// readFirstObject reads an object, or an array of objects and keeps the first.
func readFirstObject(s *scanner, name string) (map[string]any, error) {
	var first map[string]any
	read := func() error {
		v, err := s.value()
		if err != nil {
			return err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%w: %s must hold objects", ErrMalformed, name)
		}
		if first == nil {
			first = m
		}
		return nil
	}
	var err error
	if s.peek() == '[' {
		err = s.array(read)
	} else {
		err = read()
	}
	if err == nil && first == nil {
		err = fmt.Errorf("%w: %s is empty", ErrMalformed, name)
	}
	return first, err
}

// jwtClaims are the registered JWT claims.
type jwtClaims struct {
	Iss string       `json:"iss"`
	Sub string       `json:"sub"`
	Jti string       `json:"jti"`
	Iat *numericDate `json:"iat"`
	Nbf *numericDate `json:"nbf"`
	Exp *numericDate `json:"exp"`
}

// member reads a registered JWT claim, if name is one.
func (j *jwtClaims) member(s *scanner, name string) (bool, error) {
	var err error
	readDate := func() (*numericDate, error) {
		f, err := s.number()
		n := numericDate(f)
		return &n, err
	}
	switch name {
	case "iss":
		j.Iss, err = s.str()
	case "sub":
		j.Sub, err = s.str()
	case "jti":
		j.Jti, err = s.str()
	case "iat":
		j.Iat, err = readDate()
	case "nbf":
		j.Nbf, err = readDate()
	case "exp":
		j.Exp, err = readDate()
	default:
		return false, nil
	}
	return true, err
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
	v := c.version
	if !c.hasContext || v == 0 {
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
	if !c.hasSubject {
		return fmt.Errorf("%w: credential has no credentialSubject", ErrMalformed)
	}
	return nil
}

// fill copies the credential members into v.
func (c *credWire) fill(v *Verified) error {
	v.ID = c.ID
	v.Types = c.Type
	if v.Issuer == "" {
		v.Issuer = c.Issuer
	} else if c.Issuer != v.Issuer {
		return fmt.Errorf("%w: iss %q and credential issuer %q differ", ErrMalformed, v.Issuer, c.Issuer)
	}
	// The dates are read under the names of the credential's version, as pkg/vc reads them:
	// validFrom and validUntil are each optional in VC 2.0, so one never stands for the other.
	from, until := c.ValidFrom, c.ValidUntil
	if c.version == 1 {
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
	subj := c.Subject
	if id, ok := subj["id"].(string); ok {
		v.Subject = id
		delete(subj, "id")
	}
	v.Claims = subj
	v.Status = c.Status
	return nil
}

// readStatus reads credentialStatus entries (Bitstring Status List and
// others) into their typed fields, without decoding an entry into a map: the
// entry's JSON text is kept for StatusRef.Raw. It reads what decoding the
// entry as any and taking its members would (readStatusReference in the
// tests): a member of another JSON type than expected is left out, except a
// statusListIndex that is neither a string nor a number, which is ignored.
func readStatus(s *scanner) ([]StatusRef, error) {
	var out []StatusRef
	read := func() error {
		if s.peek() != '{' {
			if err := s.skip(); err != nil {
				return err
			}
			return fmt.Errorf("%w: credentialStatus entries must be objects", ErrMalformed)
		}
		start := s.i
		r := StatusRef{Index: -1}
		// str reads a string member; a value of another type is validated
		// and leaves dst empty, as the type assertion on the decoded map did.
		str := func(dst *string) error {
			if s.peek() != '"' {
				*dst = ""
				return s.skip()
			}
			v, err := s.rawString()
			*dst = v
			return err
		}
		// The scanner refuses repeated names: each member is read once, and
		// the index checked as it is read.
		err := s.object(func(name string) error {
			switch name {
			case "id":
				return str(&r.ID)
			case "type":
				return str(&r.Type)
			case "statusPurpose":
				return str(&r.Purpose)
			case "statusListCredential":
				return str(&r.URI)
			case "statusListIndex":
				switch c := s.peek(); {
				case c == '"':
					v, err := s.rawString()
					if err != nil {
						return err
					}
					r.Index, err = statusIndexString(v)
					return err
				case c == '-' || (c >= '0' && c <= '9'):
					f, err := s.number()
					if err != nil {
						return err
					}
					r.Index, err = statusIndexNumber(f)
					return err
				}
			}
			return s.skip()
		})
		if err != nil {
			return err
		}
		r.raw = s.b[start:s.i]
		if out == nil {
			out = make([]StatusRef, 0, 2) // a revocation and a suspension entry, often
		}
		out = append(out, r)
		return nil
	}
	if s.peek() == '[' {
		return out, s.array(read)
	}
	return out, read()
}

// statusIndexString reads a statusListIndex given as a string: a decimal
// integer, not negative.
func statusIndexString(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: statusListIndex %q", ErrMalformed, v)
	}
	return n, nil
}

// statusIndexNumber reads a statusListIndex given as a JSON number: a whole
// number from 0 to math.MaxInt32.
func statusIndexNumber(f float64) (int, error) {
	if f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, fmt.Errorf("%w: statusListIndex %v", ErrMalformed, f)
	}
	return int(f), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
