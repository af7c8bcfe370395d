package vc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/idport/idport/pkg/jsontext"
)

// splitMembers decodes a JSON object into its members (a repeated name:
// the last one, as encoding/json). valid tells that b is known to be valid
// JSON (checked by the caller); otherwise it is checked here, and invalid
// input is decoded by encoding/json for its error. The members are copies:
// b may be a decoder's buffer.
func splitMembers(b []byte, what string, valid bool) (map[string]json.RawMessage, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, malformed("%s is not a JSON object", what)
	}
	if !valid && !jsontext.Valid(b) {
		var m map[string]json.RawMessage
		err := json.Unmarshal(b, &m)
		return nil, malformed("%s: %v", what, err)
	}
	return splitValidObject(bytes.Clone(b)), nil
}

// splitValidObject splits a valid JSON object (no surrounding space) into
// its members, which alias b, in one pass.
func splitValidObject(b []byte) map[string]json.RawMessage {
	m := make(map[string]json.RawMessage, 8)
	i := skipSpace(b, 1)
	for i < len(b) && b[i] == '"' {
		end := skipString(b, i)
		key := b[i+1 : end-1]
		var k string
		if bytes.IndexByte(key, '\\') >= 0 || !isASCII(key) {
			// Escapes, and invalid UTF-8 that encoding/json replaces.
			_ = json.Unmarshal(b[i:end], &k)
		} else {
			k = string(key)
		}
		i = skipSpace(b, skipSpace(b, end)+1) // past the colon
		vend := skipValue(b, i)
		m[k] = json.RawMessage(b[i:vend:vend])
		i = skipSpace(b, vend)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return m
}

// splitValidArray splits a valid JSON array (no surrounding space) into its
// elements, which alias b.
func splitValidArray(b []byte) []json.RawMessage {
	out := make([]json.RawMessage, 0, 4)
	i := skipSpace(b, 1)
	for i < len(b) && b[i] != ']' {
		end := skipValue(b, i)
		out = append(out, json.RawMessage(b[i:end:end]))
		i = skipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return out
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the JSON string at b[i].
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue returns the index just past the valid JSON value at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// decodeHead takes @context, id and type, which credentials and
// presentations share, out of m.
func decodeHead(m map[string]json.RawMessage) (ctx []any, id string, types []string, typeSingle bool, err error) {
	if raw, ok := take(m, "@context"); ok {
		if ctx, err = decodeContext(raw); err != nil {
			return nil, "", nil, false, err
		}
	}
	if raw, ok := take(m, "id"); ok {
		if id, err = decodeString(raw, "id"); err != nil {
			return nil, "", nil, false, err
		}
	}
	if raw, ok := take(m, "type"); ok {
		if types, typeSingle, err = decodeStrings(raw, "type"); err != nil {
			return nil, "", nil, false, err
		}
	}
	return ctx, id, types, typeSingle, nil
}

// decodeTail takes the proof out of m and returns it with the members left.
func decodeTail(m map[string]json.RawMessage) (proof json.RawMessage, extra map[string]json.RawMessage) {
	proof, _ = take(m, "proof")
	if len(m) > 0 {
		extra = m
	}
	return proof, extra
}

// parseValidated decodes a credential or presentation and validates it.
func parseValidated[T any, PT interface {
	*T
	Validate() error
	decodeJSON(b []byte, valid bool) error
}](b []byte) (*T, error) {
	if len(b) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxDocumentBytes)
	}
	v := new(T)
	// One validity check, then one pass over the members (encoding/json
	// checks and scans the input again for each level of UnmarshalJSON).
	if trimmed := bytes.TrimSpace(b); jsontext.Valid(trimmed) {
		if err := PT(v).decodeJSON(trimmed, true); err != nil {
			return nil, wrapDecode(err)
		}
	} else if err := json.Unmarshal(b, v); err != nil {
		return nil, wrapDecode(err)
	}
	if err := PT(v).Validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// take removes and returns member name from m.
func take(m map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	v, ok := m[name]
	if ok {
		delete(m, name)
	}
	return v, ok
}

// maxFastDepth bounds the nesting jsontext.Decode reads here (deeper
// values take encoding/json, which has its own limit).
const maxFastDepth = 512

// isArray reports whether raw is a JSON array.
func isArray(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '['
}

// decodeContext decodes @context keeping its order. Strings stay strings;
// objects stay as their exact JSON bytes (json.RawMessage).
func decodeContext(raw json.RawMessage) ([]any, error) {
	var items []json.RawMessage
	if trimmed := bytes.TrimSpace(raw); isArray(trimmed) && jsontext.Valid(trimmed) {
		items = splitValidArray(trimmed)
	} else if isArray(raw) {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, malformed("@context: %v", err)
		}
	} else {
		items = []json.RawMessage{raw}
	}
	out := make([]any, 0, len(items))
	for i, it := range items {
		it = bytes.TrimSpace(it)
		switch {
		case len(it) > 0 && it[0] == '"':
			if v, _ := jsontext.Decode(it, 0, false); v != nil {
				out = append(out, v.(string))
				continue
			}
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return nil, malformed("@context[%d]: %v", i, err)
			}
			out = append(out, s)
		case len(it) > 0 && it[0] == '{':
			out = append(out, json.RawMessage(append([]byte(nil), it...)))
		default:
			return nil, malformed("@context[%d] is neither a URL nor an object", i)
		}
	}
	return out, nil
}

