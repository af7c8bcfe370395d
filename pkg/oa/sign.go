package oa

import (
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"

	"github.com/idport/idport/pkg/errs"
)

// personalHash is the Ethereum personal-sign hash of a 32-byte message:
// keccak256("\x19Ethereum Signed Message:\n32" || msg).
func personalHash(msg []byte) []byte {
	return Keccak256([]byte("\x19Ethereum Signed Message:\n32"), msg)
}

// Address returns the Ethereum address of pub: 0x and the last 20 bytes
// of keccak256 of the uncompressed point, in lower case.
func Address(pub *secp256k1.PublicKey) string {
	u := pub.SerializeUncompressed()
	return "0x" + hex.EncodeToString(Keccak256(u[1:])[12:])
}

// RecoverAddress recovers the address that personal-signed the 32-byte
// msg with sig (0x-hex r || s || v, v 27/28 or 0/1).
func RecoverAddress(msg []byte, sig string) (string, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(sig, "0x"))
	if err != nil || len(b) != 65 {
		return "", errors.New("signature is not 65 bytes of hex")
	}
	v := b[64]
	if v >= 27 {
		v -= 27
	}
	if v > 1 {
		return "", errors.New("signature recovery id is not 27 or 28")
	}
	compact := make([]byte, 65)
	compact[0] = 27 + v
	copy(compact[1:], b[:64])
	pub, _, err := ecdsa.RecoverCompact(compact, personalHash(msg))
	if err != nil {
		return "", err
	}
	return Address(pub), nil
}

// EthrAddress returns the address of a default did:ethr key URL
// ("did:ethr:0x<address>#controller"), in lower case; ok is false for any
// other DID URL.
func EthrAddress(key string) (string, bool) {
	rest, found := strings.CutPrefix(key, "did:ethr:")
	if !found {
		return "", false
	}
	addr, frag, found := strings.Cut(rest, "#")
	if !found || frag != "controller" || len(addr) != 42 || !strings.HasPrefix(addr, "0x") {
		return "", false
	}
	for i := 2; i < len(addr); i++ {
		if c := addr[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return "", false
		}
	}
	return strings.ToLower(addr), true
}

// VerifyProof checks that p is a DID proof of the document's Merkle root
// by the key it names (a default did:ethr key): the signature recovers to
// that key's address. No network is contacted.
func (d *Document) VerifyProof(p Proof) error {
	if p.Type != ProofTypeSignature2018 && p.Type != ProofTypeSignedProof {
		return malformed("proof type %q is not %s", truncate(p.Type), ProofTypeSignature2018)
	}
	want, ok := EthrAddress(p.VerificationMethod)
	if !ok {
		return errs.Errorf(CodeSignatureInvalid, "verification method %q is not a default did:ethr key (did:ethr:0x<address>#controller)", truncate(p.VerificationMethod))
	}
	root, _ := hex.DecodeString(d.Signature.MerkleRoot)
	got, err := RecoverAddress(root, p.Signature)
	if err != nil {
		return errs.Wrap(CodeSignatureInvalid, "document signature is malformed", err)
	}
	if got != want {
		return errs.Wrap(CodeSignatureInvalid, "document signature was not made by "+truncate(p.VerificationMethod),
			errors.New("recovered "+got))
	}
	return nil
}

// Sign adds a DID proof of the document's Merkle root by key, named
// "did:ethr:<address>#controller", as the reference library's signDocument
// does.
func (d *Document) Sign(key *secp256k1.PrivateKey, created time.Time) error {
	root, err := hex.DecodeString(d.Signature.MerkleRoot)
	if err != nil || len(root) != 32 {
		return malformed("merkle root is not a hash")
	}
	compact := ecdsa.SignCompact(key, personalHash(root), false)
	sig := make([]byte, 65)
	copy(sig, compact[1:])
	sig[64] = compact[0]
	d.Proofs = append(d.Proofs, Proof{
		Type: ProofTypeSignature2018, Created: created.UTC().Format(time.RFC3339Nano), ProofPurpose: "assertionMethod",
		VerificationMethod: KeyDID(key.PubKey()), Signature: "0x" + hex.EncodeToString(sig),
	})
	return nil
}

// KeyDID returns the default did:ethr key URL of pub.
func KeyDID(pub *secp256k1.PublicKey) string { return "did:ethr:" + Address(pub) + "#controller" }
