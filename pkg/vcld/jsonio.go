package vcld

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// member is one top-level member of a JSON object, kept in input order with
// its value bytes untouched.
type member struct {
	key string
	val json.RawMessage
}

// topLevelMembers splits a JSON object into its members in order.
func topLevelMembers(b []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("vcld: decode: %v: %w", err, ErrMalformed)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("vcld: document is not a JSON object: %w", ErrMalformed)
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("vcld: decode: %v: %w", err, ErrMalformed)
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("vcld: decode %q: %v: %w", k, err, ErrMalformed)
		}
		out = append(out, member{k, v})
	}
	return out, nil
}

// marshal encodes v without HTML escaping.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// jsonCanon is a deterministic encoding of a decoded JSON value (map keys
// sorted), for comparisons.
func jsonCanon(v any) ([]byte, error) { return marshal(v) }

// withMembers re-encodes the original object with the given members
// replaced or appended, keeping the order and bytes of all others.
func withMembers(orig []byte, set []member) ([]byte, error) {
	ms, err := topLevelMembers(orig)
	if err != nil {
		return nil, err
	}
	for _, s := range set {
		replaced := false
		for i := range ms {
			if ms[i].key == s.key {
				ms[i].val = s.val
				replaced = true
			}
		}
		if !replaced {
			ms = append(ms, s)
		}
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := marshal(m.key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(m.val)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
