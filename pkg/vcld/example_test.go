package vcld_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/mr-tron/base58"

	"github.com/idport/idport/pkg/vcld"
)

// Sign a VC 2.0 credential with eddsa-rdfc-2022 as a did:key issuer, verify
// it, and see a tampered copy fail.
func Example() {
	ctx := context.Background()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	fp := "z" + base58.Encode(append([]byte{0xed, 0x01}, pub...)) // multicodec ed25519-pub
	did, vm := "did:key:"+fp, "did:key:"+fp+"#"+fp

	unsigned := []byte(`{"@context": ["https://www.w3.org/ns/credentials/v2"],
	  "type": ["VerifiableCredential"], "issuer": "` + did + `",
	  "validFrom": "2026-01-01T00:00:00Z",
	  "credentialSubject": {"id": "did:example:acme", "name": "Acme Pte Ltd"}}`)
	signed, err := vcld.SignCredential(ctx, unsigned, vcld.SignOptions{
		Signer: priv, VerificationMethod: vm, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// A real verifier resolves the DID; here the one key is known.
	keys := func(_ context.Context, method string) (crypto.PublicKey, error) {
		if method != vm {
			return nil, errors.New("unknown key")
		}
		return pub, nil
	}
	res, err := vcld.VerifyCredential(ctx, signed, keys)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Suite, res.Issuer == did, res.Types, res.Subject[0]["name"], res.ValidFrom.Format(time.DateOnly))

	tampered := bytes.Replace(signed, []byte("Acme Pte Ltd"), []byte("Evil Pte Ltd"), 1)
	_, err = vcld.VerifyCredential(ctx, tampered, keys)
	fmt.Println(errors.Is(err, vcld.ErrSignatureInvalid))

	added := bytes.Replace(signed, []byte(`"name": "Acme Pte Ltd"`), []byte(`"name": "Acme Pte Ltd", "licence": "unsigned"`), 1)
	_, err = vcld.VerifyCredential(ctx, added, keys)
	fmt.Println(errors.Is(err, vcld.ErrUnsafeDocument))
	// Output:
	// eddsa-rdfc-2022 true [VerifiableCredential] Acme Pte Ltd 2026-01-01
	// true
	// true
}
