package verifier_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/verifier"
	"github.com/idport/idport/verifier/internal/testutil"
)

func TestVerifyCredentialJOSE(t *testing.T) {
	ctx := context.Background()
	ed := newIssuer(t, keys.EdDSA)
	es := newIssuer(t, keys.ES256)
	other := newIssuer(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(7, ed.authority(), es.authority())
	st := &fakeStatus{Values: map[string]uint8{"https://status.example/list/1#42": 1}}
	from, until := testNow.Add(-24*time.Hour), testNow.Add(365*24*time.Hour)

	good := ed.joseVC(t, credentialJSON(ed.DID, from, until, nil))
	tampered := good[:len(good)-6] + "AAAAAA"

	tests := []struct {
		name   string
		raw    string
		policy verifier.Policy
		trust  verifier.TrustSource
		want   verifier.Code // "" = verified
	}{
		{"eddsa verified", good, verifier.Policy{}, nil, ""},
		{"es256 verified", es.joseVC(t, credentialJSON(es.DID, from, until, nil)), verifier.Policy{}, nil, ""},
		{"tampered", tampered, verifier.Policy{}, nil, verifier.CodeSignatureInvalid},
		{"expired", ed.joseVC(t, credentialJSON(ed.DID, from.Add(-48*time.Hour), testNow.Add(-2*time.Hour), nil)), verifier.Policy{}, nil, verifier.CodeExpired},
		{"not yet valid", ed.joseVC(t, credentialJSON(ed.DID, testNow.Add(2*time.Hour), until, nil)), verifier.Policy{}, nil, verifier.CodeNotYetValid},
		{"within skew", ed.joseVC(t, credentialJSON(ed.DID, testNow.Add(30*time.Second), until, nil)), verifier.Policy{}, nil, ""},
		{"unrecognised issuer", other.joseVC(t, credentialJSON(other.DID, from, until, nil)), verifier.Policy{}, nil, verifier.CodeIssuerNotRecognised},
		{"signed by another key", testutil.SignJWS(t, other.Key, map[string]any{"alg": "EdDSA", "kid": ed.Kid, "typ": "vc+jwt"}, credentialJSON(ed.DID, from, until, nil)), verifier.Policy{}, nil, verifier.CodeSignatureInvalid},
		{"kid of another DID", testutil.SignJWS(t, other.Key, map[string]any{"alg": "EdDSA", "kid": other.Kid, "typ": "vc+jwt"}, credentialJSON(ed.DID, from, until, nil)), verifier.Policy{}, nil, verifier.CodeKeyNotFound},
		{"revoked", ed.joseVC(t, credentialJSON(ed.DID, from, until, statusEntry("revocation", "42"))), verifier.Policy{}, nil, verifier.CodeRevoked},
		{"suspended", ed.joseVC(t, credentialJSON(ed.DID, from, until, statusEntry("suspension", "42"))), verifier.Policy{}, nil, verifier.CodeSuspended},
		{"status ok", ed.joseVC(t, credentialJSON(ed.DID, from, until, statusEntry("revocation", "7"))), verifier.Policy{}, nil, ""},
		{"assurance too low", good, verifier.Policy{MinAssurance: "high"}, nil, verifier.CodeAssuranceTooLow},
		{"assurance ok", good, verifier.Policy{MinAssurance: "substantial"}, nil, ""},
		{"jurisdiction not accepted", good, verifier.Policy{Jurisdictions: []string{"HK"}}, nil, verifier.CodeJurisdictionNotAccepted},
		{"required claim present (local name)", good, verifier.Policy{RequiredClaims: []string{"registrationNumber"}}, nil, ""},
		{"required claim missing", good, verifier.Policy{RequiredClaims: []string{"taxId"}}, nil, verifier.CodeRequiredClaimMissing},
		{"type not accepted", good, verifier.Policy{CredentialTypes: []string{"Passport"}}, nil, verifier.CodeCredentialTypeNotAccepted},
		{"registry unavailable", good, verifier.Policy{}, verifier.Unavailable("no registry"), verifier.CodeRegistryStale},
		{"recognition optional", other.joseVC(t, credentialJSON(other.DID, from, until, nil)), verifier.Policy{RecognitionOptional: true}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := verifier.TrustSource(trust)
			if tt.trust != nil {
				ts = tt.trust
			}
			v := newVerifier(t, ts, st, tt.policy)
			res, err := v.VerifyCredential(ctx, []byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if !res.Verified {
					t.Fatalf("not verified: %+v", res.Errors)
				}
				return
			}
			if res.Verified || !res.HasError(tt.want) {
				t.Fatalf("verified=%v errors=%+v, want %s", res.Verified, res.Errors, tt.want)
			}
		})
	}
}

