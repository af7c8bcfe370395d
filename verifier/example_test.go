package verifier_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/idport/idport/pkg/did"
	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
	"github.com/idport/idport/verifier"
)

// exampleIssuer makes a Singapore authority with a did:key identity and
// issues one BusinessRegistration credential as VC-JOSE-COSE (vc+jwt).
func exampleIssuer() (issuerDID, credential string) {
	k, err := keys.Generate(keys.EdDSA)
	if err != nil {
		log.Fatal(err)
	}
	issuerDID, k.ID, err = did.KeyDID(k.Public)
	if err != nil {
		log.Fatal(err)
	}
	from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	c, err := vc.ParseCredential([]byte(`{
	  "@context": ["https://www.w3.org/ns/credentials/v2"],
	  "type": ["VerifiableCredential", "BusinessRegistration"],
	  "issuer": "` + issuerDID + `",
	  "validFrom": "` + from + `",
	  "credentialSubject": {"id": "did:example:acme", "uen": "201912345K", "legalName": "ACME Pte Ltd"}
	}`))
	if err != nil {
		log.Fatal(err)
	}
	credential, err = vcjwt.SignVCJOSE(k, c)
	if err != nil {
		log.Fatal(err)
	}
	return issuerDID, credential
}

// exampleTrust is a static trust source in which Lingang recognises the
// Singapore corporate scheme for BusinessRegistration, mapping uen to the
// local registrationNumber.
func exampleTrust(issuerDID string) *verifier.StaticTrust {
	return verifier.NewStaticTrust(12, verifier.StaticAuthority{
		Issuer: issuerDID, Authority: "sg-acra", Scheme: "sg.corporate", Jurisdiction: "SG",
		Agreement: "sg-cn-dea-2025", Recognition: "cn-sh-lg/sg.corporate",
		Types: []string{"BusinessRegistration"}, LocalAssurance: "substantial",
		ClaimMapping: map[string]string{"uen": "registrationNumber"},
	})
}

// A Lingang verifier checks a Singapore business registration: signature,
// validity, and recognition of its issuer by the trust registry, with the
// foreign claims mapped to local names.
func Example() {
	issuerDID, credential := exampleIssuer()
	v, err := verifier.New(verifier.Config{
		TrustSource: exampleTrust(issuerDID),
		Policy:      verifier.Policy{LocalScheme: "cn-sh-lg.corporate", MinAssurance: "substantial"},
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := v.VerifyCredential(context.Background(), []byte(credential))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", res.Verified, "format:", res.Format)
	for _, c := range res.Checks {
		fmt.Println(" ", c.Name, c.Outcome)
	}
	g := res.Recognition
	fmt.Println("recognised:", g.Authority, g.Scheme, g.Jurisdiction, g.Agreement, g.LocalAssurance, "registry version", g.RegistryVersion)
	fmt.Println("registrationNumber:", res.Claims["registrationNumber"])
	// Output:
	// verified: true format: vc+jwt
	//   format passed
	//   signature passed
	//   validity passed
	//   recognition passed
	//   assurance passed
	// recognised: sg-acra sg.corporate SG sg-cn-dea-2025 substantial registry version 12
	// registrationNumber: 201912345K
}

// When a regulator suspends the authority, its credentials are rejected
// with the stable code authority_suspended.
func ExampleVerifier_VerifyCredential_suspended() {
	issuerDID, credential := exampleIssuer()
	trust := exampleTrust(issuerDID)
	v, err := verifier.New(verifier.Config{TrustSource: trust})
	if err != nil {
		log.Fatal(err)
	}
	trust.Suspend(issuerDID, time.Now().Add(-time.Minute))
	res, err := v.VerifyCredential(context.Background(), []byte(credential))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", res.Verified)
	for _, p := range res.Errors {
		fmt.Println("error:", p.Code)
	}
	// Output:
	// verified: false
	// error: authority_suspended
}

// Outside cross-border flows a policy can make recognition optional: the
// verification is then purely cryptographic and says so in a warning.
func ExampleVerifier_VerifyCredential_recognitionOptional() {
	_, credential := exampleIssuer()
	v, err := verifier.New(verifier.Config{Policy: verifier.Policy{RecognitionOptional: true}})
	if err != nil {
		log.Fatal(err)
	}
	res, err := v.VerifyCredential(context.Background(), []byte(credential))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", res.Verified)
	for _, p := range res.Warnings {
		fmt.Println("warning:", p.Code)
	}
	// Output:
	// verified: true
	// warning: recognition_not_checked
}

// A Hong Kong resident presents an SD-JWT VC with a key binding JWT over a
// single-use challenge, disclosing only what the recognition allows across
// the border.
func ExampleVerifier_VerifyPresentation() {
	ctx := context.Background()
	issuerKey, _ := keys.Generate(keys.EdDSA)
	issuerDID, kid, _ := did.KeyDID(issuerKey.Public)
	issuerKey.ID = kid
	holderKey, _ := keys.Generate(keys.EdDSA)
	sd, err := vcjwt.SignSDJWT(issuerKey, vcjwt.SDJWTParams{
		Issuer: issuerDID, VCT: "HKResidentIdentity", HolderKey: holderKey.Public,
		Claims:   map[string]any{"given_name": "Mei", "resident": true, "hkid": "A123456(7)"},
		Disclose: []string{"given_name", "resident", "hkid"},
	})
	if err != nil {
		log.Fatal(err)
	}
	trust := verifier.NewStaticTrust(3, verifier.StaticAuthority{
		Issuer: issuerDID, Authority: "hk-immd", Scheme: "hk.iamsmart", Jurisdiction: "HK",
		Types: []string{"HKResidentIdentity"}, AllowedClaims: []string{"given_name", "resident"},
	})
	v, err := verifier.New(verifier.Config{TrustSource: trust})
	if err != nil {
		log.Fatal(err)
	}
	challenge, _, err := v.IssueChallenge(ctx)
	if err != nil {
		log.Fatal(err)
	}
	// The holder keeps two disclosures and binds the presentation.
	kept, _ := vcjwt.Present(sd, []string{"given_name", "resident"})
	vp, _ := vcjwt.SignKeyBinding(holderKey, kept, challenge, "https://verifier.lingang.example", time.Now())

	res, err := v.VerifyPresentation(ctx, []byte(vp), verifier.PresentationOptions{Domain: "https://verifier.lingang.example"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified:", res.Verified, "jurisdiction:", res.Recognition.Jurisdiction, "given_name:", res.Claims["given_name"])
	// The same presentation again: the challenge was single use.
	res, _ = v.VerifyPresentation(ctx, []byte(vp), verifier.PresentationOptions{Domain: "https://verifier.lingang.example"})
	fmt.Println("replay verified:", res.Verified, "error:", res.FirstError())
	// Output:
	// verified: true jurisdiction: HK given_name: Mei
	// replay verified: false error: challenge_reused
}
