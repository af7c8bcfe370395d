package dcql_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/idport/idport/pkg/nodetest"
	"github.com/idport/idport/verifier/dcql"
)

// credJSON is a credential in the dcql npm library's input shape; the Go
// evaluator reads the same values.
type credJSON struct {
	Format        string         `json:"credential_format"`
	VCT           string         `json:"vct,omitempty"`
	Type          []string       `json:"type,omitempty"`
	Claims        map[string]any `json:"claims"`
	HolderBinding bool           `json:"cryptographic_holder_binding"`
}

func (c credJSON) credential() dcql.Credential {
	return dcql.Credential{Format: c.Format, VCT: c.VCT, Types: c.Type, Claims: c.Claims, HolderBound: c.HolderBinding}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

var pool = []credJSON{
	// 0: a Singapore PID with nationalities and an address
	{Format: "dc+sd-jwt", VCT: "urn:eudi:pid:1", HolderBinding: true, Claims: map[string]any{
		"given_name": "Mei", "family_name": "Tan", "age_over_18": true, "birth_year": 1990.0,
		"nationalities": []any{"SG", "MY"}, "address": map[string]any{"country": "SG", "locality": "Singapore"},
	}},
	// 1: a French PID without address
	{Format: "dc+sd-jwt", VCT: "urn:eudi:pid:1", HolderBinding: true, Claims: map[string]any{
		"given_name": "Jean", "family_name": "Dupont", "age_over_18": false, "nationalities": []any{"FR"},
	}},
	// 2: a diploma SD-JWT with no holder binding
	{Format: "dc+sd-jwt", VCT: "urn:edu:diploma", Claims: map[string]any{
		"degrees": []any{map[string]any{"type": "BSc", "field": "CS"}, map[string]any{"type": "MSc", "field": "AI"}},
	}},
	// 3: a W3C jwt_vc_json business licence
	{Format: "jwt_vc_json", Type: []string{"VerifiableCredential", "BusinessLicence"}, HolderBinding: true, Claims: map[string]any{
		"credentialSubject": map[string]any{"licenceNumber": "UEN-123", "status": "active"},
	}},
}

type caseT struct {
	name  string
	query string
	// want: satisfied, and the pool indexes per query id; invalid: Parse fails.
	satisfied bool
	matches   map[string][]int
	invalid   bool
}

var cases = []caseT{
	{name: "vct and one claim", query: `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["given_name"]}]}]}`,
		satisfied: true, matches: map[string][]int{"pid": {0, 1}}},
	{name: "value filter", query: `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["age_over_18"],"values":[true]}]}]}`,
		satisfied: true, matches: map[string][]int{"pid": {0}}},
	{name: "array wildcard with values", query: `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["nationalities",null],"values":["MY","DE"]}]}]}`,
		satisfied: true, matches: map[string][]int{"pid": {0}}},
	{name: "array index", query: `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["nationalities",0],"values":["FR"]}]}]}`,
		satisfied: true, matches: map[string][]int{"pid": {1}}},
	{name: "nested object", query: `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["address","country"],"values":["SG"]}]}]}`,
		satisfied: true, matches: map[string][]int{"pid": {0}}},
	{name: "integer value", query: `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["birth_year"],"values":[1990]}]}]}`,
		satisfied: true, matches: map[string][]int{"pid": {0}}},
	{name: "missing claim", query: `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["passport_number"]}]}]}`,
		satisfied: false, matches: map[string][]int{"pid": {}}},
	{name: "claim sets pick the first that fits", query: `{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},
		"claims":[{"id":"a","path":["address","locality"]},{"id":"n","path":["given_name"]},{"id":"o","path":["age_over_18"]}],"claim_sets":[["a","n"],["o"]]}]}`,
		satisfied: true, matches: map[string][]int{"pid": {0, 1}}},
	{name: "holder binding required by default", query: `{"credentials":[{"id":"d","format":"dc+sd-jwt","meta":{"vct_values":["urn:edu:diploma"]}}]}`,
		satisfied: false, matches: map[string][]int{"d": {}}},
	{name: "holder binding not required", query: `{"credentials":[{"id":"d","format":"dc+sd-jwt","meta":{"vct_values":["urn:edu:diploma"]},"require_cryptographic_holder_binding":false,
		"claims":[{"path":["degrees",null,"type"],"values":["MSc"]}]}]}`,
		satisfied: true, matches: map[string][]int{"d": {2}}},
	{name: "w3c type_values", query: `{"credentials":[{"id":"lic","format":"jwt_vc_json","meta":{"type_values":[["BusinessLicence"],["Passport"]]},
		"claims":[{"path":["credentialSubject","status"],"values":["active"]}]}]}`,
		satisfied: true, matches: map[string][]int{"lic": {3}}},
	{name: "w3c type_values not met", query: `{"credentials":[{"id":"lic","format":"jwt_vc_json","meta":{"type_values":[["BusinessLicence","TaxId"]]}}]}`,
		satisfied: false, matches: map[string][]int{"lic": {}}},
	{name: "format mismatch", query: `{"credentials":[{"id":"lic","format":"ldp_vc","meta":{"type_values":[["BusinessLicence"]]}}]}`,
		satisfied: false, matches: map[string][]int{"lic": {}}},
	{name: "credential sets: optional unmet", query: `{"credentials":[
		{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]}},
		{"id":"pp","format":"dc+sd-jwt","meta":{"vct_values":["urn:passport"]}}],
		"credential_sets":[{"options":[["pid"]]},{"options":[["pp"]],"required":false}]}`,
		satisfied: true, matches: map[string][]int{"pid": {0, 1}, "pp": {}}},
	{name: "credential sets: alternatives", query: `{"credentials":[
		{"id":"pp","format":"dc+sd-jwt","meta":{"vct_values":["urn:passport"]}},
		{"id":"lic","format":"jwt_vc_json","meta":{"type_values":[["BusinessLicence"]]}}],
		"credential_sets":[{"options":[["pp"],["lic"]]}]}`,
		satisfied: true, matches: map[string][]int{"pp": {}, "lic": {3}}},
	{name: "credential sets: required unmet", query: `{"credentials":[
		{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]}},
		{"id":"pp","format":"dc+sd-jwt","meta":{"vct_values":["urn:passport"]}}],
		"credential_sets":[{"options":[["pid","pp"]]}]}`,
		satisfied: false, matches: map[string][]int{"pid": {0, 1}, "pp": {}}},
	{name: "no credentials", query: `{"credentials":[]}`, invalid: true},
	{name: "duplicate ids", query: `{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{}},{"id":"a","format":"dc+sd-jwt","meta":{}}]}`, invalid: true},
	{name: "bad id", query: `{"credentials":[{"id":"a b","format":"dc+sd-jwt","meta":{}}]}`, invalid: true},
	{name: "claim set names unknown claim", query: `{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{},"claims":[{"id":"x","path":["x"]}],"claim_sets":[["y"]]}]}`, invalid: true},
	{name: "empty path", query: `{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{},"claims":[{"path":[]}]}]}`, invalid: true},
	{name: "negative index", query: `{"credentials":[{"id":"a","format":"dc+sd-jwt","meta":{},"claims":[{"path":["x",-1]}]}]}`, invalid: true},
}

func evalGo(t *testing.T, c caseT) (satisfied bool, matches map[string][]int, invalid bool) {
	q, err := dcql.Parse([]byte(c.query))
	if err != nil {
		if !errors.Is(err, dcql.ErrInvalidQuery) {
			t.Fatalf("Parse error %v is not ErrInvalidQuery", err)
		}
		return false, nil, true
	}
	creds := make([]dcql.Credential, len(pool))
	for i, p := range pool {
		creds[i] = p.credential()
	}
	r := q.Evaluate(creds)
	m := map[string][]int{}
	for _, cq := range q.Credentials {
		m[cq.ID] = append([]int{}, r.Matches[cq.ID]...)
	}
	return r.Satisfied, m, false
}

func TestEvaluate(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sat, m, inv := evalGo(t, c)
			if inv != c.invalid {
				t.Fatalf("invalid = %v, want %v", inv, c.invalid)
			}
			if inv {
				return
			}
			if sat != c.satisfied || !reflect.DeepEqual(m, c.matches) {
				t.Fatalf("got satisfied=%v matches=%v, want %v %v", sat, m, c.satisfied, c.matches)
			}
		})
	}
}

