package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idport/idport/verifier"
)

// The --profiles file is read as the operator guide writes it; a clear-text key is refused.
func TestVerifierProfilesFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "profiles.yaml")
	if err := os.WriteFile(good, []byte(`relyingParties:
  - name: dbs-bank
    apiKeySHA256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
profiles:
  - name: sg-business-kyc
    relyingParty: dbs-bank
    credentialTypes: [BusinessRegistration]
    jurisdictions: [SG, CN]
    minAssurance: substantial
    requiredClaims: [registrationNumber]
    crossBorderClaims: strip
    holderBinding: holder-signed
    allowBearerCredentials: false
`), 0o600); err != nil {
		t.Fatal(err)
	}
	f := verifierFlags{profilesFile: good}
	set, err := f.profiles(verifier.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := set.Select("sg-business-kyc", "hello"); err != nil || p.HolderBinding != verifier.HolderBindingHolderSigned || p.CrossBorder != verifier.ClaimsStrip || !p.RequireHolderBinding {
		t.Fatalf("profile %+v, %v", p, err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("relyingParties:\n  - name: x\n    apiKey: clear\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.profilesFile = bad
	if _, err := f.profiles(verifier.Policy{}); err == nil || !strings.Contains(err.Error(), "apiKey") {
		t.Fatalf("clear-text key accepted: %v", err)
	}
}