// decodeStrings decodes a string or an array of strings.
func decodeStrings(raw json.RawMessage, name string) (vals []string, single bool, err error) {
	switch v, _ := jsontext.Decode(raw, 1, false); t := v.(type) {
	case string:
		return []string{t}, true, nil
	case []any:
		if vals, ok := allOf[string](t); ok {
			return vals, false, nil
		}
	}
	// Null elements and errors: encoding/json's way.
	return decodeStringsJSON(raw, name)
}

// decodeStringsJSON is decodeStrings through encoding/json.
func decodeStringsJSON(raw json.RawMessage, name string) (vals []string, single bool, err error) {
	if !isArray(raw) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, false, malformed("%s must be a string or an array of strings", name)
		}
		return []string{s}, true, nil
	}
	if err := json.Unmarshal(raw, &vals); err != nil {
		return nil, false, malformed("%s must be a string or an array of strings", name)
	}
	return vals, false, nil
}

// allOf returns the elements of t as a []T (non-nil), if every one is a T.
func allOf[T any](t []any) ([]T, bool) {
	vals := make([]T, 0, len(t))
	for _, e := range t {
		x, ok := e.(T)
		if !ok {
			return nil, false
		}
		vals = append(vals, x)
	}
	return vals, true
}

// decodeObjects decodes an object or an array of objects.
func decodeObjects(raw json.RawMessage, name string) (vals []map[string]any, single bool, err error) {
	// One pass for what encoding/json would read without error; anything
	// else takes its way, for the same result or error.
	switch v, _ := jsontext.Decode(raw, maxFastDepth, false); t := v.(type) {
	case map[string]any:
		return []map[string]any{t}, true, nil
	case []any:
		if vals, ok := allOf[map[string]any](t); ok {
			return vals, false, nil
		}
	}
	return decodeObjectsJSON(raw, name)
}

// decodeObjectsJSON is decodeObjects through encoding/json.
func decodeObjectsJSON(raw json.RawMessage, name string) (vals []map[string]any, single bool, err error) {
	if !isArray(raw) {
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil || o == nil {
			return nil, false, malformed("%s must be an object or an array of objects", name)
		}
		return []map[string]any{o}, true, nil
	}
	if err := json.Unmarshal(raw, &vals); err != nil {
		return nil, false, malformed("%s must be an object or an array of objects", name)
	}
	for i, o := range vals {
		if o == nil {
			return nil, false, malformed("%s[%d] must be an object", name, i)
		}
	}
	return vals, false, nil
}

