package issuer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/vc"
)

// ClaimType is the JSON type a subject claim must have.
type ClaimType string

// Claim types.
const (
	ClaimString  ClaimType = "string"
	ClaimNumber  ClaimType = "number"
	ClaimInteger ClaimType = "integer"
	ClaimBoolean ClaimType = "boolean"
	// ClaimDate is a string holding an RFC 3339 date (2006-01-02) or date-time.
	ClaimDate   ClaimType = "date"
	ClaimObject ClaimType = "object"
	ClaimArray  ClaimType = "array"
)

// Claim declares one subject claim of a credential type.
type Claim struct {
	// Name is the claim name as it appears in credentialSubject.
	Name string `json:"name" yaml:"name"`
	// Type is the JSON type the value must have.
	Type ClaimType `json:"type" yaml:"type"`
	// Required claims must be present in every request.
	Required bool `json:"required,omitempty" yaml:"required,omitempty"`
	// Disclosable makes the claim selectively disclosable in SD-JWT VC by default.
	Disclosable bool `json:"disclosable,omitempty" yaml:"disclosable,omitempty"`
	// Display names the claim for wallets, one entry per language (OpenID4VCI metadata).
	Display []Display `json:"display,omitempty" yaml:"display,omitempty"`
}

// Duration is a time.Duration that reads "8760h", "90m" or "365d" from JSON and YAML.
type Duration time.Duration

// ParseDuration reads a Go duration or a whole number of days with the suffix "d".
func ParseDuration(s string) (Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, errs.Errorf(CodeConfig, "invalid configuration: duration %q: bad day count", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errs.Errorf(CodeConfig, "invalid configuration: duration %q: %v", s, err)
	}
	return Duration(d), nil
}

// String formats the duration like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errs.Errorf(CodeConfig, "invalid configuration: duration must be a string like \"8760h\" or \"365d\"")
	}
	v, err := ParseDuration(s)
	*d = v
	return err
}

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	*d = v
	return err
}

// CredentialType is a credential template: the subject claims a business posts, and how the
// issuer turns them into a complete credential.
type CredentialType struct {
	// Name is the credential type, added to "type" after VerifiableCredential
	// (e.g. "BusinessRegistration"). It is what API-key scopes name.
	Name string `json:"name" yaml:"name"`
	// VCT is the SD-JWT VC type; empty means "<base URL>/types/<Name>".
	VCT string `json:"vct,omitempty" yaml:"vct,omitempty"`
	// Contexts are extra JSON-LD contexts appended after the base context (URLs; they must be
	// known to verifiers' pinned loaders). The VC 2.0 base context's @vocab covers the rest.
	Contexts []string `json:"contexts,omitempty" yaml:"contexts,omitempty"`
	// Claims declares the subject claims. Claims not declared are refused (unknown_claim).
	Claims []Claim `json:"claims" yaml:"claims"`
	// Validity is how long credentials of this type are valid; zero means one year.
	Validity Duration `json:"validity,omitempty" yaml:"validity,omitempty"`
	// DefaultFormat is used when a request names none; empty means vc+jwt.
	DefaultFormat vc.Format `json:"defaultFormat,omitempty" yaml:"defaultFormat,omitempty"`
	// Description is shown in metadata.
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Display names the type for wallets, one entry per language (OpenID4VCI metadata).
	Display []Display `json:"display,omitempty" yaml:"display,omitempty"`
}

// Vocab is the IRI prefix of the terms idport defines for its credential types.
const Vocab = "https://w3id.org/idport/vocab#"