func TestResultExplains(t *testing.T) {
	ed := newIssuer(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(7, ed.authority())
	st := &fakeStatus{Values: map[string]uint8{}}
	v := newVerifier(t, trust, st, verifier.Policy{MinAssurance: "low"})
	raw := ed.joseVC(t, credentialJSON(ed.DID, testNow.Add(-time.Hour), time.Time{}, statusEntry("revocation", "3")))
	res, err := v.VerifyCredential(context.Background(), []byte(raw))
	if err != nil || !res.Verified {
		t.Fatalf("err=%v res=%+v", err, res)
	}
	var names []string
	for _, c := range res.Checks {
		names = append(names, c.Name+":"+string(c.Outcome))
	}
	// Recognition (in memory) before the status list (outbound); the
	// allow-list applies to the claims of every format.
	want := []string{"format:passed", "signature:passed", "validity:passed", "recognition:passed", "assurance:passed", "disclosures:passed", "status:passed"}
	if !slices.Equal(names, want) {
		t.Fatalf("checks %v, want %v", names, want)
	}
	if res.Claims["registrationNumber"] != "201912345K" || res.Claims["legalName"] != "ACME Pte Ltd" {
		t.Fatalf("claims %v", res.Claims)
	}
	rec := res.Recognition
	if rec == nil || rec.Authority != "sg-acra" || rec.Scheme != "sg.corporate" || rec.Jurisdiction != "SG" || rec.RegistryVersion != 7 || rec.LocalAssurance != "substantial" || rec.Agreement == "" {
		t.Fatalf("recognition %+v", rec)
	}
	if res.Status == nil || !res.Status.Checked || res.Status.CacheAge != 3*time.Second {
		t.Fatalf("status %+v", res.Status)
	}
	if res.Issuer != ed.DID || res.Subject != "did:example:acme" || !slices.Contains(res.Types, "BusinessRegistration") {
		t.Fatalf("issuer/subject/types %q %q %v", res.Issuer, res.Subject, res.Types)
	}
}

func TestSuspensionAndValidWhenIssued(t *testing.T) {
	ctx := context.Background()
	ed := newIssuer(t, keys.EdDSA)
	issued := testNow.Add(-10 * 24 * time.Hour)
	raw := []byte(ed.joseVC(t, credentialJSON(ed.DID, issued, time.Time{}, nil)))

	tests := []struct {
		name        string
		suspendedAt time.Time
		policy      verifier.Policy
		want        verifier.Code
		warn        bool
	}{
		{"suspended now rejects", testNow.Add(-time.Hour), verifier.Policy{}, verifier.CodeAuthoritySuspended, false},
		{"valid when issued accepts", testNow.Add(-time.Hour), verifier.Policy{AcceptValidWhenIssued: true}, "", true},
		{"back-dated suspension still rejects", issued.Add(-time.Hour), verifier.Policy{AcceptValidWhenIssued: true}, verifier.CodeAuthoritySuspended, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trust := verifier.NewStaticTrust(1, ed.authority())
			trust.Suspend(ed.DID, tt.suspendedAt)
			v := newVerifier(t, trust, nil, tt.policy)
			res, err := v.VerifyCredential(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != "" {
				if res.Verified || res.FirstError() != tt.want {
					t.Fatalf("verified=%v errors=%+v, want %s", res.Verified, res.Errors, tt.want)
				}
				return
			}
			if !res.Verified || res.HasWarning(verifier.CodeAuthoritySuspended) != tt.warn || !res.Recognition.ValidWhenIssued {
				t.Fatalf("res %+v", res)
			}
		})
	}
}

func TestStatusUnavailable(t *testing.T) {
	ed := newIssuer(t, keys.EdDSA)
	trust := verifier.NewStaticTrust(1, ed.authority())
	raw := []byte(ed.joseVC(t, credentialJSON(ed.DID, testNow.Add(-time.Hour), time.Time{}, statusEntry("revocation", "1"))))
	down := &fakeStatus{Err: errors.New("connection refused")}

	v := newVerifier(t, trust, down, verifier.Policy{})
	res, _ := v.VerifyCredential(context.Background(), raw)
	if res.Verified || res.FirstError() != verifier.CodeStatusUnavailable {
		t.Fatalf("fail-closed: %+v", res.Errors)
	}
	v = newVerifier(t, trust, down, verifier.Policy{StatusFailMode: verifier.StatusWarn})
	res, _ = v.VerifyCredential(context.Background(), raw)
	if !res.Verified || !res.HasWarning(verifier.CodeStatusUnavailable) {
		t.Fatalf("warn mode: %+v %+v", res.Errors, res.Warnings)
	}
}

// TestAssuranceLevels: local assurance is compared only within the
// policy's ordered levels (the local scheme's); a level outside them fails
// closed, whatever digits its name holds.
func TestAssuranceLevels(t *testing.T) {
	ed := newIssuer(t, keys.EdDSA)
	raw := []byte(ed.joseVC(t, credentialJSON(ed.DID, testNow.Add(-time.Hour), time.Time{}, nil)))
	numbered := []string{"L1", "L2", "L3"}
	for _, tt := range []struct {
		name   string
		levels []string
		local  string // the trust decision's LocalAssurance
		min    string
		want   bool
		msg    string // part of the assurance_too_low message
	}{
		{"default: high meets substantial", nil, "high", "substantial", true, ""},
		{"default: equal level", nil, "substantial", "substantial", true, ""},
		{"default: names are case-insensitive", nil, "High", "high", true, ""},
		{"default: low below substantial", nil, "low", "substantial", false, "below the required"},
		{"default: L2 is not high", nil, "L2", "high", false, "not one of the assurance levels"},
		{"default: L3 is not substantial", nil, "L3", "substantial", false, "not one of the assurance levels"},
		{"default: L1 is not low", nil, "L1", "low", false, "not one of the assurance levels"},
		{"default: a bare number is unknown", nil, "3", "low", false, "not one of the assurance levels"},
		{"default: no level named", nil, "", "low", false, "names no local assurance level"},
		{"scheme: L3 meets L2", numbered, "L3", "L2", true, ""},
		{"scheme: L3 meets L3", numbered, "L3", "L3", true, ""},
		{"scheme: L1 below L2", numbered, "L1", "L2", false, "below the required"},
		{"scheme: high is not one of L1..L3", numbered, "high", "L1", false, "not one of the assurance levels"},
		{"scheme: L4 is not listed", numbered, "L4", "L3", false, "not one of the assurance levels"},
		{"scheme: exact names only", numbered, "l3", "L1", false, "not one of the assurance levels"},
		{"custom order is the list's, not the digits'", []string{"L3", "L1"}, "L3", "L1", false, "below the required"},
		{"no minimum: any level", nil, "L9", "", true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := ed.authority()
			a.LocalAssurance = tt.local
			v := newVerifier(t, verifier.NewStaticTrust(1, a), nil, verifier.Policy{MinAssurance: tt.min, AssuranceLevels: tt.levels})
			res, err := v.VerifyCredential(context.Background(), raw)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified != tt.want {
				t.Fatalf("verified %v, errors %+v", res.Verified, res.Errors)
			}
			if !tt.want && (res.FirstError() != verifier.CodeAssuranceTooLow || !strings.Contains(res.Errors[0].Message, tt.msg)) {
				t.Fatalf("errors %+v, want %s with %q", res.Errors, verifier.CodeAssuranceTooLow, tt.msg)
			}
		})
	}
	for _, p := range []verifier.Policy{
		{MinAssurance: "very"},
		{MinAssurance: "L3"}, // numbered levels need the scheme's list
		{MinAssurance: "3", AssuranceLevels: numbered},
	} {
		if _, err := verifier.New(verifier.Config{Policy: p}); !errors.Is(err, verifier.ErrConfig) {
			t.Errorf("MinAssurance %q with levels %v: %v, want ErrConfig", p.MinAssurance, p.AssuranceLevels, err)
		}
	}
	// A request naming a level outside the list fails closed instead of
	// being ignored.
	n := verifier.Policy{MinAssurance: "low"}.Narrow(verifier.RequestPolicy{MinAssurance: "L3"})
	v := newVerifier(t, verifier.NewStaticTrust(1, ed.authority()), nil, verifier.Policy{})
	if res, _ := v.VerifyCredentialWith(context.Background(), raw, verifier.CredentialOptions{Policy: &n}); res.Verified || res.FirstError() != verifier.CodeAssuranceTooLow {
		t.Fatalf("unknown requested level: %+v", res.Errors)
	}
}

func TestPolicyNarrowOnlyTightens(t *testing.T) {
	base := verifier.Policy{Jurisdictions: []string{"SG", "HK"}, MinAssurance: "substantial", CrossBorder: verifier.ClaimsRefuse}
	n := base.Narrow(verifier.RequestPolicy{Jurisdictions: []string{"HK", "US"}, MinAssurance: "low", StripClaims: true})
	if !slices.Equal(n.Jurisdictions, []string{"HK"}) || n.MinAssurance != "substantial" || n.CrossBorder != verifier.ClaimsRefuse {
		t.Fatalf("narrowed %+v", n)
	}
	n = base.Narrow(verifier.RequestPolicy{Jurisdictions: []string{"US"}, MinAssurance: "high"})
	if slices.Contains(n.Jurisdictions, "US") || n.MinAssurance != "high" {
		t.Fatalf("narrowed %+v", n)
	}
}
