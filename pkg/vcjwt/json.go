package vcjwt

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/idport/idport/pkg/jsontext"
)

// maxJSONDepth bounds the nesting of JSON read on the verify path.
const maxJSONDepth = 100

// scanner is a small strict JSON reader for the verify path: no reflection,
// values decoded only where asked, others validated and skipped. It refuses
// duplicate member names in the objects it reads, invalid UTF-8, and nesting
// deeper than maxJSONDepth. Values decode as encoding/json would into any:
// map[string]any, []any, string, float64, bool, nil.
//
// It works on a string: unescaped strings and member names are substrings
// of the input and cost no allocation.
type scanner struct {
	b     string
	i     int
	depth int
}

func (s *scanner) fail(msg string) error {
	return fmt.Errorf("%w: JSON at offset %d: %s", ErrMalformed, s.i, msg)
}

// ws skips white space.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// end checks that only white space is left.
func (s *scanner) end() error {
	if s.ws(); s.i < len(s.b) {
		return s.fail("data after the top-level value")
	}
	return nil
}

// rawString reads a string: a substring of the input when it has no
// escapes, a decoded copy otherwise.
func (s *scanner) rawString() (string, error) {
	if s.peek() != '"' {
		return "", s.fail("want a string")
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		// Printable ASCII without quote or backslash needs no look.
		if s.i += jsontext.PlainRun(s.b[s.i:]); s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			out := s.b[start:s.i]
			s.i++
			return out, nil
		case c == '\\':
			return s.slowString(start)
		case c < 0x20:
			return "", s.fail("control character in a string")
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(s.b[s.i:])
			if r == utf8.RuneError && n == 1 {
				return "", s.fail("invalid UTF-8")
			}
			s.i += n
		default:
			s.i++
		}
	}
	return "", s.fail("unterminated string")
}

// slowString decodes a string with escapes, from start (after the quote).
func (s *scanner) slowString(start int) (string, error) {
	out := append(make([]byte, 0, s.i-start+16), s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return string(out), nil
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return "", s.fail("unterminated escape")
			}
			e := s.b[s.i+1]
			s.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := s.hex4()
				if !ok {
					return "", s.fail("bad \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
						save := s.i
						s.i += 2
						if r2, ok = s.hex4(); !ok {
							return "", s.fail("bad \\u escape")
						}
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							continue
						}
						s.i = save
					}
					r = utf8.RuneError // a lone surrogate, as encoding/json does
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", s.fail("bad escape")
			}
		case c < 0x20:
			return "", s.fail("control character in a string")
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(s.b[s.i:])
			if r == utf8.RuneError && n == 1 {
				return "", s.fail("invalid UTF-8")
			}
			out = append(out, s.b[s.i:s.i+n]...)
			s.i += n
		default:
			out = append(out, c)
			s.i++
		}
	}
	return "", s.fail("unterminated string")
}

// hex4 reads four hex digits.
func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s.b[s.i : s.i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// str reads a string value.
func (s *scanner) str() (string, error) { return s.rawString() }

// number reads a JSON number as float64.
func (s *scanner) number() (float64, error) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return 0, s.fail("want a number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return 0, s.fail("want digits after '.'")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return 0, s.fail("want digits in the exponent")
		}
	}
	f, err := strconv.ParseFloat(s.b[start:s.i], 64)
	if err != nil {
		return 0, s.fail("number out of range")
	}
	return f, nil
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// literal reads true, false or null.
func (s *scanner) literal() (any, error) {
	for _, l := range []struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(s.b)-s.i >= len(l.text) && s.b[s.i:s.i+len(l.text)] == l.text {
			s.i += len(l.text)
			return l.v, nil
		}
	}
	return nil, s.fail("invalid literal")
}

// object walks the members of an object, calling fn with each name; fn
// must read or skip the member's value.
// Duplicate names are refused.
func (s *scanner) object(fn func(name string) error) error {
	if s.peek() != '{' {
		return s.fail("want an object")
	}
	if s.depth++; s.depth > maxJSONDepth {
		return s.fail("nested too deep")
	}
	s.i++
	var seen jsontext.Names // linear however many members the object has
	if s.peek() == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		name, err := s.rawString()
		if err != nil {
			return err
		}
		if !seen.Add(name) {
			return s.fail(fmt.Sprintf("duplicate member %q", name))
		}
		if s.peek() != ':' {
			return s.fail("want ':'")
		}
		s.i++
		if err := fn(name); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return nil
		default:
			return s.fail("want ',' or '}'")
		}
	}
}

// array walks the elements of an array; fn must read or skip each.
func (s *scanner) array(fn func() error) error {
	if s.peek() != '[' {
		return s.fail("want an array")
	}
	if s.depth++; s.depth > maxJSONDepth {
		return s.fail("nested too deep")
	}
	s.i++
	if s.peek() == ']' {
		s.i++
		s.depth--
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return nil
		default:
			return s.fail("want ',' or ']'")
		}
	}
}

// value decodes any JSON value.
func (s *scanner) value() (any, error) {
	switch c := s.peek(); {
	case c == '{':
		return s.objectValue()
	case c == '[':
		list := []any{}
		err := s.array(func() error {
			v, err := s.value()
			list = append(list, v)
			return err
		})
		return list, err
	case c == '"':
		return s.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't' || c == 'f' || c == 'n':
		return s.literal()
	}
	return nil, s.fail("want a value")
}

// objectValue decodes an object into a map; the map itself catches
// repeated names.
func (s *scanner) objectValue() (map[string]any, error) {
	if s.depth++; s.depth > maxJSONDepth {
		return nil, s.fail("nested too deep")
	}
	s.i++ // '{'
	m := make(map[string]any)
	if s.peek() == '}' {
		s.i++
		s.depth--
		return m, nil
	}
	for {
		name, err := s.rawString()
		if err != nil {
			return nil, err
		}
		if _, dup := m[name]; dup {
			return nil, s.fail(fmt.Sprintf("duplicate member %q", name))
		}
		if s.peek() != ':' {
			return nil, s.fail("want ':'")
		}
		s.i++
		if m[name], err = s.value(); err != nil {
			return nil, err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return m, nil
		default:
			return nil, s.fail("want ',' or '}'")
		}
	}
}

// skip validates and skips a value.
func (s *scanner) skip() error {
	switch c := s.peek(); {
	case c == '{':
		return s.object(func(string) error { return s.skip() })
	case c == '[':
		return s.array(s.skip)
	case c == '"':
		_, err := s.rawString()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := s.number()
		return err
	case c == 't' || c == 'f' || c == 'n':
		_, err := s.literal()
		return err
	}
	return s.fail("want a value")
}

// strings reads a string or an array of strings.
func (s *scanner) strings() ([]string, error) {
	if s.peek() == '"' {
		v, err := s.str()
		return []string{v}, err
	}
	var out []string
	err := s.array(func() error {
		v, err := s.str()
		if out == nil {
			out = make([]string, 0, 2) // arrays of types hold two most of the time
		}
		out = append(out, v)
		return err
	})
	return out, err
}

// idRef reads a URL given as a string or as an object with an id.
func (s *scanner) idRef() (string, error) {
	if s.peek() == '"' {
		return s.str()
	}
	var id string
	err := s.object(func(name string) error {
		if name == "id" {
			var err error
			id, err = s.str()
			return err
		}
		return s.skip()
	})
	return id, err
}
