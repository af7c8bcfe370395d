package trustregistry

import (
	"fmt"
	"time"
)

// Demo identifiers used by DemoSeed (the Singapore -> Lingang story of DESIGN §1).
const (
	DemoLocalScheme   = "cn-sh-lg.corporate"
	DemoForeignScheme = "sg.corporate"
	DemoAuthorityID   = "sg-demo-registrar"
	DemoAgreementID   = "sg-cn-sh-lg-dea"
	DemoRecognitionID = "lg-recognises-sg-corporate"
	DemoType          = "BusinessRegistration"
)

// DemoSeed returns the change set of the demo story: jurisdictions SG and CN-SH-LG, a Singapore
// corporate scheme and Lingang's own, a demo Singapore authority identified by authorityDID,
// the agreement, and Lingang's recognition of the Singapore scheme for BusinessRegistration with
// the claim mapping uen -> registrationNumber. effective is when the objects take effect
// (use a time before any credential of the demo is issued).
func DemoSeed(authorityDID string, effective time.Time) ChangeSet {
	effective = effective.UTC().Truncate(time.Second)
	return ChangeSet{Ops: []Op{
		{Op: OpUpsertJurisdiction, Jurisdiction: &Jurisdiction{Code: "SG", Name: "Singapore"}},
		{Op: OpUpsertJurisdiction, Jurisdiction: &Jurisdiction{Code: "CN-SH-LG", Name: "Lingang Special Area, Shanghai"}},
		{Op: OpUpsertScheme, Scheme: &Scheme{ID: DemoForeignScheme, Jurisdiction: "SG", Name: "Singapore corporate identity",
			AssuranceLevels: []string{"low", "substantial", "high"}, GovernanceRef: "ACRA corporate registry rules"}},
		{Op: OpUpsertScheme, Scheme: &Scheme{ID: DemoLocalScheme, Jurisdiction: "CN-SH-LG", Name: "Lingang corporate identity",
			AssuranceLevels: []string{"L1", "L2", "L3"}, GovernanceRef: "Lingang cross-border data rules"}},
		{Op: OpUpsertAuthority, EffectiveAt: &effective, Authority: &Authority{ID: DemoAuthorityID, Scheme: DemoForeignScheme,
			LegalName: "Demo Singapore Business Registrar", DIDs: []string{authorityDID},
			CredentialTypes: []string{DemoType}, Assurance: "high"}},
		{Op: OpUpsertAgreement, Agreement: &Agreement{ID: DemoAgreementID, Title: "Singapore - Lingang digital economy MoU",
			Parties: []string{"SG", "CN-SH-LG"}, LegalReference: "MoU on cross-border digital identity (demo)",
			Scope: "business identity", EffectiveFrom: effective}},
		{Op: OpUpsertRecognition, Recognition: &Recognition{ID: DemoRecognitionID, LocalScheme: DemoLocalScheme,
			ForeignScheme: DemoForeignScheme, Agreement: DemoAgreementID, CredentialTypes: []string{DemoType},
			AssuranceMapping: map[string]string{"substantial": "L2", "high": "L3"},
			ClaimMapping: map[string]string{"uen": "registrationNumber", "legalName": "enterpriseName",
				"registeredAddress": "registeredAddress", "incorporationDate": "establishmentDate", "entityType": "enterpriseType"},
			AllowedClaims: []string{"uen", "legalName", "registeredAddress", "incorporationDate", "entityType"}, ValidFrom: effective}},
	}}
}

// SuspendAuthority returns the change set suspending an authority from effective (back-dating allowed).
func SuspendAuthority(id, reason string, effective time.Time) ChangeSet {
	e := effective.UTC()
	return ChangeSet{Ops: []Op{{Op: OpSetAuthorityStatus, ID: id, Status: StatusSuspended, Reason: reason, EffectiveAt: &e}}}
}

// ReinstateAuthority returns the change set reinstating a suspended authority from effective.
func ReinstateAuthority(id, reason string, effective time.Time) ChangeSet {
	e := effective.UTC()
	return ChangeSet{Ops: []Op{{Op: OpSetAuthorityStatus, ID: id, Status: StatusActive, Reason: reason, EffectiveAt: &e}}}
}

// SyntheticChangeSets returns the change sets (each within MaxOps) that build a large valid
// registry for benchmarks and load tests: nSchemes schemes in as many jurisdictions,
// nAuthorities authorities spread over the foreign schemes (DIDs did:web:authority-N.example),
// and recognitions of every foreign scheme by scheme-0.
func SyntheticChangeSets(nAuthorities, nSchemes int, effective time.Time) []ChangeSet {
	var ops []Op
	for i := 0; i < nSchemes; i++ {
		j := fmt.Sprintf("X%c-J%d", 'A'+byte(i%26), i)
		ops = append(ops, Op{Op: OpUpsertJurisdiction, Jurisdiction: &Jurisdiction{Code: j, Name: "Jurisdiction " + j}},
			Op{Op: OpUpsertScheme, Scheme: &Scheme{ID: fmt.Sprintf("scheme-%d", i), Jurisdiction: j, Name: "Scheme", AssuranceLevels: []string{"low", "high"}}})
	}
	ops = append(ops, Op{Op: OpUpsertAgreement, Agreement: &Agreement{ID: "agreement", Parties: []string{"XA-J0", "XB-J1"}, LegalReference: "synthetic", EffectiveFrom: effective}})
	for i := 1; i < nSchemes; i++ {
		ops = append(ops, Op{Op: OpUpsertRecognition, Recognition: &Recognition{ID: fmt.Sprintf("rec-%d", i), LocalScheme: "scheme-0",
			ForeignScheme: fmt.Sprintf("scheme-%d", i), Agreement: "agreement", CredentialTypes: []string{"BusinessRegistration", "Licence"},
			AssuranceMapping: map[string]string{"high": "high", "low": "low"}, ClaimMapping: map[string]string{"uen": "registrationNumber"},
			AllowedClaims: []string{"uen", "name"}, ValidFrom: effective}})
	}
	for i := 0; i < nAuthorities; i++ {
		ops = append(ops, Op{Op: OpUpsertAuthority, EffectiveAt: &effective, Authority: &Authority{ID: fmt.Sprintf("authority-%d", i),
			Scheme: fmt.Sprintf("scheme-%d", 1+i%max(1, nSchemes-1)), LegalName: "Authority", DIDs: []string{fmt.Sprintf("did:web:authority-%d.example", i)},
			CredentialTypes: []string{"BusinessRegistration"}, Assurance: "high"}})
	}
	var out []ChangeSet
	for start := 0; start < len(ops); start += MaxOps {
		out = append(out, ChangeSet{Ops: ops[start:min(start+MaxOps, len(ops))]})
	}
	return out
}

// SyntheticState applies SyntheticChangeSets to an empty state.
func SyntheticState(nAuthorities, nSchemes int, effective time.Time) (*State, error) {
	s := NewState()
	for _, cs := range SyntheticChangeSets(nAuthorities, nSchemes, effective) {
		next, _, err := Apply(s, cs, effective)
		if err != nil {
			return nil, err
		}
		s = next
	}
	return s, nil
}
