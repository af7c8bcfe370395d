package etsitl

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/idport/idport/trustregistry"
)

// ExportOptions are the inputs of Export.
type ExportOptions struct {
	// Operator is the SchemeOperatorName (default "idport trust registry").
	Operator string
	// At is the ListIssueDateTime (default now); NextUpdate is At + Validity (default 24h).
	At       time.Time
	Validity time.Duration
	// Signer and Certificate sign the list (ECDSA P-256 or RSA); the certificate is published in
	// the signature's KeyInfo.
	Signer      crypto.Signer
	Certificate *x509.Certificate
}

// ExportList renders the registry state as a trusted list: for every local scheme (one that
// recognises another: the registry's own), its authorities (for reciprocity) and the authorities
// of the foreign schemes it recognises by a recognition in force at o.At. Each authority is a
// trust service provider with one service whose digital identities are its pinned key
// thumbprints and DIDs (DigitalId/Other); its status is granted while the authority is active.
// The territory is the local schemes' jurisdiction; the sequence number is the registry version.
func ExportList(st *trustregistry.State, o ExportOptions) *TrustedList {
	at := o.At.UTC()
	if o.Operator == "" {
		o.Operator = "idport trust registry"
	}
	if o.Validity <= 0 {
		o.Validity = 24 * time.Hour
	}
	var local, territories []string
	foreign := map[string]bool{}
	for _, id := range st.IDs(trustregistry.KindRecognition) {
		r := st.Recognitions[id]
		if !slices.Contains(local, r.LocalScheme) {
			local = append(local, r.LocalScheme)
		}
		if inForce(r, at) {
			foreign[r.ForeignScheme] = true
		}
	}
	for _, s := range local {
		if sc, ok := st.Schemes[s]; ok && !slices.Contains(territories, sc.Jurisdiction) {
			territories = append(territories, sc.Jurisdiction)
		}
	}
	l := &TrustedList{SequenceNumber: max(st.Version, 1), Territory: strings.Join(territories, " "), Operator: o.Operator,
		IssuedAt: at, NextUpdate: at.Add(o.Validity)}
	for _, id := range st.IDs(trustregistry.KindAuthority) {
		a := st.Authorities[id]
		if !slices.Contains(local, a.Scheme) && !foreign[a.Scheme] {
			continue
		}
		status := StatusWithdrawn
		if sc, ok := trustregistry.StatusAt(a.Statuses, at, 0); ok && sc.Status == trustregistry.StatusActive {
			status = StatusGranted
		}
		s := Service{Type: ServiceTypeUnspecified, Status: status,
			Name: fmt.Sprintf("%s (scheme %s): %s", a.ID, a.Scheme, strings.Join(a.CredentialTypes, ", "))}
		for _, k := range a.Keys {
			s.Others = append(s.Others, OtherID{Kind: "JWKThumbprint", Value: k.Thumbprint})
		}
		for _, d := range a.DIDs {
			s.Others = append(s.Others, OtherID{Kind: "DID", Value: d})
		}
		l.Providers = append(l.Providers, Provider{Name: a.LegalName, Services: []Service{s}})
	}
	return l
}

func inForce(r *trustregistry.Recognition, at time.Time) bool {
	if at.Before(r.ValidFrom) || (r.ValidUntil != nil && !at.Before(*r.ValidUntil)) {
		return false
	}
	sc, ok := trustregistry.StatusAt(r.Statuses, at, 0)
	return !ok || sc.Status == trustregistry.StatusActive
}

// Export renders and signs the registry's trusted list (see ExportList and Sign).
func Export(st *trustregistry.State, o ExportOptions) ([]byte, error) {
	if o.At.IsZero() {
		o.At = time.Now()
	}
	doc := Build(ExportList(st, o))
	doc.Indent(1)
	if err := Sign(doc.Root(), o.Signer, o.Certificate, o.At); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := doc.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("writing the trusted list: %w", err)
	}
	return b.Bytes(), nil
}
