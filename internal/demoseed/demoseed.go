// Package demoseed holds the registry content of idport's demo story (a Singapore business
// registrar recognised in the Lingang Special Area, Shanghai) for examples, the demo command and
// tests. It is no part of the production packages.
package demoseed

import (
	"context"
	"strings"
	"time"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/adminclient"
)

// Identifiers of the demo story, used by ChangeSet (the Singapore -> Lingang story of DESIGN §1).
const (
	LocalScheme   = "cn-sh-lg.corporate"
	ForeignScheme = "sg.corporate"
	AuthorityID   = "sg-demo-registrar"
	AgreementID   = "sg-cn-sh-lg-dea"
	RecognitionID = "lg-recognises-sg-corporate"
	Type          = "BusinessRegistration"
)

// ChangeSet returns the change set of the demo story: jurisdictions SG and CN-SH-LG, a Singapore
// corporate scheme and Lingang's own, a demo Singapore authority identified by authorityDID,
// the agreement, and Lingang's recognition of the Singapore scheme for BusinessRegistration with
// the claim mapping uen -> registrationNumber. effective is when the objects take effect
// (use a time before any credential of the demo is issued). extraTypes are further credential
// types the authority issues and Lingang recognises beside Type: the SD-JWT VC type of the
// issuer's BusinessRegistration (VCT), say.
func ChangeSet(authorityDID string, effective time.Time, extraTypes ...string) trustregistry.ChangeSet {
	effective = effective.UTC().Truncate(time.Second)
	types := append([]string{Type}, extraTypes...)
	return trustregistry.ChangeSet{Ops: []trustregistry.Op{
		{Op: trustregistry.OpUpsertJurisdiction, Jurisdiction: &trustregistry.Jurisdiction{Code: "SG", Name: "Singapore"}},
		{Op: trustregistry.OpUpsertJurisdiction, Jurisdiction: &trustregistry.Jurisdiction{Code: "CN-SH-LG", Name: "Lingang Special Area, Shanghai"}},
		{Op: trustregistry.OpUpsertScheme, Scheme: &trustregistry.Scheme{ID: ForeignScheme, Jurisdiction: "SG", Name: "Singapore corporate identity",
			AssuranceLevels: []string{"low", "substantial", "high"}, GovernanceRef: "ACRA corporate registry rules"}},
		{Op: trustregistry.OpUpsertScheme, Scheme: &trustregistry.Scheme{ID: LocalScheme, Jurisdiction: "CN-SH-LG", Name: "Lingang corporate identity",
			AssuranceLevels: []string{"L1", "L2", "L3"}, GovernanceRef: "Lingang cross-border data rules"}},
		{Op: trustregistry.OpUpsertAuthority, EffectiveAt: &effective, Authority: &trustregistry.Authority{ID: AuthorityID, Scheme: ForeignScheme,
			LegalName: "Demo Singapore Business Registrar", DIDs: []string{authorityDID},
			CredentialTypes: types, Assurance: "high"}},
		{Op: trustregistry.OpUpsertAgreement, Agreement: &trustregistry.Agreement{ID: AgreementID, Title: "Singapore - Lingang digital economy MoU",
			Parties: []string{"SG", "CN-SH-LG"}, LegalReference: "MoU on cross-border digital identity (demo)",
			Scope: "business identity", EffectiveFrom: effective}},
		{Op: trustregistry.OpUpsertRecognition, Recognition: &trustregistry.Recognition{ID: RecognitionID, LocalScheme: LocalScheme,
			ForeignScheme: ForeignScheme, Agreement: AgreementID, CredentialTypes: types,
			AssuranceMapping: map[string]string{"substantial": "L2", "high": "L3"},
			ClaimMapping: map[string]string{"uen": "registrationNumber", "legalName": "enterpriseName",
				"registeredAddress": "registeredAddress", "incorporationDate": "establishmentDate", "entityType": "enterpriseType"},
			AllowedClaims: []string{"uen", "legalName", "registeredAddress", "incorporationDate", "entityType"}, ValidFrom: effective}},
	}}
}

