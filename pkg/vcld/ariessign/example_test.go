package ariessign_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/mr-tron/base58"

	"github.com/idport/idport/pkg/vcld"
	"github.com/idport/idport/pkg/vcld/ariessign"
)

// Sign a VC 1.1 credential with the legacy Ed25519Signature2020 suite (made
// by aries-framework-go's suite), verify it with pkg/vcld and verify it with DIDKeyResolver, which
// reads the key out of a did:key verification method.
func ExampleDIDKeyResolver() {
	ctx := context.Background()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize))
	fp := "z" + base58.Encode(append([]byte{0xed, 0x01}, priv.Public().(ed25519.PublicKey)...))
	did, vm := "did:key:"+fp, "did:key:"+fp+"#"+fp

	unsigned := []byte(`{"@context": ["https://www.w3.org/2018/credentials/v1"],
	  "type": ["VerifiableCredential"], "issuer": "` + did + `",
	  "issuanceDate": "2026-01-01T00:00:00Z",
	  "credentialSubject": {"id": "did:example:acme"}}`)
	signed, err := ariessign.SignCredential(ctx, unsigned, vcld.SignOptions{
		Signer: priv, VerificationMethod: vm, Suite: vcld.Ed25519Signature2020,
		Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := vcld.VerifyCredential(ctx, signed, ariessign.DIDKeyResolver)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Suite, res.Issuer == did)
	fmt.Println(ariessign.CheckDIDKeyVerificationMethod(did+"#key-1") != nil)
	// Output:
	// Ed25519Signature2020 true
	// true
}
