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
	r := jsonReader{scanner: scanner{b: b}, src: string(b), max: maxDepth, unique: unique}
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
	scanner
	src        string // b, for strings without escapes
	depth, max int
	unique     bool
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
		return r.float()
	}
	return nil, false
}

// float reads a JSON number as encoding/json decodes it into an
// interface: strconv.ParseFloat, refused when out of range.
func (r *jsonReader) float() (any, bool) {
	start := r.i
	if !r.number() {
		return nil, false
	}
	f, err := strconv.ParseFloat(r.src[start:r.i], 64)
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
				return s, r.src[start+1 : r.i-1], true
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

// enter passes over the '{' or '[' at the cursor (see scanner.open),
// within the depth limit.
func (r *jsonReader) enter(close byte) (empty, ok bool) {
	if r.depth >= r.max {
		return false, false
	}
	r.depth++
	empty = r.open(close)
	if empty {
		r.depth--
	}
	return empty, true
}

// leave passes over what follows a member or an element (see
// scanner.next), leaving the object or array at its end.
func (r *jsonReader) leave(close byte) (more, ok bool) {
	more, ok = r.next(close)
	if ok && !more {
		r.depth--
	}
	return more, ok
}

func (r *jsonReader) object() (any, bool) {
	empty, ok := r.enter('}')
	if !ok {
		return nil, false
	}
	m := make(map[string]any)
	if empty {
		return m, true
	}
	var names Names
	for {
		if r.i >= len(r.b) || r.b[r.i] != '"' {
			return nil, false
		}
		// Names are compared as decoded, as they land in the map: two names
		// that differ only in invalid UTF-8 both become U+FFFD and are twins.
		k, _, ok := r.str()
		if !ok || r.unique && !names.Add(k) {
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
		more, ok := r.leave('}')
		if !ok {
			return nil, false
		}
		if !more {
			return m, true
		}
	}
}

func (r *jsonReader) array() (any, bool) {
	empty, ok := r.enter(']')
	if !ok {
		return nil, false
	}
	a := make([]any, 0, 4)
	if empty {
		return a, true
	}
	for {
		v, ok := r.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		more, ok := r.leave(']')
		if !ok {
			return nil, false
		}
		if !more {
			return a, true
		}
	}
}
