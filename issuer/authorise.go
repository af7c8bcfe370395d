package issuer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/vc"
)

// RegistryCheck says what the issuer does with the trust registry's answer before it signs.
type RegistryCheck string

// Registry check modes.
const (
	// CheckEnforce refuses a credential the registry does not authorise this issuer to assert
	// (issuer_not_authorised), and refuses every credential while the registry answer is stale
	// or unavailable (registry_stale): nothing is signed or stored.
	CheckEnforce RegistryCheck = "enforce"
	// CheckWarn issues anyway and says so: Issued.Warnings, the issuance record, and the
	// RegistryCheckStats counters.
	CheckWarn RegistryCheck = "warn"
	// CheckOff asks nothing.
	CheckOff RegistryCheck = "off"
)

// ParseRegistryCheck parses a mode name: enforce, warn or off.
func ParseRegistryCheck(s string) (RegistryCheck, error) {
	switch m := RegistryCheck(strings.ToLower(strings.TrimSpace(s))); m {
	case CheckEnforce, CheckWarn, CheckOff:
		return m, nil
	}
	return "", errs.Errorf(CodeConfig, "invalid configuration: registry check %q (want enforce, warn or off)", s)
}

// Authoriser answers whether an issuer is recognised for credential types. The issuer declares
// it; trustregistry/issuerauth adapts a verified registry replica to it, so that this package
// imports no registry package.
type Authoriser interface {
	// Authorise asks whether the issuer (its DID, or the RFC 7638 thumbprint of its signing key)
	// is recognised for EVERY one of types at time at. A registry answer, positive or not, is a
	// Grant with a nil error; an error means the question could not be asked at all (the issuer
	// treats it as a stale registry).
	Authorise(ctx context.Context, issuerDID, keyThumbprint string, types []string, at time.Time) (Grant, error)
}

// ReadyReporter is implemented by an Authoriser that can tell whether it can answer at all
// (a registry replica holding a fresh, verified snapshot). Issuer.Ready uses it.
type ReadyReporter interface {
	// Ready returns nil when the Authoriser can answer, or why it cannot.
	Ready() error
}

// Grant is a registry's answer to Authorise.
type Grant struct {
	// Authorised is true when every type asked about is recognised.
	Authorised bool `json:"authorised"`
	// Stale is true when the registry copy is stale or missing: no answer could be trusted.
	Stale bool `json:"stale,omitempty"`
	// Code is the registry's decision code: "recognised", or the refusal of the first type
	// refused (type_not_authorised, authority_suspended, issuer_not_recognised, registry_stale, ...).
	Code string `json:"code"`
	// Message explains Code.
	Message string `json:"message,omitempty"`
	// Type is the first credential type refused ("" when authorised).
	Type string `json:"type,omitempty"`
	// Authority and Scheme identify the registry entry that describes the issuer, when found.
	Authority string `json:"authority,omitempty"`
	Scheme    string `json:"scheme,omitempty"`
	// RegistryVersion is the registry version that answered.
	RegistryVersion uint64 `json:"registryVersion"`
}

// RegistryCheckStats counts the registry checks since the issuer started.
type RegistryCheckStats struct {
	// Checked counts the questions asked.
	Checked uint64
	// Refused counts the credentials refused (enforce).
	Refused uint64
	// Warned counts the credentials issued with a registry warning (warn).
	Warned uint64
}

type checkCounters struct{ checked, refused, warned atomic.Uint64 }

// RegistryCheck returns the effective registry check mode.
func (is *Issuer) RegistryCheck() RegistryCheck { return is.check }

// Ready reports whether the issuer can issue: under CheckEnforce, an Authoriser that reports
// readiness (ReadyReporter) must be ready, since every issuance would otherwise be refused with
// registry_stale. /readyz answers 503 with this error.
func (is *Issuer) Ready() error {
	if is.check != CheckEnforce || is.cfg.Authoriser == nil {
		return nil
	}
	if r, ok := is.cfg.Authoriser.(ReadyReporter); ok {
		if err := r.Ready(); err != nil {
			return fmt.Errorf("the registry check cannot answer yet: %w", err)
		}
	}
	return nil
}

