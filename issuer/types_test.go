package issuer

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTypes(t *testing.T) {
	cases := []struct {
		name, ext, doc string
		err            error
		check          func(t *testing.T, ts []CredentialType)
	}{
		{"yaml adds a type", ".yaml", `
types:
  - name: TradeLicence
    validity: 90d
    defaultFormat: ldp_vc
    claims:
      - {name: licenceNo, type: string, required: true}
      - {name: expires, type: date}
`, nil, func(t *testing.T, ts []CredentialType) {
			if len(ts) != 3 || ts[2].Name != "TradeLicence" || ts[2].ValidityOrDefault() != 90*24*time.Hour || ts[2].DefaultFormat != "ldp_vc" {
				t.Fatalf("%+v", ts)
			}
		}},
		{"json replaces defaults", ".json", `{"replace":true,"types":[{"name":"X","claims":[{"name":"a","type":"integer"}],"defaultFormat":"vc-jwt"}]}`, nil,
			func(t *testing.T, ts []CredentialType) {
				if len(ts) != 1 || ts[0].DefaultFormat != "jwt_vc_json" {
					t.Fatalf("%+v", ts)
				}
			}},
		{"override default", ".yml", "types:\n  - name: BusinessRegistration\n    claims: [{name: uen, type: string, required: true}]\n", nil,
			func(t *testing.T, ts []CredentialType) {
				if len(ts) != 2 || len(ts[0].Claims) != 1 {
					t.Fatalf("%+v", ts)
				}
			}},
		{"unknown field", ".yaml", "types:\n  - name: A\n    claimz: []\n", ErrConfig, nil},
		{"bad name", ".json", `{"types":[{"name":"1 bad"}]}`, ErrConfig, nil},
		{"bad claim type", ".json", `{"types":[{"name":"A","claims":[{"name":"a","type":"float"}]}]}`, ErrConfig, nil},
		{"claim id", ".json", `{"types":[{"name":"A","claims":[{"name":"id","type":"string"}]}]}`, ErrConfig, nil},
		{"dup claim", ".json", `{"types":[{"name":"A","claims":[{"name":"a","type":"string"},{"name":"a","type":"string"}]}]}`, ErrConfig, nil},
		{"dup type", ".json", `{"replace":true,"types":[{"name":"A"},{"name":"A"}]}`, ErrConfig, nil},
		{"bad format", ".json", `{"types":[{"name":"A","defaultFormat":"mdoc"}]}`, ErrConfig, nil},
		{"bad duration", ".json", `{"types":[{"name":"A","validity":"forever"}]}`, ErrConfig, nil},
		{"bad context", ".json", `{"types":[{"name":"A","contexts":["not a url"]}]}`, ErrConfig, nil},
		{"not yaml", ".yaml", "{{{", ErrConfig, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts, err := ParseTypes([]byte(c.doc), c.ext)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, ts)
		})
	}
}

func TestCheckSubject(t *testing.T) {
	typ := CredentialType{Name: "T", Claims: []Claim{{Name: "s", Type: ClaimString, Required: true}, {Name: "n", Type: ClaimNumber},
		{Name: "i", Type: ClaimInteger}, {Name: "b", Type: ClaimBoolean}, {Name: "d", Type: ClaimDate}, {Name: "o", Type: ClaimObject},
		{Name: "a", Type: ClaimArray}}}
	cases := []struct {
		subject map[string]any
		err     error
	}{
		{map[string]any{"s": "x"}, nil},
		{map[string]any{"s": "x", "n": 1.5, "i": json.Number("3"), "b": false, "d": "2020-01-02", "o": map[string]any{}, "a": []any{}}, nil},
		{map[string]any{"s": "x", "d": "2020-01-02T03:04:05Z"}, nil},
		{map[string]any{}, ErrMissingClaim},
		{map[string]any{"s": 1}, ErrClaimType},
		{map[string]any{"s": "x", "i": 1.5}, ErrClaimType},
		{map[string]any{"s": "x", "i": json.Number("1.5")}, ErrClaimType},
		{map[string]any{"s": "x", "n": "1"}, ErrClaimType},
		{map[string]any{"s": "x", "d": "02/01/2020"}, ErrClaimType},
		{map[string]any{"s": "x", "o": []any{}}, ErrClaimType},
		{map[string]any{"s": "x", "z": 1}, ErrUnknownClaim},
		{map[string]any{"s": "x", "id": 5}, ErrClaimType},
		{map[string]any{"s": strings.Repeat("x", MaxSubjectBytes)}, ErrSubjectTooLarge},
	}
	for i, c := range cases {
		if err := typ.CheckSubject(c.subject); !errors.Is(err, c.err) && !(err == nil && c.err == nil) {
			t.Errorf("case %d: %v, want %v", i, err, c.err)
		}
	}
}

func FuzzParseTypes(f *testing.F) {
	f.Add([]byte("types:\n  - name: A\n    claims: [{name: a, type: string}]\n"), true)
	f.Add([]byte(`{"types":[{"name":"A","validity":"3d","claims":[{"name":"a","type":"object","disclosable":true}]}]}`), false)
	f.Add([]byte(`{"replace":true,"types":[]}`), false)
	f.Fuzz(func(t *testing.T, doc []byte, yaml bool) {
		ext := ".json"
		if yaml {
			ext = ".yaml"
		}
		ts, err := ParseTypes(doc, ext)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error outside ErrConfig: %v", err)
			}
			return
		}
		for _, ty := range ts {
			_ = ty.CheckSubject(map[string]any{"a": "x"})
			_ = ty.InlineContext()
		}
	})
}
