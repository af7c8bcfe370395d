package did

import (
	"crypto"
	"fmt"
	"strings"

	"github.com/idport/idport/pkg/keys"
)

// KeyDID returns the did:key of an Ed25519 or P-256 public key and the id of
// its single verification method (did#<multibase value>).
func KeyDID(pub crypto.PublicKey) (did, kid string, err error) {
	mb, err := MultibaseKey(pub)
	if err != nil {
		return "", "", err
	}
	did = "did:key:" + mb
	return did, did + "#" + mb, nil
}

// resolveKeyDID builds the document of a did:key: one Multikey method
// did#<multibase value>, under assertionMethod and authentication.
func resolveKeyDID(d DID) (*Document, error) {
	if strings.Contains(d.ID, ":") {
		return nil, invalid(d.String(), "did:key has a version or extra segments")
	}
	pub, err := ParseMultibaseKey(d.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidDID, truncate(d.String()), err)
	}
	alg, err := keys.AlgOf(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidDID, truncate(d.String()), err)
	}
	s := d.String()
	return singleKeyDocument([]any{ContextDIDv1, ContextMultikey}, s, VerificationMethod{
		ID: s + "#" + d.ID, Type: TypeMultikey, Controller: s, PublicKeyMultibase: d.ID,
		pub: pub, alg: alg,
	}), nil
}
