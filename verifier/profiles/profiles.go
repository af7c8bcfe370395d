// Package profiles holds a verifier's relying-party profiles: named policies (accepted
// credential types and jurisdictions, minimum assurance, required claims, cross-border
// allow-list mode, holder binding) that a relying party selects per request, each relying
// party authenticated by its own API key (kept in the configuration as a SHA-256 hash and
// compared in constant time) and allowed to use only its own profiles.
//
// A profile's policy is the service's policy with the profile's settings in place of the
// service's; a request's options can still narrow it (verifier.Policy.NarrowChecked), never
// loosen it.
package profiles

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/verifier"
)

// Stable error codes of profile selection (the verifier service maps them to HTTP statuses).
const (
	// CodeUnauthorized: no relying-party key, or one that matches no relying party.
	CodeUnauthorized errs.Code = "unauthorized"
	// CodeProfileNotFound: no profile with that name.
	CodeProfileNotFound errs.Code = "profile_not_found"
	// CodeProfileForbidden: the profile belongs to another relying party.
	CodeProfileForbidden errs.Code = "profile_forbidden"
	// CodeInvalidProfiles: the profiles configuration is invalid.
	CodeInvalidProfiles errs.Code = "invalid_profiles"
)

// Sentinel errors, one per code.
var (
	// ErrUnauthorized carries CodeUnauthorized.
	ErrUnauthorized = errs.New(CodeUnauthorized, "unauthorized: missing or unknown relying-party key")
	// ErrProfileNotFound carries CodeProfileNotFound.
	ErrProfileNotFound = errs.New(CodeProfileNotFound, "profile not found")
	// ErrProfileForbidden carries CodeProfileForbidden.
	ErrProfileForbidden = errs.New(CodeProfileForbidden, "profile forbidden: it belongs to another relying party")
	// ErrInvalidProfiles carries CodeInvalidProfiles.
	ErrInvalidProfiles = errs.New(CodeInvalidProfiles, "invalid profiles configuration")
)

// Config is the profiles file (YAML or JSON).
type Config struct {
	// RelyingParties are the relying parties that may use profiles.
	RelyingParties []RelyingParty `yaml:"relyingParties" json:"relyingParties"`
	// Profiles are the named policies.
	Profiles []Profile `yaml:"profiles" json:"profiles"`
}

// RelyingParty is a client of the verifier with its own API key.
type RelyingParty struct {
	// Name identifies the relying party; profiles name it as their owner.
	Name string `yaml:"name" json:"name"`
	// APIKeySHA256 is the lower-case hex SHA-256 of the relying party's bearer key (the key
	// itself is never stored: `printf %s "$KEY" | sha256sum`).
	APIKeySHA256 string `yaml:"apiKeySHA256" json:"apiKeySHA256"`
}

