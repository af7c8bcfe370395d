package did_test

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/idport/idport/pkg/did"
)

// A did:key names one public key; ResolveKey turns its key id back into
// the key and its JOSE algorithm without any network access.
func ExampleKeyDID() {
	pub := ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)) // use a real key
	d, kid, _ := did.KeyDID(pub)
	fmt.Println(d)
	r := did.NewResolver(did.ResolverOptions{})
	key, alg, err := did.ResolveKey(context.Background(), r, kid)
	fmt.Println(alg, err, key.(ed25519.PublicKey).Equal(pub))
	// Output:
	// did:key:z6MkeTG3bFFSLYVU7VqhgZxqr6YzpaGrQtFMh1uvqGy1vDnP
	// EdDSA <nil> true
}

// WebDID and WebURL map a host (with an optional port) and path segments to
// a did:web and the URL of its DID document.
func ExampleWebURL() {
	d := did.WebDID("issuer.example.sg:8443", "authorities", "acra")
	u, _ := did.WebURL(d)
	fmt.Println(d)
	fmt.Println(u)
	_, err := did.WebURL("did:web:issuer.example.sg:..")
	fmt.Println(err != nil)
	// Output:
	// did:web:issuer.example.sg%3A8443:authorities:acra
	// https://issuer.example.sg:8443/authorities/acra/did.json
	// true
}
