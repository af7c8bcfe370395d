package edsig_test

import (
	"crypto/ed25519"
	"fmt"

	"github.com/idport/idport/pkg/edsig"
)

func Example() {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	msg := []byte("header.payload")

	sig := edsig.Sign(priv, msg)
	fmt.Println(edsig.Verify(pub, msg, sig))
	fmt.Println(edsig.Verify(pub, []byte("header.other"), sig))
	// Output:
	// true
	// false
}
