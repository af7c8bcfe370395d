package trustregistry

import "time"

// Identifiers of the demo story (a copy of internal/demoseed, which this package cannot import
// in its own tests). (the Singapore -> Lingang story of DESIGN §1).
const (
	demoLocalScheme   = "cn-sh-lg.corporate"
	demoForeignScheme = "sg.corporate"
	demoAuthorityID   = "sg-demo-registrar"
	demoAgreementID   = "sg-cn-sh-lg-dea"
	demoRecognitionID = "lg-recognises-sg-corporate"
	demoType          = "BusinessRegistration"
)

// demoSeed returns the change set of the demo story: jurisdictions SG and CN-SH-LG, a Singapore
// corporate scheme and Lingang's own, a demo Singapore authority identified by authorityDID,
// the agreement, and Lingang's recognition of the Singapore scheme for BusinessRegistration with
// the claim mapping uen -> registrationNumber. effective is when the objects take effect
// (use a time before any credential of the demo is issued).
func demoSeed(authorityDID string, effective time.Time) ChangeSet {
	effective = effective.UTC().Truncate(time.Second)
	return ChangeSet{Ops: []Op{
		{Op: OpUpsertJurisdiction, Jurisdiction: &Jurisdiction{Code: "SG", Name: "Singapore"}},
		{Op: OpUpsertJurisdiction, Jurisdiction: &Jurisdiction{Code: "CN-SH-LG", Name: "Lingang Special Area, Shanghai"}},
		{Op: OpUpsertScheme, Scheme: &Scheme{ID: demoForeignScheme, Jurisdiction: "SG", Name: "Singapore corporate identity",
			AssuranceLevels: []string{"low", "substantial", "high"}, GovernanceRef: "ACRA corporate registry rules"}},
		{Op: OpUpsertScheme, Scheme: &Scheme{ID: demoLocalScheme, Jurisdiction: "CN-SH-LG", Name: "Lingang corporate identity",
			AssuranceLevels: []string{"L1", "L2", "L3"}, GovernanceRef: "Lingang cross-border data rules"}},
		{Op: OpUpsertAuthority, EffectiveAt: &effective, Authority: &Authority{ID: demoAuthorityID, Scheme: demoForeignScheme,
			LegalName: "Demo Singapore Business Registrar", DIDs: []string{authorityDID},
			CredentialTypes: []string{demoType}, Assurance: "high"}},
		{Op: OpUpsertAgreement, Agreement: &Agreement{ID: demoAgreementID, Title: "Singapore - Lingang digital economy MoU",
			Parties: []string{"SG", "CN-SH-LG"}, LegalReference: "MoU on cross-border digital identity (demo)",
			Scope: "business identity", EffectiveFrom: effective}},
		{Op: OpUpsertRecognition, Recognition: &Recognition{ID: demoRecognitionID, LocalScheme: demoLocalScheme,
			ForeignScheme: demoForeignScheme, Agreement: demoAgreementID, CredentialTypes: []string{demoType},
			AssuranceMapping: map[string]string{"substantial": "L2", "high": "L3"},
			ClaimMapping: map[string]string{"uen": "registrationNumber", "legalName": "enterpriseName",
				"registeredAddress": "registeredAddress", "incorporationDate": "establishmentDate", "entityType": "enterpriseType"},
			AllowedClaims: []string{"uen", "legalName", "registeredAddress", "incorporationDate", "entityType"}, ValidFrom: effective}},
	}}
}