// Profile is a relying party's named policy. Empty settings keep the service's.
type Profile struct {
	// Name is the profile's name, used in /profiles/{name}/...
	Name string `yaml:"name" json:"name"`
	// RelyingParty names the relying party that owns (and alone may use) the profile.
	RelyingParty string `yaml:"relyingParty" json:"relyingParty"`
	// CredentialTypes are the accepted credential types (one must be present).
	CredentialTypes []string `yaml:"credentialTypes" json:"credentialTypes"`
	// Jurisdictions are the accepted issuer jurisdictions.
	Jurisdictions []string `yaml:"jurisdictions" json:"jurisdictions"`
	// Schemes are the accepted foreign schemes.
	Schemes []string `yaml:"schemes" json:"schemes"`
	// MinAssurance is the lowest local assurance level accepted.
	MinAssurance string `yaml:"minAssurance" json:"minAssurance"`
	// RequiredClaims are local claim names that must be present.
	RequiredClaims []string `yaml:"requiredClaims" json:"requiredClaims"`
	// CrossBorderClaims is the allow-list mode: refuse, strip or allow claims outside the
	// recognition's cross-border allow-list.
	CrossBorderClaims string `yaml:"crossBorderClaims" json:"crossBorderClaims"`
	// HolderBinding is subject, holder-signed or none.
	HolderBinding string `yaml:"holderBinding" json:"holderBinding"`
	// AllowBearerCredentials, when set, says whether presentations may carry credentials
	// without a subject id.
	AllowBearerCredentials *bool `yaml:"allowBearerCredentials" json:"allowBearerCredentials"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Load reads a profiles file.
func Load(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, errs.Wrap(CodeInvalidProfiles, "invalid profiles configuration: reading "+path, err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, errs.Wrap(CodeInvalidProfiles, fmt.Sprintf("invalid profiles configuration: %s: %v", path, err), err)
	}
	return c, nil
}

type profile struct {
	owner  string
	policy verifier.Policy
}

type party struct {
	name string
	hash []byte
}

// Set is a checked profile configuration, ready to select policies. It is safe for
// concurrent use.
type Set struct {
	parties  []party
	profiles map[string]profile
}

// New checks c and builds every profile's policy over base (the service's policy).
func New(c Config, base verifier.Policy) (*Set, error) {
	s := &Set{profiles: map[string]profile{}}
	seen := map[string]bool{}
	for _, rp := range c.RelyingParties {
		h, err := hex.DecodeString(strings.ToLower(strings.TrimSpace(rp.APIKeySHA256)))
		switch {
		case !nameRE.MatchString(rp.Name):
			return nil, errs.Errorf(CodeInvalidProfiles, "invalid profiles configuration: relying party name %q (lower-case letters, digits, dashes)", rp.Name)
		case seen[rp.Name]:
			return nil, errs.Errorf(CodeInvalidProfiles, "invalid profiles configuration: relying party %s listed twice", rp.Name)
		case err != nil || len(h) != sha256.Size:
			return nil, errs.Errorf(CodeInvalidProfiles, "invalid profiles configuration: relying party %s: apiKeySHA256 must be 64 hex digits (the SHA-256 of its key)", rp.Name)
		}
		seen[rp.Name] = true
		s.parties = append(s.parties, party{name: rp.Name, hash: h})
	}
	for _, p := range c.Profiles {
		if !nameRE.MatchString(p.Name) {
			return nil, errs.Errorf(CodeInvalidProfiles, "invalid profiles configuration: profile name %q (lower-case letters, digits, dashes)", p.Name)
		}
		if _, dup := s.profiles[p.Name]; dup {
			return nil, errs.Errorf(CodeInvalidProfiles, "invalid profiles configuration: profile %s listed twice", p.Name)
		}
		if !seen[p.RelyingParty] {
			return nil, errs.Errorf(CodeInvalidProfiles, "invalid profiles configuration: profile %s: relying party %q is not listed", p.Name, p.RelyingParty)
		}
		pol, err := p.policy(base)
		if err != nil {
			return nil, err
		}
		s.profiles[p.Name] = profile{owner: p.RelyingParty, policy: pol}
	}
	return s, nil
}

// policy is base with the profile's settings in place of the service's.
func (p Profile) policy(base verifier.Policy) (verifier.Policy, error) {
	out := base
	bad := func(what string) error {
		return errs.Errorf(CodeInvalidProfiles, "invalid profiles configuration: profile %s: %s", p.Name, what)
	}
	if p.CredentialTypes != nil {
		out.CredentialTypes = p.CredentialTypes
	}
	if p.Jurisdictions != nil {
		out.Jurisdictions = p.Jurisdictions
	}
	if p.Schemes != nil {
		out.Schemes = p.Schemes
	}
	if p.MinAssurance != "" {
		levels := base.AssuranceLevels
		if len(levels) == 0 {
			levels = verifier.DefaultAssuranceLevels
		}
		ok := false
		for _, l := range levels {
			ok = ok || strings.EqualFold(l, p.MinAssurance)
		}
		if !ok {
			return out, bad(fmt.Sprintf("minAssurance %q is not one of %v", p.MinAssurance, levels))
		}
		out.MinAssurance = p.MinAssurance
	}
	if p.RequiredClaims != nil {
		out.RequiredClaims = p.RequiredClaims
	}
	switch p.CrossBorderClaims {
	case "":
	case "refuse":
		out.CrossBorder = verifier.ClaimsRefuse
	case "strip":
		out.CrossBorder = verifier.ClaimsStrip
	case "allow":
		out.CrossBorder = verifier.ClaimsAllow
	default:
		return out, bad(fmt.Sprintf("crossBorderClaims %q (want refuse, strip or allow)", p.CrossBorderClaims))
	}
	if p.HolderBinding != "" {
		hb, err := verifier.ParseHolderBinding(p.HolderBinding)
		if err != nil {
			return out, bad(fmt.Sprintf("holderBinding %q (want subject, holder-signed or none)", p.HolderBinding))
		}
		out.HolderBinding = hb
	}
	if p.AllowBearerCredentials != nil {
		out.RequireHolderBinding = !*p.AllowBearerCredentials
	}
	return out, nil
}

// Names returns the profile names.
func (s *Set) Names() []string {
	out := make([]string, 0, len(s.profiles))
	for n := range s.profiles {
		out = append(out, n)
	}
	return out
}

// Select authenticates the relying party of token and returns the policy of its profile
// name: ErrUnauthorized when the token matches no relying party, ErrProfileNotFound for an
// unknown profile, ErrProfileForbidden for another relying party's profile.
func (s *Set) Select(name, token string) (verifier.Policy, error) {
	sel, err := s.Authorize(name, token)
	return sel.Policy, err
}

// Selection is a profile selected by its relying party.
type Selection struct {
	// RelyingParty is the authenticated relying party's name.
	RelyingParty string
	// Profile is the profile's name.
	Profile string
	// Policy is the profile's policy.
	Policy verifier.Policy
}

// Authorize is Select, also naming the relying party and the profile: what a request under a
// profile records as its owner.
func (s *Set) Authorize(name, token string) (Selection, error) {
	if s == nil || len(s.profiles) == 0 {
		return Selection{}, errs.Errorf(CodeProfileNotFound, "profile not found: %q (this verifier has no profiles)", name)
	}
	rp := s.authenticate(token)
	if rp == "" {
		return Selection{}, ErrUnauthorized
	}
	p, ok := s.profiles[name]
	if !ok {
		return Selection{}, errs.Errorf(CodeProfileNotFound, "profile not found: %q", name)
	}
	if p.owner != rp {
		return Selection{}, errs.Errorf(CodeProfileForbidden, "profile forbidden: %s is not a profile of relying party %s", name, rp)
	}
	return Selection{RelyingParty: rp, Profile: name, Policy: p.policy}, nil
}

// Policy returns the policy of profile name if relyingParty owns it, without authenticating
// anyone: for work a relying party started under its profile and a third party completes (an
// OpenID4VP wallet's answer). ErrProfileNotFound when there is no such profile of that
// relying party (any more: the file changed since).
func (s *Set) Policy(name, relyingParty string) (verifier.Policy, error) {
	if s != nil {
		if p, ok := s.profiles[name]; ok && p.owner == relyingParty {
			return p.policy, nil
		}
	}
	return verifier.Policy{}, errs.Errorf(CodeProfileNotFound, "profile not found: %q of relying party %q", name, relyingParty)
}

// authenticate returns the relying party whose key hash matches token's, comparing every
// hash in constant time ("" for none).
func (s *Set) authenticate(token string) string {
	if s == nil || token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	found := ""
	for _, p := range s.parties {
		if subtle.ConstantTimeCompare(sum[:], p.hash) == 1 {
			found = p.name
		}
	}
	return found
}
