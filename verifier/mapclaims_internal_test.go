package verifier

import (
	"reflect"
	"testing"
)

// mapClaimsReference renames into a new map every time, as mapClaims did
// before it handed over a map that no mapping changes.
func mapClaimsReference(claims map[string]any, mapping map[string]string) map[string]any {
	out := make(map[string]any, len(claims))
	for k, val := range claims {
		if local, ok := mapping[k]; ok && local != "" {
			k = local
		}
		out[k] = val
	}
	return out
}

func TestMapClaimsMatchesReference(t *testing.T) {
	claims := func() map[string]any {
		return map[string]any{"uen": "201912345K", "legalName": "Acme", "address": map[string]any{"city": "SG"}, "n": 3.0}
	}
	for _, tc := range []struct {
		name    string
		mapping map[string]string
		same    bool // the credential's own map is handed over
	}{
		{"no mapping", nil, true},
		{"empty mapping", map[string]string{}, true},
		{"mapping of other claims", map[string]string{"vat": "tax_id"}, true},
		{"identity and empty names", map[string]string{"uen": "uen", "legalName": ""}, true},
		{"one renamed", map[string]string{"uen": "registration_number"}, false},
		{"renamed onto another claim", map[string]string{"n": "legalName"}, false},
	} {
		in := claims()
		want := mapClaimsReference(claims(), tc.mapping)
		got := mapClaims(in, tc.mapping)
		if tc.name != "renamed onto another claim" {
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %v, want %v", tc.name, got, want)
			}
		} else if !sameKeys(got, want) {
			// With two claims landing on one name the survivor depends on
			// map order in both: compare the names only.
			t.Errorf("%s: %v, want the names of %v", tc.name, got, want)
		}
		if handed := len(in) > 0 && sameMap(got, in); handed != tc.same {
			t.Errorf("%s: handed over %v, want %v", tc.name, handed, tc.same)
		}
	}
	if got := mapClaims(nil, nil); got == nil || len(got) != 0 {
		t.Errorf("no claims: %v, want an empty map", got)
	}
}

func sameKeys(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

// sameMap reports whether a and b are one map: a write to one shows in the other.
func sameMap(a, b map[string]any) bool {
	const probe = "\x00probe"
	a[probe] = true
	_, shared := b[probe]
	delete(a, probe)
	return shared
}
