package trustregistry

import (
	"encoding/json"
	"testing"
	"time"
)

const anchorJWKS = `{"keys":[{"kty":"EC","crv":"P-256","kid":"a1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`

func frameworkState(t *testing.T) *Index {
	t.Helper()
	now := time.Now().Add(-time.Hour)
	cs := ChangeSet{Ops: []Op{
		{Op: OpUpsertJurisdiction, Jurisdiction: &Jurisdiction{Code: "SG", Name: "Singapore"}},
		{Op: OpUpsertJurisdiction, Jurisdiction: &Jurisdiction{Code: "CN-SH-LG", Name: "Lingang"}},
		{Op: OpUpsertScheme, Scheme: &Scheme{ID: "eu.fed", Jurisdiction: "SG", Name: "Federation", AssuranceLevels: []string{"substantial", "high"}}},
		{Op: OpUpsertScheme, Scheme: &Scheme{ID: "lg", Jurisdiction: "CN-SH-LG", Name: "Lingang", AssuranceLevels: []string{"high"}}},
		{Op: OpUpsertAgreement, Agreement: &Agreement{ID: "dea", Parties: []string{"SG", "CN-SH-LG"}, LegalReference: "DEA 2026", EffectiveFrom: now}},
		{Op: OpUpsertRecognition, Recognition: &Recognition{ID: "lg-fed", LocalScheme: "lg", ForeignScheme: "eu.fed", Agreement: "dea",
			CredentialTypes: []string{"BusinessRegistration"}, ValidFrom: now, AssuranceMapping: map[string]string{"high": "high"},
			Framework: &FrameworkRule{TrustAnchor: "https://anchor.example", AnchorJWKS: json.RawMessage(anchorJWKS), TrustMark: "https://anchor.example/tm/qtsp", Assurance: "high"}}},
		{Op: OpSetRecognitionStatus, ID: "lg-fed", Status: StatusActive},
	}}
	st, _, err := Apply(NewState(), cs, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateState(st); err != nil {
		t.Fatal(err)
	}
	return NewIndex(st)
}

func TestDecideFramework(t *testing.T) {
	x := frameworkState(t)
	if !x.HasFrameworks() || len(x.FrameworkRules()) != 1 {
		t.Fatal("framework recognition not indexed")
	}
	ch := &FrameworkChain{Entity: "https://leaf.example", Anchor: "https://anchor.example", TrustMarks: []string{"https://anchor.example/tm/qtsp"},
		KeyThumbprints: []string{"tp1"}, ExpiresAt: time.Now().Add(time.Hour), Describe: "https://leaf.example -> https://anchor.example"}
	q := Query{Entity: "https://leaf.example", KeyThumbprint: "tp1", CredentialType: "BusinessRegistration", LocalScheme: "lg"}
	d := x.DecideFramework(q, ch)
	if !d.Recognised || d.Recognition != "lg-fed" || d.Chain != ch.Describe || d.LocalAssurance != "high" || d.Scheme != "eu.fed" {
		t.Fatalf("%+v", d)
	}
	for name, tc := range map[string]struct {
		q    Query
		ch   *FrameworkChain
		code string
	}{
		"no chain":       {q, nil, CodeChainExpired},
		"expired chain":  {q, &FrameworkChain{Entity: ch.Entity, Anchor: ch.Anchor, TrustMarks: ch.TrustMarks, KeyThumbprints: ch.KeyThumbprints, ExpiresAt: time.Now().Add(-time.Second)}, CodeChainExpired},
		"other key":      {Query{Entity: q.Entity, KeyThumbprint: "tp2", CredentialType: q.CredentialType}, ch, CodeKeyNotPinned},
		"no trust mark":  {q, &FrameworkChain{Entity: ch.Entity, Anchor: ch.Anchor, KeyThumbprints: ch.KeyThumbprints, ExpiresAt: ch.ExpiresAt}, CodeIssuerNotRecognised},
		"other anchor":   {q, &FrameworkChain{Entity: ch.Entity, Anchor: "https://other.example", TrustMarks: ch.TrustMarks, KeyThumbprints: ch.KeyThumbprints, ExpiresAt: ch.ExpiresAt}, CodeIssuerNotRecognised},
		"type not known": {Query{Entity: q.Entity, CredentialType: "Other"}, ch, CodeTypeNotRecognised},
	} {
		if d := x.DecideFramework(tc.q, tc.ch); d.Recognised || d.Code != tc.code {
			t.Errorf("%s: %+v", name, d)
		}
	}
}

func TestFrameworkRuleValidation(t *testing.T) {
	for name, fw := range map[string]*FrameworkRule{
		"http anchor": {TrustAnchor: "http://anchor.example", AnchorJWKS: json.RawMessage(anchorJWKS)},
		"no keys":     {TrustAnchor: "https://anchor.example", AnchorJWKS: json.RawMessage(`{"keys":[]}`)},
		"bad level":   {TrustAnchor: "https://anchor.example", AnchorJWKS: json.RawMessage(anchorJWKS), Assurance: "low"},
	} {
		x := frameworkState(t)
		r := *x.State().Recognitions["lg-fed"]
		r.Statuses, r.Framework = nil, fw
		if _, _, err := Apply(x.State(), ChangeSet{Ops: []Op{{Op: OpUpsertRecognition, Recognition: &r}}}, time.Now()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
