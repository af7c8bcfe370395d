package oa

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeObject decodes the JSON object in s into the generic values
// encoding/json would produce (map[string]any, []any, string, float64,
// bool, nil) in one pass, refusing objects nested deeper than maxDepth and
// objects holding a member name twice. Strings without escapes are
// substrings of s, so a document costs one copy of its text rather than
// one allocation per string.
//
// ok is false for anything it does not accept, valid or not; the caller
// then decodes with the strict reference path (scan and encoding/json),
// which reports the precise error. When ok is true, the value is the one
// the reference path returns.
func decodeObject(s string, maxDepth int) (m map[string]any, ok bool) {
	d := jsonDecoder{s: s, maxDepth: maxDepth}
	d.space()
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		return nil, false
	}
	m, ok = d.object()
	if !ok {
		return nil, false
	}
	d.space()
	return m, d.i == len(d.s)
}

// jsonDecoder is the state of decodeObject: the text, the read offset and
// the nesting of the value being read.
type jsonDecoder struct {
	s        string
	i        int
	depth    int
	maxDepth int
}

func (d *jsonDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value reads any JSON value at the offset (after white space).
func (d *jsonDecoder) value() (any, bool) {
	d.space()
	if d.i >= len(d.s) {
		return nil, false
	}
	switch d.s[d.i] {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		return d.str()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	}
	return d.number()
}

// object reads an object; the offset is at its '{'.
func (d *jsonDecoder) object() (map[string]any, bool) {
	if d.depth >= d.maxDepth {
		return nil, false
	}
	d.depth++
	d.i++
	m := make(map[string]any)
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		d.depth--
		return m, true
	}
	for {
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		n := len(m)
		if m[k] = v; len(m) == n {
			return nil, false // a member name twice
		}
		d.space()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			d.depth--
			return m, true
		default:
			return nil, false
		}
	}
}

// array reads an array; the offset is at its '['.
func (d *jsonDecoder) array() ([]any, bool) {
	if d.depth >= d.maxDepth {
		return nil, false
	}
	d.depth++
	d.i++
	a := make([]any, 0, 4)
	d.space()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		d.depth--
		return a, true
	}
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		d.space()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			d.depth--
			return a, true
		default:
			return nil, false
		}
	}
}

// str reads a string; the offset is at its opening quote. A string with
// escapes or invalid UTF-8 is unquoted by encoding/json, so that escapes,
// surrogates and replacement characters come out exactly as there.
func (d *jsonDecoder) str() (string, bool) {
	start := d.i
	escaped, ascii := false, true
	for d.i++; d.i < len(d.s); d.i++ {
		d.i = skipPlain(d.s, d.i)
		if d.i >= len(d.s) {
			break
		}
		switch c := d.s[d.i]; {
		case c == '"':
			d.i++
			body := d.s[start+1 : d.i-1]
			if !escaped && (ascii || utf8.ValidString(body)) {
				return body, true
			}
			return unquote(d.s[start:d.i])
		case c == '\\':
			escaped = true
			d.i++
			if d.i < len(d.s) && d.s[d.i] == 'u' {
				continue
			}
			if d.i < len(d.s) && escapable(d.s[d.i]) {
				continue
			}
			return "", false
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", false
}

// skipPlain returns the offset of the first byte at or after i that is
// not plainJSON (len(s) if none), in a loop over locals only.
func skipPlain(s string, i int) int {
	for i < len(s) && plainJSON[s[i]] {
		i++
	}
	return i
}

// plainJSON is true for the bytes a JSON string holds as they are: printable
// ASCII other than '"' and '\\'.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func escapable(c byte) bool {
	switch c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	}
	return false
}

// unquote decodes a quoted JSON string the way encoding/json does.
func unquote(quoted string) (string, bool) {
	var s string
	if err := json.Unmarshal([]byte(quoted), &s); err != nil {
		return "", false
	}
	return s, true
}

func (d *jsonDecoder) literal(word string) bool {
	if len(d.s)-d.i < len(word) || d.s[d.i:d.i+len(word)] != word {
		return false
	}
	d.i += len(word)
	return true
}

// number reads a JSON number (-?int frac? exp?) as a float64.
func (d *jsonDecoder) number() (any, bool) {
	start := d.i
	if d.i < len(d.s) && d.s[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.s) && d.s[d.i] == '0':
		d.i++
	case d.i < len(d.s) && d.s[d.i] >= '1' && d.s[d.i] <= '9':
		d.digits()
	default:
		return nil, false
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if !d.digits() {
			return nil, false
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if !d.digits() {
			return nil, false
		}
	}
	f, err := strconv.ParseFloat(d.s[start:d.i], 64)
	if err != nil {
		return nil, false
	}
	return f, true
}

// digits reads one or more decimal digits.
func (d *jsonDecoder) digits() bool {
	start := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}