// Seed seeds the demo story (ChangeSet) through the admin API: jurisdictions SG and CN-SH-LG,
// the Singapore corporate scheme, the demo authority with authorityDID, and Lingang's
// recognition for BusinessRegistration (uen -> registrationNumber), proposed by one account and
// approved by another. It returns the registry version after the change.
// extraTypes are as ChangeSet's.
func Seed(ctx context.Context, proposer, approver *adminclient.Client, authorityDID string, effective time.Time, extraTypes ...string) (uint64, error) {
	p, err := adminclient.ProposeAndApprove(ctx, proposer, approver, ChangeSet(authorityDID, effective, extraTypes...), "seed the Singapore -> Lingang demo")
	if err != nil {
		return 0, err
	}
	return p.AppliedVersion, nil
}

// Identifiers of Lingang's own issuer in the onboarding story: an authority of Lingang's
// corporate scheme (a domestic authority), registered for LocalType only.
const (
	LocalAuthorityID = "lg-demo-registrar"
	LocalType        = "LingangBusinessRegistration"
)

// LocalAuthorityChangeSet registers Lingang's own issuer (issuerDID) as an active authority of
// the local scheme for LocalType, from effective on. It needs the schemes of ChangeSet.
func LocalAuthorityChangeSet(issuerDID string, effective time.Time) trustregistry.ChangeSet {
	effective = effective.UTC().Truncate(time.Second)
	return trustregistry.ChangeSet{Ops: []trustregistry.Op{
		{Op: trustregistry.OpUpsertAuthority, EffectiveAt: &effective, Authority: &trustregistry.Authority{ID: LocalAuthorityID, Scheme: LocalScheme,
			LegalName: "Demo Lingang Enterprise Registrar", DIDs: []string{issuerDID}, CredentialTypes: []string{LocalType}, Assurance: "L3"}},
	}}
}

// SeedLocalAuthority applies LocalAuthorityChangeSet through maker-checker and returns the
// registry version after it.
func SeedLocalAuthority(ctx context.Context, proposer, approver *adminclient.Client, issuerDID string, effective time.Time) (uint64, error) {
	p, err := adminclient.ProposeAndApprove(ctx, proposer, approver, LocalAuthorityChangeSet(issuerDID, effective), "register Lingang's own enterprise registrar")
	if err != nil {
		return 0, err
	}
	return p.AppliedVersion, nil
}

// LocalCredentialType is the credential type Lingang's issuer signs on onboarding: the
// Singapore registration's claims under Lingang's names (the recognition's claim mapping).
func LocalCredentialType() issuer.CredentialType {
	str := func(name, en string, required bool) issuer.Claim {
		return issuer.Claim{Name: name, Type: issuer.ClaimString, Required: required, Display: []issuer.Display{{Name: en, Locale: "en"}}}
	}
	est := str("establishmentDate", "Establishment date", true)
	est.Type = issuer.ClaimDate
	return issuer.CredentialType{Name: LocalType, Description: "A foreign company's registration in the Lingang Special Area, onboarded from its home registration.",
		Display:  []issuer.Display{{Name: "Lingang business registration", Locale: "en"}, {Name: "临港企业登记", Locale: "zh"}},
		Validity: issuer.Duration(365 * 24 * time.Hour), DefaultFormat: vc.FormatVCJOSE,
		Claims: []issuer.Claim{str("registrationNumber", "Registration number", true), str("enterpriseName", "Enterprise name", true),
			str("registeredAddress", "Registered address", false), est, str("enterpriseType", "Enterprise type", false)}}
}

// VCT is the SD-JWT VC type (vct) of the BusinessRegistration credentials of an idport issuer
// at issuerURL: its default, the issuer's base URL + /types/BusinessRegistration.
func VCT(issuerURL string) string { return strings.TrimRight(issuerURL, "/") + "/types/" + Type }
