package jsontext

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Decode reads b, one JSON value with optional white space around it, into
// the value encoding/json.Unmarshal gives an interface (map[string]any,
// []any, string, float64, bool, nil), in one pass. ok is false for invalid
// JSON, for nesting deeper than maxDepth (objects and arrays), for a number
// encoding/json refuses (out of range) and, when unique is set, for an
// object holding a name twice; callers then decode b with encoding/json,
// which reports the error, or refuse it. Without unique, a repeated name
// takes the last value, as with encoding/json.
//
// With unique, names are compared as pkg/vcld's duplicate check compares
// them: as written unless they have escapes (a name with invalid UTF-8 is
// kept as written there, while the map key gets encoding/json's
// replacement characters). Strings with escapes or invalid UTF-8 are
// decoded by encoding/json.
//
// The strings of the value (names included) share one copy of b: holding
// any of them holds all of b.
func Decode(b []byte, maxDepth int, unique bool) (v any, ok bool) {
	r := jsonReader{b: b, src: string(b), max: maxDepth, unique: unique}
	r.space()
	if v, ok = r.value(); !ok {
		return nil, false
	}
	r.space()
	if r.i != len(b) {
		return nil, false
	}
	return v, true
}

type jsonReader struct {
	b          []byte
	src        string // b, for strings without escapes
	i          int
	depth, max int
	unique     bool
}

func (r *jsonReader) space() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *jsonReader) value() (any, bool) {
	if r.i >= len(r.b) {
		return nil, false
	}
	switch c := r.b[r.i]; {
	case c == '{':
		return r.object()
	case c == '[':
		return r.array()
	case c == '"':
		s, _, ok := r.str()
		return s, ok
	case c == 't':
		return true, r.literal("true")
	case c == 'f':
		return false, r.literal("false")
	case c == 'n':
		return nil, r.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	}
	return nil, false
}

func (r *jsonReader) literal(lit string) bool {
	if len(r.b)-r.i < len(lit) || string(r.b[r.i:r.i+len(lit)]) != lit {
		return false
	}
	r.i += len(lit)
	return true
}

// number reads a JSON number as encoding/json decodes it into an
// interface: strconv.ParseFloat, refused when out of range.
func (r *jsonReader) number() (any, bool) {
	start := r.i
	digits := func() int {
		n := 0
		for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if r.b[r.i] == '-' {
		r.i++
	}
	if r.i < len(r.b) && r.b[r.i] == '0' {
		r.i++
	} else if digits() == 0 {
		return nil, false
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	f, err := strconv.ParseFloat(string(r.b[start:r.i]), 64)
	if err != nil {
		return nil, false
	}
	return f, true
}

// str reads a string. raw is checkDepth's identity of a member name: the
// bytes as they are unless the string has escapes.
func (r *jsonReader) str() (s, raw string, ok bool) {
	start := r.i
	r.i++
	escaped, ascii := false, true
	for {
		if r.i >= len(r.b) {
			return "", "", false
		}
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			content := r.b[start+1 : r.i-1]
			if escaped || !ascii && !utf8.Valid(content) {
				if err := json.Unmarshal(r.b[start:r.i], &s); err != nil {
					return "", "", false
				}
				if escaped {
					return s, s, true
				}
				return s, string(content), true
			}
			s = r.src[start+1 : r.i-1]
			return s, s, true
		case c == '\\':
			escaped = true
			r.i += 2
		case c < 0x20:
			return "", "", false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			r.i++
		}
	}
}

func (r *jsonReader) enter() bool {
	if r.depth >= r.max {
		return false
	}
	r.depth++
	r.i++
	r.space()
	return true
}

func (r *jsonReader) object() (any, bool) {
	if !r.enter() {
		return nil, false
	}
	m := make(map[string]any)
	if r.i < len(r.b) && r.b[r.i] == '}' {
		r.i++
		r.depth--
		return m, true
	}
	var names Names
	for {
		if r.i >= len(r.b) || r.b[r.i] != '"' {
			return nil, false
		}
		k, raw, ok := r.str()
		if !ok || r.unique && !names.Add(raw) {
			return nil, false
		}
		r.space()
		if r.i >= len(r.b) || r.b[r.i] != ':' {
			return nil, false
		}
		r.i++
		r.space()
		v, ok := r.value()
		if !ok {
			return nil, false
		}
		m[k] = v
		r.space()
		if r.i >= len(r.b) {
			return nil, false
		}
		switch r.b[r.i] {
		case ',':
			r.i++
			r.space()
		case '}':
			r.i++
			r.depth--
			return m, true
		default:
			return nil, false
		}
	}
}

func (r *jsonReader) array() (any, bool) {
	if !r.enter() {
		return nil, false
	}
	a := make([]any, 0, 4)
	if r.i < len(r.b) && r.b[r.i] == ']' {
		r.i++
		r.depth--
		return a, true
	}
	for {
		v, ok := r.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		r.space()
		if r.i >= len(r.b) {
			return nil, false
		}
		switch r.b[r.i] {
		case ',':
			r.i++
			r.space()
		case ']':
			r.i++
			r.depth--
			return a, true
		default:
			return nil, false
		}
	}
}
