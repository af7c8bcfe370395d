// Package oa reads, checks, wraps and signs OpenAttestation v2 documents
// (https://www.openattestation.com), the format of Singapore's trade
// documents (TradeTrust, InvoiceNow e-invoices, certificates).
//
// A wrapped v2 document carries its data with every value salted
// ("<uuid v4>:<type>:<value>"), a SHA3MerkleProof signature block
// (targetHash, Merkle proof, merkleRoot), optionally the hashes of
// obfuscated (hidden) fields in privacy.obfuscatedData, and, when signed
// with a DID, a proof list of OpenAttestationSignature2018 entries: an
// Ethereum personal-sign signature of the Merkle root by a secp256k1 key.
//
// This package checks the integrity (target hash and Merkle proof) exactly
// as the reference library @govtechsg/open-attestation computes it,
// recovers the signer of a DID proof to its did:ethr address, and parses
// DNS-DID identity records. It contacts no network and no blockchain:
// DNS is the caller's business (see pkg/dnstxt), and documents anchored
// in an Ethereum document store or token registry are reported as such
// (Issuer.Anchored) so that callers refuse them.
//
// It imports the standard library, golang.org/x/crypto/sha3 (keccak256)
// and github.com/decred/dcrd/dcrec/secp256k1/v4 only.
package oa
