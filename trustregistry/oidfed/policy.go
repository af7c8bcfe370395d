package oidfed

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
)

// Operators are the metadata policy operators of OpenID Federation 1.0 §6.1.3, in the order
// they are applied.
var Operators = []string{"value", "add", "default", "one_of", "subset_of", "superset_of", "essential"}

// resolveMetadata returns the leaf's metadata (stmts[0]), overridden by the metadata its
// immediate superior states about it, with the merged policies of the subordinate statements
// applied.
func resolveMetadata(stmts []*Statement) (map[string]map[string]any, error) {
	md := deepCopy(stmts[0].Metadata)
	if len(stmts) < 3 {
		return md, nil // the anchor itself: no subordinate statement
	}
	for typ, params := range stmts[1].Metadata {
		if md[typ] == nil {
			md[typ] = map[string]any{}
		}
		for k, v := range params {
			md[typ][k] = v
		}
	}
	merged := Policy{}
	subs := stmts[1 : len(stmts)-1]
	for i := len(subs) - 1; i >= 0; i-- { // from the anchor's statement down
		var err error
		if merged, err = MergePolicies(merged, subs[i].MetadataPolicy); err != nil {
			return nil, fail(CodePolicyViolation, "the policy of %s conflicts with its superiors': %v", subs[i].Issuer, err)
		}
	}
	if err := ApplyPolicy(merged, md); err != nil {
		return nil, err
	}
	return md, nil
}

// MergePolicies combines a superior's policy with a subordinate's (§6.1.4.1): values and
// defaults must agree, add and superset_of are unions, one_of and subset_of intersections,
// essential is true when either says so. Unknown operators are refused.
func MergePolicies(sup, sub Policy) (Policy, error) {
	out := Policy{}
	for _, p := range []Policy{sup, sub} {
		for typ, params := range p {
			if out[typ] == nil {
				out[typ] = map[string]map[string]any{}
			}
			for param, ops := range params {
				cur := out[typ][param]
				if cur == nil {
					cur = map[string]any{}
					out[typ][param] = cur
				}
				for op, v := range ops {
					if err := mergeOp(cur, op, v); err != nil {
						return nil, fmt.Errorf("%s.%s: %w", typ, param, err)
					}
				}
			}
		}
	}
	return out, nil
}

func mergeOp(cur map[string]any, op string, v any) error {
	if !slices.Contains(Operators, op) {
		return fmt.Errorf("unknown policy operator %q", op)
	}
	old, had := cur[op]
	if !had {
		cur[op] = v
		return nil
	}
	switch op {
	case "value", "default":
		if !reflect.DeepEqual(old, v) {
			return fmt.Errorf("%s %v conflicts with %v", op, jsonOf(v), jsonOf(old))
		}
	case "add", "superset_of":
		cur[op] = union(asList(old), asList(v))
	case "one_of", "subset_of":
		in := intersect(asList(old), asList(v))
		if len(in) == 0 && op == "one_of" {
			return fmt.Errorf("one_of %v and %v have nothing in common", jsonOf(old), jsonOf(v))
		}
		cur[op] = in
	case "essential":
		b1, _ := old.(bool)
		b2, _ := v.(bool)
		cur[op] = b1 || b2
	default:
		return fmt.Errorf("unknown policy operator %q", op)
	}
	return nil
}

// ApplyPolicy applies policy to md in place and reports the first violation (§6.1.4.2). Only
// the entity types present in md are checked.
func ApplyPolicy(policy Policy, md map[string]map[string]any) error {
	for _, typ := range sortedKeys(policy) {
		params, ok := md[typ]
		if !ok {
			continue
		}
		for _, param := range sortedKeys(policy[typ]) {
			if err := applyParam(params, param, policy[typ][param]); err != nil {
				return fail(CodePolicyViolation, "%s.%s: %v", typ, param, err)
			}
		}
	}
	return nil
}

func applyParam(params map[string]any, param string, ops map[string]any) error {
	for op := range ops {
		if !slices.Contains(Operators, op) {
			return fmt.Errorf("unknown policy operator %q", op)
		}
	}
	if v, ok := ops["value"]; ok {
		if v == nil {
			delete(params, param)
		} else {
			params[param] = v
		}
	}
	if add, ok := ops["add"]; ok {
		cur, present := params[param]
		if present {
			if _, isList := cur.([]any); !isList {
				return fmt.Errorf("add applies to a list, the value is %s", jsonOf(cur))
			}
		}
		params[param] = union(asList(cur), asList(add))
	}
	if def, ok := ops["default"]; ok {
		if _, present := params[param]; !present {
			params[param] = def
		}
	}
	cur, present := params[param]
	if oneOf, ok := ops["one_of"]; ok && present {
		if !slices.ContainsFunc(asList(oneOf), func(x any) bool { return reflect.DeepEqual(x, cur) }) {
			return fmt.Errorf("value %s is not one of %s", jsonOf(cur), jsonOf(oneOf))
		}
	}
	if sub, ok := ops["subset_of"]; ok && present {
		in := intersect(asList(cur), asList(sub))
		if len(in) == 0 {
			delete(params, param)
			present = false
		} else {
			params[param] = in
			cur = in
		}
	}
	if sup, ok := ops["superset_of"]; ok && present {
		have := asList(cur)
		for _, x := range asList(sup) {
			if !slices.ContainsFunc(have, func(y any) bool { return reflect.DeepEqual(x, y) }) {
				return fmt.Errorf("value %s is not a superset of %s", jsonOf(cur), jsonOf(sup))
			}
		}
	}
	if ess, _ := ops["essential"].(bool); ess && !present {
		return fmt.Errorf("the parameter is essential and absent")
	}
	return nil
}

func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

func union(a, b []any) []any {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.ContainsFunc(out, func(y any) bool { return reflect.DeepEqual(x, y) }) {
			out = append(out, x)
		}
	}
	return out
}

func intersect(a, b []any) []any {
	out := []any{}
	for _, x := range a {
		if slices.ContainsFunc(b, func(y any) bool { return reflect.DeepEqual(x, y) }) {
			out = append(out, x)
		}
	}
	return out
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func deepCopy(m map[string]map[string]any) map[string]map[string]any {
	b, _ := json.Marshal(m)
	out := map[string]map[string]any{}
	_ = json.Unmarshal(b, &out)
	return out
}