// InlineContext returns a JSON-LD context object defining the type name and every claim of
// t under Vocab (object and array claims as JSON literals), so that Data Integrity
// credentials of the type are safe-mode JSON-LD without a context fetched from anywhere.
func (t *CredentialType) InlineContext() json.RawMessage {
	m := map[string]any{t.Name: Vocab + t.Name}
	for _, c := range t.Claims {
		switch c.Type {
		case ClaimObject, ClaimArray:
			m[c.Name] = map[string]any{"@id": Vocab + c.Name, "@type": "@json"}
		default:
			m[c.Name] = Vocab + c.Name
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// TypeMetadata returns SD-JWT VC Type Metadata for t (vct, name, description, and each claim
// with its selective-disclosure rule), served at the default vct URL <base URL>/types/<name>.
func (t *CredentialType) TypeMetadata(vct string) ([]byte, error) {
	type claimMeta struct {
		Path []string `json:"path"`
		SD   string   `json:"sd"`
	}
	claims := make([]claimMeta, 0, len(t.Claims))
	for _, c := range t.Claims {
		sd := "allowed"
		if c.Disclosable {
			sd = "always"
		}
		claims = append(claims, claimMeta{Path: []string{c.Name}, SD: sd})
	}
	return json.Marshal(struct {
		VCT         string      `json:"vct"`
		Name        string      `json:"name"`
		Description string      `json:"description,omitempty"`
		Claims      []claimMeta `json:"claims"`
	}{vct, t.Name, t.Description, claims})
}

// Limits on subjects.
const (
	// MaxSubjectClaims bounds the number of top-level claims in a subject.
	MaxSubjectClaims = 64
	// MaxSubjectBytes bounds the JSON size of a subject.
	MaxSubjectBytes = 16 << 10
)

var typeNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// Formats lists the credential formats the issuer can produce.
var Formats = []vc.Format{vc.FormatVCJOSE, vc.FormatVCJWT11, vc.FormatSDJWT, vc.FormatDI}

// ParseFormat checks a format name; it also accepts a few common aliases
// ("vc+sd-jwt", "jwt_vc", "di", "ldp").
func ParseFormat(s string) (vc.Format, error) {
	switch s {
	case string(vc.FormatVCJOSE), "jwt_vc_json-ld+jose", "vc-jose":
		return vc.FormatVCJOSE, nil
	case string(vc.FormatVCJWT11), "jwt_vc", "vc-jwt":
		return vc.FormatVCJWT11, nil
	case string(vc.FormatSDJWT), "vc+sd-jwt", "sd-jwt":
		return vc.FormatSDJWT, nil
	case string(vc.FormatDI), "di", "ldp":
		return vc.FormatDI, nil
	}
	return "", errs.Errorf(CodeUnsupportedFormat, "unsupported format: %q; supported: %v", s, Formats)
}

// check validates a credential type definition.
func (t *CredentialType) check() error {
	if !typeNameRE.MatchString(t.Name) {
		return errs.Errorf(CodeConfig, "invalid configuration: credential type name %q must match %s", t.Name, typeNameRE)
	}
	if t.DefaultFormat != "" {
		f, err := ParseFormat(string(t.DefaultFormat))
		if err != nil {
			return errs.Wrap(CodeConfig, fmt.Sprintf("invalid configuration: type %s", t.Name), err)
		}
		t.DefaultFormat = f
	}
	if t.Validity < 0 {
		return errs.Errorf(CodeConfig, "invalid configuration: type %s: negative validity", t.Name)
	}
	seen := map[string]bool{}
	for _, c := range t.Claims {
		if c.Name == "" || c.Name == "id" || strings.HasPrefix(c.Name, "@") || strings.HasPrefix(c.Name, "_") {
			return errs.Errorf(CodeConfig, "invalid configuration: type %s: bad claim name %q", t.Name, c.Name)
		}
		if seen[c.Name] {
			return errs.Errorf(CodeConfig, "invalid configuration: type %s: claim %q declared twice", t.Name, c.Name)
		}
		seen[c.Name] = true
		switch c.Type {
		case ClaimString, ClaimNumber, ClaimInteger, ClaimBoolean, ClaimDate, ClaimObject, ClaimArray:
		default:
			return errs.Errorf(CodeConfig, "invalid configuration: type %s: claim %q has unknown type %q", t.Name, c.Name, c.Type)
		}
	}
	for _, u := range t.Contexts {
		if !vc.IsURL(u) {
			return errs.Errorf(CodeConfig, "invalid configuration: type %s: context %q is not a URL", t.Name, u)
		}
	}
	return nil
}

// ValidityOrDefault returns the validity duration, one year when unset.
func (t *CredentialType) ValidityOrDefault() time.Duration {
	if t.Validity == 0 {
		return 365 * 24 * time.Hour
	}
	return time.Duration(t.Validity)
}

// Disclosable returns the claims selectively disclosable by default.
func (t *CredentialType) Disclosable() []string {
	var out []string
	for _, c := range t.Claims {
		if c.Disclosable {
			out = append(out, c.Name)
		}
	}
	return out
}

func (t *CredentialType) claim(name string) (Claim, bool) {
	for _, c := range t.Claims {
		if c.Name == name {
			return c, true
		}
	}
	return Claim{}, false
}

// CheckSubject validates subject claims against the type: size, unknown claims, required
// claims and JSON types. "id" is always allowed and must be a URL.
func (t *CredentialType) CheckSubject(subject map[string]any) error {
	if len(subject) > MaxSubjectClaims {
		return errs.Errorf(CodeSubjectTooLarge, "credential subject too large: %d claims, limit %d", len(subject), MaxSubjectClaims)
	}
	if n := jsonSize(subject, 0); n > MaxSubjectBytes {
		return errs.Errorf(CodeSubjectTooLarge, "credential subject too large: about %d bytes of JSON, limit %d", n, MaxSubjectBytes)
	}
	for name, v := range subject {
		if err := t.checkClaim(name, v); err != nil {
			// Report the first failing claim in name order, so errors are deterministic.
			names := make([]string, 0, len(subject))
			for n := range subject {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if err := t.checkClaim(n, subject[n]); err != nil {
					return err
				}
			}
		}
	}
	for _, c := range t.Claims {
		if _, ok := subject[c.Name]; c.Required && !ok {
			return errs.Errorf(CodeMissingClaim, "missing claim: %q is required by %s", c.Name, t.Name)
		}
	}
	return nil
}

// checkClaim checks one subject claim against the type.
func (t *CredentialType) checkClaim(name string, v any) error {
	if name == "id" {
		if s, ok := v.(string); !ok || !vc.IsURL(s) {
			return errs.Errorf(CodeClaimType, "claim type mismatch: id must be a URL string")
		}
		return nil
	}
	c, ok := t.claim(name)
	if !ok {
		return errs.Errorf(CodeUnknownClaim, "unknown claim: %q is not a claim of %s", name, t.Name)
	}
	if !hasType(v, c.Type) {
		return errs.Errorf(CodeClaimType, "claim type mismatch: %q must be of type %s", name, c.Type)
	}
	return nil
}

// jsonSize estimates the JSON size of a decoded value without encoding it (strings count
// their bytes plus quotes; escapes are not counted). Values nested deeper than 32 levels
// count as too large.
func jsonSize(v any, depth int) int {
	if depth > 32 {
		return MaxSubjectBytes + 1
	}
	switch x := v.(type) {
	case string:
		return len(x) + 2
	case json.Number:
		return len(x)
	case map[string]any:
		n := 2
		for k, e := range x {
			n += len(k) + 4 + jsonSize(e, depth+1)
			if n > MaxSubjectBytes {
				return n
			}
		}
		return n
	case []any:
		n := 2
		for _, e := range x {
			n += 1 + jsonSize(e, depth+1)
			if n > MaxSubjectBytes {
				return n
			}
		}
		return n
	case bool, nil:
		return 5
	default:
		return 24 // numbers
	}
}

func hasType(v any, ct ClaimType) bool {
	switch ct {
	case ClaimString:
		_, ok := v.(string)
		return ok
	case ClaimDate:
		s, ok := v.(string)
		if !ok {
			return false
		}
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return true
		}
		_, err := time.Parse(time.RFC3339, s)
		return err == nil
	case ClaimBoolean:
		_, ok := v.(bool)
		return ok
	case ClaimNumber:
		switch x := v.(type) {
		case float64, int, int64:
			return true
		case json.Number:
			_, err := x.Float64()
			return err == nil
		}
	case ClaimInteger:
		switch x := v.(type) {
		case int, int64:
			return true
		case float64:
			return x == float64(int64(x)) && x < 1<<53 && x > -(1<<53)
		case json.Number:
			_, err := x.Int64()
			return err == nil
		}
	case ClaimObject:
		_, ok := v.(map[string]any)
		return ok
	case ClaimArray:
		_, ok := v.([]any)
		return ok
	}
	return false
}

// DefaultTypes returns the built-in credential types: BusinessRegistration (Singapore company
// registration, VC-JOSE-COSE) and PersonIdentity (a Hong Kong / Singapore resident, SD-JWT VC
// with selectively disclosable personal claims).
func DefaultTypes() []CredentialType {
	return []CredentialType{
		{
			Name:        "BusinessRegistration",
			Description: "A company's registration with its national business registry (e.g. Singapore ACRA).",
			Display: []Display{{Name: "Business registration", Locale: "en", Description: "Company registration with a national business registry"},
				{Name: "商业登记", Locale: "zh", Description: "在国家商业登记机构的公司登记"}},
			Validity:      Duration(365 * 24 * time.Hour),
			DefaultFormat: vc.FormatVCJOSE,
			Claims: []Claim{
				{Name: "uen", Type: ClaimString, Required: true, Display: []Display{{Name: "Unique Entity Number", Locale: "en"}, {Name: "唯一实体编号", Locale: "zh"}}},
				{Name: "legalName", Type: ClaimString, Required: true, Display: []Display{{Name: "Legal name", Locale: "en"}, {Name: "法定名称", Locale: "zh"}}},
				{Name: "registeredAddress", Type: ClaimString, Required: true, Disclosable: true, Display: []Display{{Name: "Registered address", Locale: "en"}, {Name: "注册地址", Locale: "zh"}}},
				{Name: "incorporationDate", Type: ClaimDate, Required: true, Display: []Display{{Name: "Incorporation date", Locale: "en"}, {Name: "注册成立日期", Locale: "zh"}}},
				{Name: "entityType", Type: ClaimString, Required: true, Display: []Display{{Name: "Entity type", Locale: "en"}, {Name: "实体类型", Locale: "zh"}}},
				{Name: "jurisdiction", Type: ClaimString, Display: []Display{{Name: "Jurisdiction", Locale: "en"}, {Name: "司法管辖区", Locale: "zh"}}},
				{Name: "status", Type: ClaimString, Display: []Display{{Name: "Status", Locale: "en"}, {Name: "状态", Locale: "zh"}}},
				{Name: "industryCode", Type: ClaimString, Disclosable: true, Display: []Display{{Name: "Industry code", Locale: "en"}, {Name: "行业代码", Locale: "zh"}}},
			},
		},
		{
			Name:        "PersonIdentity",
			Description: "A Hong Kong or Singapore resident's identity for cross-border use.",
			Display: []Display{{Name: "Personal identity", Locale: "en", Description: "Identity of a Hong Kong or Singapore resident"},
				{Name: "个人身份", Locale: "zh", Description: "香港或新加坡居民的身份"}},
			Validity:      Duration(180 * 24 * time.Hour),
			DefaultFormat: vc.FormatSDJWT,
			Claims: []Claim{
				{Name: "givenName", Type: ClaimString, Required: true, Disclosable: true, Display: []Display{{Name: "Given name", Locale: "en"}, {Name: "名", Locale: "zh"}}},
				{Name: "familyName", Type: ClaimString, Required: true, Disclosable: true, Display: []Display{{Name: "Family name", Locale: "en"}, {Name: "姓", Locale: "zh"}}},
				{Name: "birthDate", Type: ClaimDate, Required: true, Disclosable: true, Display: []Display{{Name: "Date of birth", Locale: "en"}, {Name: "出生日期", Locale: "zh"}}},
				{Name: "nationality", Type: ClaimString, Required: true, Disclosable: true, Display: []Display{{Name: "Nationality", Locale: "en"}, {Name: "国籍", Locale: "zh"}}},
				{Name: "residency", Type: ClaimString, Disclosable: true, Display: []Display{{Name: "Residency", Locale: "en"}, {Name: "居住地", Locale: "zh"}}},
				{Name: "idNumber", Type: ClaimString, Disclosable: true, Display: []Display{{Name: "Identity number", Locale: "en"}, {Name: "身份证号码", Locale: "zh"}}},
				{Name: "ageOver18", Type: ClaimBoolean, Disclosable: true, Display: []Display{{Name: "Over 18", Locale: "en"}, {Name: "已满18岁", Locale: "zh"}}},
				{Name: "address", Type: ClaimObject, Disclosable: true, Display: []Display{{Name: "Address", Locale: "en"}, {Name: "地址", Locale: "zh"}}},
			},
		},
	}
}

// typesFile is the shape of a credential types file.
type typesFile struct {
	// Replace drops the built-in types; otherwise the file's types add to or override them.
	Replace bool             `json:"replace,omitempty" yaml:"replace,omitempty"`
	Types   []CredentialType `json:"types" yaml:"types"`
}

// LoadTypesFile reads credential types from a YAML (.yaml/.yml) or JSON file and merges them
// over the built-in defaults (a type of the same name replaces the default; "replace: true"
// drops the defaults).
func LoadTypesFile(path string) ([]CredentialType, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errs.Wrap(CodeConfig, "invalid configuration: reading types file", err)
	}
	return ParseTypes(b, filepath.Ext(path))
}

// ParseTypes reads a types document (ext ".json", ".yaml" or ".yml") and merges it over the
// built-in defaults.
func ParseTypes(b []byte, ext string) ([]CredentialType, error) {
	var f typesFile
	switch strings.ToLower(ext) {
	case ".json":
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, errs.Errorf(CodeConfig, "invalid configuration: types file: %v", err)
		}
	default:
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			return nil, errs.Errorf(CodeConfig, "invalid configuration: types file: %v", err)
		}
	}
	inFile := map[string]bool{}
	for _, t := range f.Types {
		if inFile[t.Name] {
			return nil, errs.Errorf(CodeConfig, "invalid configuration: credential type %q defined twice in the types file", t.Name)
		}
		inFile[t.Name] = true
	}
	var out []CredentialType
	if !f.Replace {
		out = DefaultTypes()
	}
	for _, t := range f.Types {
		replaced := false
		for i := range out {
			if out[i].Name == t.Name {
				out[i], replaced = t, true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return CheckTypes(out)
}

// CheckTypes validates a list of credential types and returns it with formats normalised.
func CheckTypes(ts []CredentialType) ([]CredentialType, error) {
	out := make([]CredentialType, len(ts))
	seen := map[string]bool{}
	for i, t := range ts {
		t.Claims = append([]Claim(nil), t.Claims...)
		if err := t.check(); err != nil {
			return nil, err
		}
		if seen[t.Name] {
			return nil, errs.Errorf(CodeConfig, "invalid configuration: credential type %q defined twice", t.Name)
		}
		seen[t.Name] = true
		out[i] = t
	}
	return out, nil
}
