// Package vcld signs and verifies JSON-LD verifiable credentials and
// presentations with Data Integrity proofs: eddsa-rdfc-2022 (signed and
// verified) and Ed25519Signature2020 (verified; signed by a Processor
// given a ProofMaker for it, see pkg/vcld/ariessign), for the VC Data
// Model 1.1 and 2.0. With its subpackage ariessign it is the only idport
// code that depends on the JSON-LD stack: this package on json-gold only,
// ariessign on aries-framework-go v0.3.2 (see below); none of their types
// appear in this API. A verifier links no signing library.
//
// # Use
//
// SignCredential, VerifyCredential, SignPresentation and VerifyPresentation
// run on the Default Processor (pinned contexts only). New builds a
// Processor with extra context documents (an idport credential-type
// context, say) and other Limits. Keys are Ed25519: an ed25519.PrivateKey
// (any crypto.Signer) to sign, a KeyResolver to verify. Every failure wraps
// one sentinel (ErrSignatureInvalid, ErrUnsafeDocument, ErrContextNotAllowed,
// ErrTooComplex, ErrMalformed, ...), a pkg/errs coded error with a stable
// code (CodeSignatureInvalid, ...); HTTP statuses are the caller's.
//
// # What is checked
//
// Contexts are pinned and embedded (byte for byte the documents of the npm
// packages the JavaScript peers load); nothing is ever fetched, an unknown
// context URL is ErrContextNotAllowed. Processing is in safe mode, stricter
// than json-gold, which drops silently what it cannot map: a term that does
// not expand, a keyword-like key that is not a keyword, a relative IRI, a
// term mapped to null by an inline context, a repeated member name, an array
// nested in an array, a JSON literal, an integer beyond 2^53 are refused
// with ErrUnsafeDocument or ErrMalformed. (A property count compares the
// document with its expansion, so exotic containers such as language or
// index maps are refused too.) Work is bounded before and during
// canonicalisation: size, depth, quads, blank nodes, a deadline, and the
// RDFC-1.0 n-degree search the way rdf-canonize bounds it by default
// (ErrTooComplex), so a blank-node clique fails fast and exactly where the
// JavaScript implementation fails.
//
// Proof rules: every proof must verify (at least one); a credential proof
// has purpose assertionMethod and a verification method of the issuer's
// DID; a presentation proof has purpose authentication, a verification
// method of the holder's DID when a holder is named, and the expected
// challenge and domain. Validity periods, status and trust are the
// caller's.
//
// # How it is fast and interoperable
//
// json-gold processes contexts and expands documents; documents whose
// contexts are all pre-processed (below) are expanded, and node maps built,
// by internal/ldexpand, a copy of json-gold's algorithms that never copies
// an active context, compared with json-gold by tests and fuzz targets and
// falling back to it for anything it leaves out. Documents are decoded in
// one pass (pkg/jsontext.Decode, with the duplicate-name and depth checks).
// The RDF conversion and RDFC-1.0 are this
// package's own (rdfc.go), written to produce what jsonld.js and
// rdf-canonize produce (literal forms, @direction, N-Quads escaping, UTF-16
// sort order); tests compare canonical forms with the JavaScript peers on a
// corpus, and sign and verify in both directions. Processed contexts are
// cached per Processor, type-scoped contexts are pre-processed where that is
// provably the same as json-gold's per-call processing (fastctx.go, checked
// by a test and a fuzz target), and proof configurations are canonicalised
// from per-shape templates (proofconfig.go). A verification costs about three
// raw Ed25519 verifications of CPU.
//
// # What aries-framework-go does, and does not
//
// aries-framework-go v0.3.2 works in production in pkg/vcld/ariessign,
// off the verification path and outside this package's imports:
// Ed25519Signature2020 signing (its suite and document signer, as this
// Processor's ProofMaker; the document passes this package's
// canonicaliser first and the proof is checked on this package's
// verification path after) and did:key fingerprints (DIDKeyResolver, and
// the SignerCheck that refuses a did:key verification method that is not
// the signer's key). The issuer signs through ariessign.
//
// eddsa-rdfc-2022 does not go through aries, and neither does verification
// of either suite: v0.3.2 has no DataIntegrityProof/eddsa-rdfc-2022 suite
// at all, and its linked-data path re-processes every context on every
// call, has no safe mode (json-gold drops what it cannot map) and no work
// bound. On the same VC 1.1 credential and machine (2 cores, go test -run
// '^$' -bench . -benchmem ./pkg/vcld/...), aries' ParseCredential with its
// Ed25519Signature2020 proof check costs 4.5-4.7 ms CPU and 22,300
// allocations; this package verifies it in 0.12 ms (270 allocations) and
// verifies or signs eddsa-rdfc-2022 (VC 2.0) in 0.15-0.19 ms (334 and 439
// allocations).
//
// VC 2.0 defines verifiableCredential with "@container": "@graph" and
// "@context": null; json-gold loses that container, so presentations are
// canonicalised with their embedded credentials given as explicit graph
// objects (presentationView), which yields the jsonld.js dataset.
package vcld