// decodeString decodes a member that must be a string. An explicit null is refused: it is not
// an absent member, and reading it as "" would let a caller fill in a value of its choosing.
func decodeString(raw json.RawMessage, name string) (string, error) {
	if v, _ := jsontext.Decode(raw, 0, false); v != nil {
		if s, isString := v.(string); isString {
			return s, nil
		}
	}
	return decodeStringJSON(raw, name)
}

// decodeStringJSON is decodeString through encoding/json.
func decodeStringJSON(raw json.RawMessage, name string) (string, error) {
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return "", malformed("%s must be a string", name)
	}
	return s, nil
}

// isNull reports whether raw is the JSON literal null.
func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// decodeTime decodes an XML Schema dateTimeStamp (RFC 3339 with a time zone).
func decodeTime(raw json.RawMessage, name string) (*time.Time, string, error) {
	v, _ := jsontext.Decode(raw, 0, false)
	s, isString := v.(string)
	if !isString {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, "", malformed("%s must be a string", name)
		}
	}
	t, err := ParseTime(s)
	if err != nil {
		return nil, "", malformed("%s: %v", name, err)
	}
	return &t, s, nil
}

// ParseTime parses an XML Schema dateTimeStamp as the data model requires:
// RFC 3339 date and time with a time zone offset or Z.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// FormatTime formats t the way this package writes dates: RFC 3339 in UTC,
// with fractional seconds only when present.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// IsURL reports whether s is an absolute URL (RFC 3986: a scheme, a colon
// and more, no white space or control characters), which is what the data
// model requires of id, issuer and similar members. DIDs and URNs are
// absolute URLs in this sense.
func IsURL(s string) bool {
	colon := strings.IndexByte(s, ':')
	if colon < 1 || colon == len(s)-1 {
		return false
	}
	for i := 0; i < colon; i++ {
		c := s[i]
		alpha := c|0x20 >= 'a' && c|0x20 <= 'z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	for i := colon + 1; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// objWriter writes a JSON object member by member in a fixed order.
type objWriter struct {
	buf   []byte
	first bool
	err   error
}

func newObjWriter() *objWriter {
	return &objWriter{first: true, buf: append(make([]byte, 0, 1024), '{')}
}

// name writes the separator and the member name.
func (w *objWriter) name(name string) {
	if !w.first {
		w.buf = append(w.buf, ',')
	}
	w.first = false
	w.buf = append(jsontext.AppendString(w.buf, name), ':')
}

// raw writes a member whose value is already JSON.
func (w *objWriter) raw(name string, v []byte) {
	if w.err != nil {
		return
	}
	w.name(name)
	w.buf = append(w.buf, v...)
}

// value writes a member by encoding v.
func (w *objWriter) value(name string, v any) {
	if w.err != nil {
		return
	}
	if m, ok := v.(json.Marshaler); ok {
		b, err := m.MarshalJSON()
		if err != nil {
			w.err = err
			return
		}
		w.raw(name, b)
		return
	}
	w.name(name)
	w.buf, w.err = appendJSON(w.buf, v)
}

// extra writes the members of m in sorted key order.
func (w *objWriter) extra(m map[string]json.RawMessage) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w.raw(k, m[k])
	}
}

func (w *objWriter) bytes() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	return append(w.buf, '}'), nil
}

// stringsValue returns the wire form of a string list: a bare string when it
// was one on input (single) and holds one element.
func stringsValue(v []string, single bool) any {
	if single && len(v) == 1 {
		return v[0]
	}
	return v
}

// objectsValue is stringsValue for object lists.
func objectsValue(v []map[string]any, single bool) any {
	if single && len(v) == 1 {
		return v[0]
	}
	return v
}

// contextValue returns @context for marshalling.
func contextValue(ctx []any) []any {
	if ctx == nil {
		return []any{}
	}
	return ctx
}

// hasType reports whether types contains t.
func hasType(types []string, t string) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}
