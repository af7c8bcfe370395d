package vcjwt_test

import (
	"fmt"
	"time"

	"github.com/idport/idport/pkg/keys"
	"github.com/idport/idport/pkg/vc"
	"github.com/idport/idport/pkg/vcjwt"
)

// An issuer signs a VC 2.0 credential as VC-JOSE-COSE; a verifier parses it
// on the lean path, resolves the key from Issuer() and KeyID(), verifies.
func ExampleSignVCJOSE() {
	k, _ := keys.Generate(keys.EdDSA)
	from := time.Now().Add(-time.Minute)
	cred := &vc.Credential{
		Context:   []any{vc.ContextV2},
		Type:      []string{vc.TypeCredential, "BusinessRegistration"},
		Issuer:    vc.Issuer{ID: "did:web:acra.example.sg"},
		ValidFrom: &from,
		Subject:   []map[string]any{{"id": "did:web:acme.example.sg", "uen": "201912345K"}},
	}
	token, err := vcjwt.SignVCJOSE(k, cred)
	if err != nil {
		fmt.Println(err)
		return
	}

	p, err := vcjwt.ParseCredential(token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Format, p.Issuer(), p.KeyID() == "did:web:acra.example.sg#"+k.ID)
	v, err := p.Verify(k.Public) // the key a DID resolver found for p.KeyID()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Subject, v.Claims["uen"], v.CheckTime(time.Now(), time.Minute))
	// Output:
	// vc+jwt did:web:acra.example.sg true
	// did:web:acme.example.sg 201912345K <nil>
}

// An SD-JWT VC with two selectively disclosable claims; the holder shows one
// of them with a key-binding JWT, and the verifier checks it all.
func ExampleSignSDJWT() {
	issuer, _ := keys.Generate(keys.ES256)
	holder, _ := keys.Generate(keys.EdDSA)
	sd, err := vcjwt.SignSDJWT(issuer, vcjwt.SDJWTParams{
		Issuer: "did:web:iamsmart.example.hk", VCT: "https://credentials.example.hk/identity",
		Claims:    map[string]any{"given_name": "Wing", "family_name": "Chan", "resident": true},
		Disclose:  []string{"given_name", "family_name"},
		HolderKey: holder.Public,
		Status:    &vcjwt.TokenStatusRef{Idx: 42, URI: "https://issuer.example.hk/status/1"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	shown, _ := vcjwt.Present(sd, []string{"given_name"})
	now := time.Now()
	presentation, _ := vcjwt.SignKeyBinding(holder, shown, "nonce-1", "https://verifier.example.cn", now)

	p, err := vcjwt.ParseCredential(presentation)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := p.Verify(issuer.Public)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.VCT, v.Disclosed, v.Claims["given_name"], v.Claims["family_name"], v.Claims["resident"])
	fmt.Println(v.Status[0].URI, v.Status[0].Index)
	fmt.Println(p.SD.VerifyKeyBinding(v.HolderKey, "nonce-1", "https://verifier.example.cn", now, time.Minute))
	// Output:
	// https://credentials.example.hk/identity [given_name] Wing <nil> true
	// https://issuer.example.hk/status/1 42
	// <nil>
}
