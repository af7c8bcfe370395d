package oa

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/idport/idport/pkg/jsontext"
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

	flat     *flattener // set by decodeWrapped: the top-level "data" is flattened into it
	dataText string     // the JSON text of the flattened data
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
	empty, ok := d.open('}')
	if !ok {
		return nil, false
	}
	m := make(map[string]any)
	if empty {
		return m, true
	}
	for {
		k, ok := d.memberName()
		if !ok {
			return nil, false
		}
		var v any
		if d.flat != nil && d.depth == 1 && k == "data" {
			d.space()
			v, ok = d.flatData()
		} else {
			v, ok = d.value()
		}
		if !ok {
			return nil, false
		}
		n := len(m)
		if m[k] = v; len(m) == n {
			return nil, false // a member name twice
		}
		if more, ok := d.after('}'); !more {
			return m, ok
		}
	}
}

// array reads an array; the offset is at its '['.
func (d *jsonDecoder) array() ([]any, bool) {
	empty, ok := d.open(']')
	if !ok {
		return nil, false
	}
	a := make([]any, 0, 4)
	if empty {
		return a, true
	}
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if more, ok := d.after(']'); !more {
			return a, ok
		}
	}
}

// memberName reads a member's name and the ':' after it (white space
// first).
func (d *jsonDecoder) memberName() (string, bool) {
	d.space()
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", false
	}
	k, ok := d.str()
	if !ok {
		return "", false
	}
	d.space()
	if d.i >= len(d.s) || d.s[d.i] != ':' {
		return "", false
	}
	d.i++
	return k, true
}

// str reads a string; the offset is at its opening quote. A string with
// escapes or invalid UTF-8 is unquoted by encoding/json, so that escapes,
// surrogates and replacement characters come out exactly as there.
func (d *jsonDecoder) str() (string, bool) {
	start := d.i
	escaped, ascii := false, true
	for d.i++; d.i < len(d.s); d.i++ {
		d.i += jsontext.PlainRun(d.s[d.i:])
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

// decodeWrapped decodes a wrapped document's JSON text like decodeObject,
// except for the top-level member "data": that is flattened straight into
// f's leaves, without building its objects, and only its own "issuers"
// and "$template" members are also decoded into values (meta), since
// Issuers and Template read them. dataText is data's JSON text, for
// Document.Data.
//
// ok is false for anything it does not accept, valid or not (including a
// data member the reference flatten refuses: a value that is not a
// string, a key holding '.', too many fields); the caller then takes the
// reference path, which reports the precise error.
func decodeWrapped(s string, maxDepth int, f *flattener) (m map[string]any, meta map[string]any, dataText string, ok bool) {
	d := jsonDecoder{s: s, maxDepth: maxDepth, flat: f}
	d.space()
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		return nil, nil, "", false
	}
	if m, ok = d.object(); !ok {
		return nil, nil, "", false
	}
	d.space()
	if d.i != len(d.s) || d.dataText == "" {
		return nil, nil, "", false
	}
	meta, _ = m["data"].(map[string]any)
	return m, meta, d.dataText, true
}

// flatData reads the document's data object (the offset is at the value,
// after white space), flattening it into d.flat; it returns the decoded
// "issuers" and "$template" members only.
func (d *jsonDecoder) flatData() (any, bool) {
	if d.dataText != "" || d.i >= len(d.s) || d.s[d.i] != '{' {
		return nil, false
	}
	start := d.i
	meta := make(map[string]any, 2)
	if !d.flatObject(meta) {
		return nil, false
	}
	d.dataText = d.s[start:d.i]
	return meta, true
}

// flatObject reads an object into leaves (the offset is at its '{'). The
// top-level data object passes meta, which receives its "issuers" and
// "$template" members decoded; it adds no leaf when empty, as the
// reference's flatten does not.
func (d *jsonDecoder) flatObject(meta map[string]any) bool {
	empty, ok := d.open('}')
	if !ok {
		return false
	}
	f := d.flat
	if empty {
		if meta == nil {
			f.add(leafEmptyObject, "")
		}
		return true
	}
	n := len(f.path)
	var seen jsontext.Names
	for {
		k, ok := d.memberName()
		if !ok || !seen.Add(k) || strings.IndexByte(k, '.') >= 0 {
			return false
		}
		f.path = append(f.dot(n), k...)
		start := d.i
		if !d.flatValue() {
			return false
		}
		if meta != nil && (k == "issuers" || k == "$template") {
			sub := jsonDecoder{s: d.s[start:d.i], maxDepth: d.maxDepth}
			v, ok := sub.value()
			if !ok {
				return false
			}
			meta[k] = v
		}
		f.path = f.path[:n]
		if more, ok := d.after('}'); !more {
			return ok
		}
	}
}

// flatArray reads an array into leaves (the offset is at its '[').
func (d *jsonDecoder) flatArray() bool {
	empty, ok := d.open(']')
	if !ok {
		return false
	}
	f := d.flat
	if empty {
		f.add(leafEmptyArray, "")
		return true
	}
	n := len(f.path)
	for i := 0; ; i++ {
		f.path = strconv.AppendInt(f.dot(n), int64(i), 10)
		if !d.flatValue() {
			return false
		}
		f.path = f.path[:n]
		if more, ok := d.after(']'); !more {
			return ok
		}
	}
}

// flatValue reads a value of data at the flattener's path: an object, an
// array or a string (a leaf). Anything else is refused.
func (d *jsonDecoder) flatValue() bool {
	d.space()
	if d.i >= len(d.s) || d.flat.full() {
		return false
	}
	switch d.s[d.i] {
	case '{':
		return d.flatObject(nil)
	case '[':
		return d.flatArray()
	case '"':
		s, ok := d.str()
		if ok {
			d.flat.add(leafString, s)
		}
		return ok && !d.flat.full()
	}
	return false
}

// open enters the object or array at the offset (its opening byte),
// within the nesting limit; empty is true when closing follows at once
// (consumed, the nesting left again).
func (d *jsonDecoder) open(closing byte) (empty, ok bool) {
	if d.depth >= d.maxDepth {
		return false, false
	}
	d.depth++
	d.i++
	d.space()
	if d.i < len(d.s) && d.s[d.i] == closing {
		d.i++
		d.depth--
		return true, true
	}
	return false, true
}

// after consumes what follows a member or element of an object or array
// closed by closing: more is true after a ',', ok is true for a ',' or
// the closing byte (which ends the object or array).
func (d *jsonDecoder) after(closing byte) (more, ok bool) {
	d.space()
	if d.i >= len(d.s) {
		return false, false
	}
	c := d.s[d.i]
	d.i++
	switch c {
	case ',':
		return true, true
	case closing:
		d.depth--
		return false, true
	}
	return false, false
}
