package verifier

import (
	"fmt"
	"maps"
	"reflect"
	"testing"
)

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
		want := renameClaims(claims(), tc.mapping)
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

// releaseClaimsReference is releaseClaims as it was before it handed over
// the credential's map when every claim is kept under its own name: a new
// map every time (renameClaims, filterClaims).
func releaseClaimsReference(c *credential, d TrustDecision, r *Result, p *Policy, recognised bool, relied string) map[string]any {
	if !recognised {
		return renameClaims(c.claims, nil)
	}
	restrict, check := claimRules(c, d, p, relied)
	if !restrict && !check {
		return renameClaims(c.claims, d.ClaimMapping)
	}
	return filterClaims(c.claims, d, r, p, restrict, check, relied)
}

// TestReleaseClaimsMatchesReference runs releaseClaims and the reference
// over every combination of claims, claim mapping, allow-list, relied type,
// recognition and cross-border mode (without mappings of two claims onto one
// name, whose survivor depends on map order): the released claims and what
// each writes into the result are the same.
func TestReleaseClaimsMatchesReference(t *testing.T) {
	claimSets := []map[string]any{
		nil,
		{},
		{"uen": "201912345K", "legalName": "Acme", "address": map[string]any{"city": "SG"}},
	}
	mappings := []map[string]string{nil, {}, {"uen": "uen"}, {"uen": "registration_number"}, {"legalName": ""}, {"vat": "tax_id"}}
	allows := [][]string{nil, {}, {"uen", "legalName", "address"}, {"uen"}, {"registration_number", "legalName", "address"}}
	typeSets := [][]string{{"VerifiableCredential", "BusinessRegistration"}, {"VerifiableCredential", "BusinessRegistration", "Other"}}
	for _, claims := range claimSets {
		for _, mapping := range mappings {
			for _, allow := range allows {
				for _, types := range typeSets {
					for _, relied := range []string{"", "BusinessRegistration"} {
						for _, mode := range []ClaimMode{ClaimsAllow, ClaimsStrip, ClaimsRefuse} {
							for _, recognised := range []bool{false, true} {
								copyOf := func() map[string]any {
									if claims == nil {
										return nil
									}
									return maps.Clone(claims)
								}
								d := TrustDecision{Recognised: recognised, ClaimMapping: mapping, AllowedClaims: allow}
								p := &Policy{CrossBorder: mode}
								var v Verifier
								got, want := newResult(), newResult()
								gotClaims := v.releaseClaims(&credential{types: types, claims: copyOf()}, d, got, p, recognised, relied)
								wantClaims := releaseClaimsReference(&credential{types: types, claims: copyOf()}, d, want, p, recognised, relied)
								name := fmt.Sprintf("claims %v mapping %v allow %v types %v relied %q mode %v recognised %v", claims, mapping, allow, types, relied, mode, recognised)
								if !reflect.DeepEqual(gotClaims, wantClaims) {
									t.Errorf("%s: claims %v, reference %v", name, gotClaims, wantClaims)
								}
								if !reflect.DeepEqual(got, want) {
									t.Errorf("%s: result %+v, reference %+v", name, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
}
