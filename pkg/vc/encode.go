package vc

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/idport/idport/pkg/jsontext"
)

// AppendJSON appends the JSON encoding of v to b: for values decoded from
// JSON, byte for byte what json.Marshal writes. It handles map[string]any,
// []any, string, float64, bool, nil, int, int64, []string and
// []map[string]any without reflection and copies a json.RawMessage as it
// is; any other type goes through json.Marshal. Issuance encodes claims on
// every call: a hot path.
func AppendJSON(b []byte, v any) ([]byte, error) {
	return appendJSON(b, v)
}

func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsontext.AppendString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case float64:
		return appendFloat(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case json.RawMessage:
		if len(x) == 0 {
			return append(b, "null"...), nil
		}
		return append(b, x...), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(jsontext.AppendString(b, k), ':')
			var err error
			if b, err = appendJSON(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		return appendList(b, x)
	case []string:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsontext.AppendString(b, s)
		}
		return append(b, ']'), nil
	case []map[string]any:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, m := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, m); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}

func appendList(b []byte, x []any) ([]byte, error) {
	if x == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, e := range x {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSON(b, e); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendFloat formats like encoding/json (jsontext.AppendFloat), and refuses
// NaN and infinities as malformed.
func appendFloat(b []byte, f float64) ([]byte, error) {
	b, err := jsontext.AppendFloat(b, f)
	if err != nil {
		return nil, fmt.Errorf("%w: unsupported number %v", ErrMalformed, f)
	}
	return b, nil
}
