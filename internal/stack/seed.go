package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
)

// Side is one jurisdiction's scheme in a recognition.
type Side struct {
	// Jurisdiction code (SG, HK, CN-SH-LG) and name.
	Jurisdiction, JurisdictionName string
	// Scheme id (sg.corporate, hk.iamsmart, cn-sh-lg.corporate) and name.
	Scheme, SchemeName string
}

// Recognition describes a foreign authority and the recognition of its scheme by a local one,
// the registry objects a regulator sets up before credentials can cross a border.
type Recognition struct {
	// Local is the recognising side (the verifier's scheme); Foreign the issuer's.
	Local, Foreign Side
	// AuthorityID, AuthorityName and DID identify the foreign authority (the issuer).
	AuthorityID, AuthorityName, DID string
	// DNSDomains identify it too (documents whose issuer is proven through DNS); DID may then
	// be empty.
	DNSDomains []string
	// Types are the credential types (SD-JWT vct values included) it may issue.
	Types []string
	// ClaimMapping maps foreign claim names to local ones.
	ClaimMapping map[string]string
	// AllowedClaims are the foreign claims allowed across the border (nil: no list).
	AllowedClaims []string
	// Agreement is the id of the agreement (created when new).
	Agreement string
	// Effective is when everything takes effect.
	Effective time.Time
}

// Both schemes use the same three levels; the authorities issue at "high".
var levels = []string{"low", "substantial", "high"}

// ChangeSet returns the registry change set that creates what r describes: both jurisdictions
// and schemes, the authority, the agreement and the recognition.
func (r Recognition) ChangeSet() trustregistry.ChangeSet {
	eff := r.Effective.UTC().Truncate(time.Second)
	var dids []string
	if r.DID != "" {
		dids = []string{r.DID}
	}
	return trustregistry.ChangeSet{Ops: []trustregistry.Op{
		{Op: trustregistry.OpUpsertJurisdiction, Jurisdiction: &trustregistry.Jurisdiction{Code: r.Local.Jurisdiction, Name: r.Local.JurisdictionName}},
		{Op: trustregistry.OpUpsertJurisdiction, Jurisdiction: &trustregistry.Jurisdiction{Code: r.Foreign.Jurisdiction, Name: r.Foreign.JurisdictionName}},
		{Op: trustregistry.OpUpsertScheme, Scheme: &trustregistry.Scheme{ID: r.Local.Scheme, Jurisdiction: r.Local.Jurisdiction, Name: r.Local.SchemeName, AssuranceLevels: levels}},
		{Op: trustregistry.OpUpsertScheme, Scheme: &trustregistry.Scheme{ID: r.Foreign.Scheme, Jurisdiction: r.Foreign.Jurisdiction, Name: r.Foreign.SchemeName, AssuranceLevels: levels}},
		{Op: trustregistry.OpUpsertAuthority, EffectiveAt: &eff, Authority: &trustregistry.Authority{ID: r.AuthorityID, Scheme: r.Foreign.Scheme,
			LegalName: r.AuthorityName, DIDs: dids, DNSDomains: r.DNSDomains, CredentialTypes: r.Types, Assurance: "high"}},
		{Op: trustregistry.OpUpsertAgreement, Agreement: &trustregistry.Agreement{ID: r.Agreement, Parties: []string{r.Local.Jurisdiction, r.Foreign.Jurisdiction},
			LegalReference: "example memorandum of understanding", EffectiveFrom: eff}},
		{Op: trustregistry.OpUpsertRecognition, Recognition: &trustregistry.Recognition{ID: r.Local.Scheme + "-recognises-" + r.Foreign.Scheme,
			LocalScheme: r.Local.Scheme, ForeignScheme: r.Foreign.Scheme, Agreement: r.Agreement, CredentialTypes: r.Types,
			AssuranceMapping: map[string]string{"substantial": "substantial", "high": "high"},
			ClaimMapping:     r.ClaimMapping, AllowedClaims: r.AllowedClaims, ValidFrom: eff}},
	}}
}

// Apply proposes the change set as alice and approves it as bob (maker-checker) and returns the
// registry version it became.
func (r Recognition) Apply(ctx context.Context, reg *Registry, reason string) (uint64, error) {
	p, err := adminclient.ProposeAndApprove(ctx, reg.Alice, reg.Bob, r.ChangeSet(), reason)
	if err != nil {
		return 0, fmt.Errorf("recognise %s: %w", r.AuthorityID, err)
	}
	return p.AppliedVersion, nil
}

// Lingang is the local side of every example: Lingang's corporate scheme.
var Lingang = Side{Jurisdiction: "CN-SH-LG", JurisdictionName: "Lingang Special Area, Shanghai",
	Scheme: "cn-sh-lg.corporate", SchemeName: "Lingang corporate identity"}