// RegistryCheckStats returns the registry check counters.
func (is *Issuer) RegistryCheckStats() RegistryCheckStats {
	return RegistryCheckStats{Checked: is.checks.checked.Load(), Refused: is.checks.refused.Load(), Warned: is.checks.warned.Load()}
}

// registryMode resolves the configured mode: off without an Authoriser, enforce by default with one.
func registryMode(cfg Config) (RegistryCheck, error) {
	if cfg.RegistryCheck == "" {
		if cfg.Authoriser == nil {
			return CheckOff, nil
		}
		return CheckEnforce, nil
	}
	m, err := ParseRegistryCheck(string(cfg.RegistryCheck))
	if err != nil {
		return "", err
	}
	if m != CheckOff && cfg.Authoriser == nil {
		return "", errs.Errorf(CodeConfig, "invalid configuration: registry check %q needs a trust registry to ask", m)
	}
	return m, nil
}

// assertedTypes returns the credential types a plan asserts: its W3C types other than
// VerifiableCredential, or the one type of an SD-JWT VC.
func (p *plan) assertedTypes() []string {
	if p.cred == nil {
		return []string{p.typ}
	}
	out := make([]string, 0, len(p.cred.Type))
	for _, t := range p.cred.Type {
		if t != vc.TypeCredential && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		out = append(out, p.typ)
	}
	return out
}

// authorise asks the registry about p before anything is allocated, signed or stored. In
// enforce mode a refusal is an error; in warn mode it becomes a warning on the plan.
func (is *Issuer) authorise(ctx context.Context, p *plan) error {
	if is.check == CheckOff {
		return nil
	}
	is.checks.checked.Add(1)
	types := p.assertedTypes()
	g, err := is.cfg.Authoriser.Authorise(ctx, p.sk.did, p.sk.local, types, p.issuedAt)
	if err != nil {
		g = Grant{Stale: true, Code: string(CodeRegistryStale), Message: "the trust registry could not be asked"}
	}
	p.registryVersion = g.RegistryVersion
	if g.Authorised && !g.Stale {
		return nil
	}
	code, msg := CodeIssuerNotAuthorised, fmt.Sprintf("issuer not authorised: the trust registry (version %d) does not recognise %s for %s: %s: %s",
		g.RegistryVersion, p.sk.did, orType(g.Type, types), g.Code, g.Message)
	if g.Stale {
		code, msg = CodeRegistryStale, "trust registry stale: the issuer cannot confirm its authorisation: "+g.Message
	}
	if is.check == CheckEnforce {
		is.checks.refused.Add(1)
		is.log.Warn("issuance refused by the registry check", "code", code, "registry_code", g.Code, "type", g.Type, "registry_version", g.RegistryVersion, "cause", err)
		return errs.Wrap(code, msg, err).WithField("registryCode", g.Code).WithField("registryVersion", g.RegistryVersion)
	}
	is.checks.warned.Add(1)
	p.registryWarning = string(code) + ": " + g.Code
	is.log.Warn("credential issued despite the registry check (warn mode)", "code", code, "registry_code", g.Code, "type", g.Type, "registry_version", g.RegistryVersion)
	p.warnings = append(p.warnings, Warning{Code: code, Message: msg})
	return nil
}

func orType(t string, types []string) string {
	if t != "" {
		return fmt.Sprintf("%q", t)
	}
	return fmt.Sprintf("%q", types)
}

// Warning is a reservation about an issued credential (warn-mode registry checks).
type Warning struct {
	// Code is a stable issuer code (issuer_not_authorised, registry_stale).
	Code errs.Code `json:"code"`
	// Message explains it.
	Message string `json:"message"`
}
