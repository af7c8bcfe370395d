package verifier

import (
	"context"
	"slices"
	"sync/atomic"
	"time"
)

// TrustSource decides whether an issuer is recognised. It is implemented
// by an adapter over the trust registry's sync client (cmd/idport), by an
// in-process registry, or by StaticTrust. Decide is on the hot path: it
// answers from memory; the one exception is a source that recognises by
// federation framework, which may resolve a trust chain it has not cached
// yet, bounded by a timeout and by ctx.
type TrustSource interface {
	// Decide answers one recognition question. An error means the source
	// could not answer (not that the issuer is unrecognised).
	Decide(ctx context.Context, q TrustQuery) (TrustDecision, error)
	// Status reports whether the source holds a usable, fresh state.
	Status() TrustStatus
}

// TrustQuery asks whether Issuer may issue CredentialType at time At
// under a scheme recognised by LocalScheme.
type TrustQuery struct {
	// Issuer is the issuer identifier (a DID).
	Issuer string
	// KeyThumbprint is the RFC 7638 thumbprint of the signing key, for
	// registries that pin keys.
	KeyThumbprint string
	// CredentialType is the credential type (or SD-JWT vct).
	CredentialType string
	// IssuedAt is when the credential was issued.
	IssuedAt time.Time
	// At is the time the answer is for.
	At time.Time
	// LocalScheme is the verifier's own scheme.
	LocalScheme string
}

// TrustDecision is the answer to a TrustQuery with its grounds.
type TrustDecision struct {
	// Recognised is true when the issuer is recognised.
	Recognised bool
	// Code is the reason when not recognised: issuer_not_recognised,
	// authority_suspended, type_not_recognised, ...
	Code string
	// Message explains the decision.
	Message string
	// Grounds.
	Authority, Scheme, Jurisdiction, Agreement, Recognition string
	LocalAssurance, ForeignAssurance                        string
	RegistryVersion                                         uint64
	// ClaimMapping maps foreign claim names to local ones.
	ClaimMapping map[string]string
	// AllowedClaims lists the claims allowed across the border (foreign
	// names); nil means the recognition sets no allow-list.
	AllowedClaims []string
	// SuspendedFrom is the effective time of a suspension, when Code is
	// authority_suspended (zero when unknown).
	SuspendedFrom time.Time
	// Provenance says where the registry obtained the issuer's key (or,
	// for a recognition by federation framework, the trust chain); nil
	// when the source does not say.
	Provenance *Provenance
	// Chain names the OpenID Federation trust chain of a recognition by
	// framework ("leaf -> anchor"); empty otherwise.
	Chain string
}

// TrustStatus reports the state of a TrustSource.
type TrustStatus struct {
	Ready      bool
	Version    uint64
	Stale      bool
	LastUpdate time.Time
	Reason     string
}

// Unavailable returns a TrustSource that is never ready: a verifier using
// it rejects every credential with registry_stale (unless its policy makes
// recognition optional).
func Unavailable(reason string) TrustSource { return unavailable{reason: reason} }

type unavailable struct{ reason string }

// Decide answers registry_stale: there is no registry state.
func (u unavailable) Decide(context.Context, TrustQuery) (TrustDecision, error) {
	return TrustDecision{Code: string(CodeRegistryStale), Message: u.reason}, nil
}

// Status reports the source as never ready.
func (u unavailable) Status() TrustStatus { return TrustStatus{Reason: u.reason} }

// StaticAuthority is one recognised authority of a StaticTrust.
type StaticAuthority struct {
	// Issuer is the issuer DID.
	Issuer string
	// Authority, Scheme, Jurisdiction, Agreement and Recognition name the grounds.
	Authority, Scheme, Jurisdiction, Agreement, Recognition string
	// Types lists the credential types (or vct values) it may issue.
	Types []string
	// LocalAssurance and ForeignAssurance are the mapped assurance levels.
	LocalAssurance, ForeignAssurance string
	// ClaimMapping maps foreign claim names to local ones.
	ClaimMapping map[string]string
	// AllowedClaims is the cross-border allow-list (nil: no list).
	AllowedClaims []string
	// From is when the recognition takes effect (zero: always).
	From time.Time
	// SuspendedFrom, when set, suspends the authority from that time on.
	SuspendedFrom time.Time
	// Provenance, when set, is reported in the decision's grounds.
	Provenance *Provenance
}

// StaticTrust is an in-memory TrustSource over a fixed list of authorities,
// for tests, examples and offline use. It is safe for concurrent use;
// Suspend swaps an immutable index atomically.
type StaticTrust struct {
	idx atomic.Pointer[staticIndex]
}

type staticIndex struct {
	byIssuer map[string]*StaticAuthority
	version  uint64
}

// NewStaticTrust builds a StaticTrust at registry version version.
func NewStaticTrust(version uint64, auths ...StaticAuthority) *StaticTrust {
	s := &StaticTrust{}
	m := make(map[string]*StaticAuthority, len(auths))
	for i := range auths {
		a := auths[i]
		m[a.Issuer] = &a
	}
	s.idx.Store(&staticIndex{byIssuer: m, version: version})
	return s
}

// Suspend suspends the authority of issuer from time from and bumps the
// version. It reports whether the issuer was known.
func (s *StaticTrust) Suspend(issuer string, from time.Time) bool {
	for {
		old := s.idx.Load()
		a, ok := old.byIssuer[issuer]
		if !ok {
			return false
		}
		m := make(map[string]*StaticAuthority, len(old.byIssuer))
		for k, v := range old.byIssuer {
			m[k] = v
		}
		cp := *a
		cp.SuspendedFrom = from
		m[issuer] = &cp
		if s.idx.CompareAndSwap(old, &staticIndex{byIssuer: m, version: old.version + 1}) {
			return true
		}
	}
}

// Decide implements TrustSource.
func (s *StaticTrust) Decide(_ context.Context, q TrustQuery) (TrustDecision, error) {
	idx := s.idx.Load()
	a, ok := idx.byIssuer[q.Issuer]
	if !ok || (!a.From.IsZero() && q.At.Before(a.From)) {
		return TrustDecision{Code: string(CodeIssuerNotRecognised), Message: "issuer is not a recognised authority", RegistryVersion: idx.version}, nil
	}
	d := TrustDecision{
		Authority: a.Authority, Scheme: a.Scheme, Jurisdiction: a.Jurisdiction,
		Agreement: a.Agreement, Recognition: a.Recognition,
		LocalAssurance: a.LocalAssurance, ForeignAssurance: a.ForeignAssurance,
		RegistryVersion: idx.version, ClaimMapping: a.ClaimMapping, AllowedClaims: a.AllowedClaims,
		Provenance: a.Provenance,
	}
	if !a.SuspendedFrom.IsZero() && !q.At.Before(a.SuspendedFrom) {
		d.Code, d.Message, d.SuspendedFrom = string(CodeAuthoritySuspended), "authority "+a.Authority+" is suspended", a.SuspendedFrom
		return d, nil
	}
	if !slices.Contains(a.Types, q.CredentialType) {
		d.Code, d.Message = string(CodeTypeNotRecognised), "authority "+a.Authority+" is not recognised for "+q.CredentialType
		return d, nil
	}
	d.Recognised = true
	return d, nil
}

// Status implements TrustSource: a StaticTrust is always ready.
func (s *StaticTrust) Status() TrustStatus {
	return TrustStatus{Ready: true, Version: s.idx.Load().version}
}
