package jsontext

// Valid reports whether b is one JSON value with optional white space
// around it, as encoding/json.Valid does (nesting up to its limit of
// 10,000 included), without its per-byte state machine.
func Valid(b []byte) bool {
	v := validator{scanner: scanner{b: b}, max: maxValidDepth}
	v.space()
	if !v.value(0) {
		return false
	}
	v.space()
	return v.i == len(b)
}

// maxValidDepth is encoding/json's nesting limit.
const maxValidDepth = 10000

// validator checks JSON text. Objects and arrays may nest max deep; tooDeep
// records that the check stopped at that limit rather than on a syntax error.
type validator struct {
	scanner
	max     int
	tooDeep bool
}

// depthTooDeep reports whether an object or array at depth goes past the limit.
func (v *validator) depthTooDeep(depth int) bool {
	if depth > v.max {
		v.tooDeep = true
		return true
	}
	return false
}

func (v *validator) value(depth int) bool {
	if v.i >= len(v.b) {
		return false
	}
	switch c := v.b[v.i]; {
	case c == '{':
		return v.object(depth + 1)
	case c == '[':
		return v.array(depth + 1)
	case c == '"':
		return v.str()
	case c == 't':
		return v.literal("true")
	case c == 'f':
		return v.literal("false")
	case c == 'n':
		return v.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return v.number()
	}
	return false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// str checks a string: no control characters, known escapes only (any
// other byte, invalid UTF-8 included, is accepted, as encoding/json does).
func (v *validator) str() bool {
	v.i++
	for v.i < len(v.b) {
		v.i += PlainRun(v.b[v.i:])
		if v.i >= len(v.b) {
			break
		}
		c := v.b[v.i]
		switch {
		case c == '"':
			v.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			v.i++
			if v.i >= len(v.b) {
				return false
			}
			switch v.b[v.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				v.i++
			case 'u':
				if len(v.b)-v.i < 5 || !isHex(v.b[v.i+1]) || !isHex(v.b[v.i+2]) || !isHex(v.b[v.i+3]) || !isHex(v.b[v.i+4]) {
					return false
				}
				v.i += 5
			default:
				return false
			}
		default:
			v.i++
		}
	}
	return false
}

func (v *validator) object(depth int) bool {
	if v.depthTooDeep(depth) {
		return false
	}
	if v.open('}') {
		return true
	}
	for {
		if v.i >= len(v.b) || v.b[v.i] != '"' || !v.str() {
			return false
		}
		v.space()
		if v.i >= len(v.b) || v.b[v.i] != ':' {
			return false
		}
		v.i++
		v.space()
		if !v.value(depth) {
			return false
		}
		if more, ok := v.next('}'); !more {
			return ok
		}
	}
}

func (v *validator) array(depth int) bool {
	if v.depthTooDeep(depth) {
		return false
	}
	if v.open(']') {
		return true
	}
	for {
		if !v.value(depth) {
			return false
		}
		if more, ok := v.next(']'); !more {
			return ok
		}
	}
}