// TestAgainstDCQLLibrary evaluates every case with the dcql npm library and
// requires the same answer.
func TestAgainstDCQLLibrary(t *testing.T) {
	type jsCase struct {
		Query       map[string]any `json:"query"`
		Credentials []credJSON     `json:"credentials"`
	}
	var in struct {
		Cases []jsCase `json:"cases"`
	}
	for _, c := range cases {
		in.Cases = append(in.Cases, jsCase{Query: decode(t, c.query), Credentials: pool})
	}
	var out []struct {
		Invalid   bool             `json:"invalid"`
		Satisfied bool             `json:"satisfied"`
		Matches   map[string][]int `json:"matches"`
	}
	nodetest.Run(t, "dcql-eval.mjs", in, &out)
	if len(out) != len(cases) {
		t.Fatalf("%d answers for %d cases", len(out), len(cases))
	}
	for i, c := range cases {
		sat, m, inv := evalGo(t, c)
		js := out[i]
		if inv != js.Invalid {
			t.Errorf("%s: invalid: idport %v, dcql %v", c.name, inv, js.Invalid)
			continue
		}
		if inv {
			continue
		}
		for id, idx := range js.Matches {
			if idx == nil {
				js.Matches[id] = []int{}
			}
		}
		if sat != js.Satisfied || !reflect.DeepEqual(m, js.Matches) {
			t.Errorf("%s: idport satisfied=%v %v, dcql satisfied=%v %v", c.name, sat, m, js.Satisfied, js.Matches)
		}
	}
}

