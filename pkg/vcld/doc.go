// Package vcld signs and verifies JSON-LD verifiable credentials and
// presentations with Data Integrity proofs: eddsa-rdfc-2022 (signed and
// verified) and Ed25519Signature2020 (verified, signed on request), for the
// VC Data Model 1.1 and 2.0. It is the only idport package that depends on
// the JSON-LD stack (json-gold and aries-framework-go v0.3.2, see below);
// none of their types appear in this API.
//
// # Use
//
// SignCredential, VerifyCredential, SignPresentation and VerifyPresentation
// run on the Default Processor (pinned contexts only). New builds a
// Processor with extra context documents (an idport credential-type
// context, say) and other Limits. Keys are Ed25519: an ed25519.PrivateKey
// (any crypto.Signer) to sign, a KeyResolver to verify. Every failure wraps
// one sentinel (ErrSignatureInvalid, ErrUnsafeDocument, ErrContextNotAllowed,
// ErrTooComplex, ErrMalformed, ...), which also carries a problem code.
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
// json-gold expands documents; the RDF conversion and RDFC-1.0 are this
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
// aries-framework-go v0.3.2 works in production in two places (aries.go),
// both off the verification hot path:
//
//   - Ed25519Signature2020 signing (SignOptions.Suite, credentials and
//     presentations): aries' ed25519signature2020 suite and
//     signature/signer document signer make the proof, with a document
//     loader over this Processor's pinned contexts (aries has no network
//     guard and panics without a loader). The document first passes this
//     package's canonicaliser, so safe mode and the work bounds hold (aries
//     and json-gold have neither, nor a deadline); the proof aries returns
//     is then checked on this package's verifier path before it is written,
//     so a document json-gold canonicalises differently from jsonld.js (a
//     control character in a literal, say) is refused with
//     ErrUnsafeDocument instead of leaving with a proof no peer verifies.
//     The proofs are byte-identical to this package's own construction and
//     verify with @digitalbazaar/ed25519-signature-2020 (both tested).
//     Measured: 1.3 ms CPU and 3,760 allocations a VC 1.1 credential
//     (BenchmarkSignEd25519Signature2020; aries' AddLinkedDataProof alone
//     1.1-1.2 ms), against 0.15 ms before, when this package signed it.
//   - did:key fingerprints: DIDKeyResolver, CheckDIDKeyVerificationMethod,
//     and the refusal to sign with a did:key verification method that is
//     not the signer's key decode did:key with aries' vdr/fingerprint
//     (PubKeyFromFingerprint, CreateDIDKey: one canonical DID per key);
//     aries' panics on hostile fingerprints are turned into errors. About
//     2 us a resolution; the signing check keeps its last answer, so
//     eddsa-rdfc-2022 signing with one issuer key does not pay it.
//
// eddsa-rdfc-2022 does not go through aries, and neither does verification
// of either suite: v0.3.2 has no DataIntegrityProof/eddsa-rdfc-2022 suite
// at all, and its linked-data path re-processes every context on every
// call, has no safe mode (json-gold drops what it cannot map) and no work
// bound. On the same VC 1.1 credential and machine (2 cores, go test -run
// '^$' -bench . -benchmem ./pkg/vcld), aries' ParseCredential with its
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
