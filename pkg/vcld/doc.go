// Package vcld signs and verifies JSON-LD verifiable credentials and
// presentations with Data Integrity proofs: eddsa-rdfc-2022 (signed and
// verified) and Ed25519Signature2020 (verified, signed on request), for the
// VC Data Model 1.1 and 2.0.
//
// JSON-LD processing runs offline over pinned context documents embedded in
// the package (plus any the caller registers) and in safe mode: a document
// in which a term does not expand, a keyword-like key is not a keyword, or
// an IRI is relative is refused with ErrUnsafeDocument, so nothing unsigned
// can ride along with a signed credential. Work is bounded (size, depth,
// blank nodes, canonicalisation ambiguity, deadline) before RDFC-1.0
// canonicalisation runs. Processed contexts are cached per Processor.
//
// This is the only idport package that depends on aries-framework-go and
// json-gold; none of their types appear in its API.
package vcld