func TestCheckPresentation(t *testing.T) {
	q, err := dcql.Parse([]byte(`{"credentials":[{"id":"pid","format":"dc+sd-jwt","meta":{"vct_values":["urn:eudi:pid:1"]},"claims":[{"path":["given_name"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c0, c1 := pool[0].credential(), pool[1].credential()
	if _, err := q.CheckPresentation(map[string][]dcql.Credential{"pid": {c0}}); err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]map[string][]dcql.Credential{
		"two for one":   {"pid": {c0, c1}},
		"unknown id":    {"pid": {c0}, "x": {c1}},
		"none":          {},
		"wrong type":    {"pid": {pool[2].credential()}},
		"empty for one": {"pid": {}},
	} {
		if _, err := q.CheckPresentation(p); !errors.Is(err, dcql.ErrNotSatisfied) {
			t.Errorf("%s: err = %v, want ErrNotSatisfied", name, err)
		}
	}
}

func TestPathCovers(t *testing.T) {
	p := dcql.Path{"address", "country"}
	for _, tc := range []struct {
		claim []any
		want  bool
	}{
		{[]any{"address"}, true}, {[]any{"address", "country"}, true}, {[]any{"address", "locality"}, false}, {[]any{"given_name"}, false},
		{[]any{"address.country"}, false}, {[]any{"address", 0}, false},
	} {
		if got := p.Covers(tc.claim); got != tc.want {
			t.Errorf("Covers(%v) = %v, want %v", tc.claim, got, tc.want)
		}
	}
	n := dcql.Path{"nationalities", nil}
	if !n.Covers([]any{"nationalities", 0}) || !n.Covers([]any{"nationalities", 3}) || !n.Covers([]any{"nationalities"}) {
		t.Error("array disclosures not covered")
	}
	if n.Covers([]any{"nationalities", "0"}) {
		t.Error("a member named \"0\" covered as an array element")
	}
	first := dcql.Path{"nationalities", 0}
	if !first.Covers([]any{"nationalities", 0}) || first.Covers([]any{"nationalities", 1}) {
		t.Error("an index covers another element")
	}
	dotted := dcql.Path{"a.b"}
	if dotted.Covers([]any{"a", "b"}) || !dotted.Covers([]any{"a.b"}) || (dcql.Path{"a", "b"}).Covers([]any{"a.b"}) {
		t.Error("a dotted name confused with a nested path")
	}
	city := dcql.Path{"addresses", 0, "city"}
	if !city.Covers([]any{"addresses", 0, "city"}) || !city.Covers([]any{"addresses", 0}) || city.Covers([]any{"addresses", 1, "city"}) {
		t.Error("another element's member covered")
	}
}
