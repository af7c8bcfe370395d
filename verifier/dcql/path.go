package dcql

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Path is a claims path pointer: each element is a string (an object
// member), a non-negative int (an array index) or nil (every element of
// an array).
type Path []any

// UnmarshalJSON reads a path, refusing elements of other kinds.
func (p *Path) UnmarshalJSON(b []byte) error {
	var raw []any
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("claims path: %w", err)
	}
	out := make(Path, len(raw))
	for i, e := range raw {
		switch v := e.(type) {
		case string, nil:
			out[i] = v
		case float64:
			if v < 0 || v != math.Trunc(v) || v > math.MaxInt32 {
				return fmt.Errorf("claims path element %v is not a non-negative integer", v)
			}
			out[i] = int(v)
		default:
			return fmt.Errorf("claims path element %v is not a string, integer or null", e)
		}
	}
	*p = out
	return nil
}

// String renders the path as a dotted name ("address.street",
// "nationalities[]", "degrees[0].type").
func (p Path) String() string {
	var b strings.Builder
	for i, e := range p {
		switch v := e.(type) {
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		case int:
			b.WriteString("[" + strconv.Itoa(v) + "]")
		case nil:
			b.WriteString("[]")
		}
	}
	return b.String()
}

// Select returns the values the path selects in root (a JSON value as
// encoding/json decodes it). An empty result means the claim is absent.
func (p Path) Select(root any) []any {
	cur := []any{root}
	for _, e := range p {
		var next []any
		for _, v := range cur {
			switch k := e.(type) {
			case string:
				if obj, ok := v.(map[string]any); ok {
					if x, ok := obj[k]; ok {
						next = append(next, x)
					}
				}
			case int:
				if arr, ok := v.([]any); ok && k < len(arr) {
					next = append(next, arr[k])
				}
			case nil:
				if arr, ok := v.([]any); ok {
					next = append(next, arr...)
				}
			}
		}
		if len(next) == 0 {
			return nil
		}
		cur = next
	}
	return cur
}

// Covers reports whether the disclosed claim at claim (a structured path
// as pkg/vcjwt reports disclosures: string member names and int array
// indexes into the claims after disclosure) lies under p or on the way to
// it: the disclosure is needed to present p. Components compare by kind
// and value: a name matches the same name only (a claim named "a.b" is not
// member b of a), an index the same index only, and a nil component of p
// any index.
func (p Path) Covers(claim []any) bool {
	for i := 0; i < min(len(p), len(claim)); i++ {
		if !componentCovers(p[i], claim[i]) {
			return false
		}
	}
	// A disclosure on the way to the claim (shorter), the claim itself,
	// or a part of the claim's value (longer) all serve the request.
	return true
}

// componentCovers compares one component of a query path with one of a
// disclosed path.
func componentCovers(want, got any) bool {
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		return ok && g == w
	case int:
		g, ok := got.(int)
		return ok && g == w
	case nil:
		_, ok := got.(int)
		return ok
	}
	return false
}
