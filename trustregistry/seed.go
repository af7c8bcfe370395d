package trustregistry

import (
	"fmt"
	"time"
)

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
