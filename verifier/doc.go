// Package verifier is idport's verification core and its public Go SDK.
//
// A Verifier checks a verifiable credential or presentation in one pass:
// the format is detected (VC-JWT 1.1, VC-JOSE-COSE 2.0 including the
// EnvelopedVerifiableCredential JSON form, SD-JWT VC, JSON-LD with a Data
// Integrity eddsa-rdfc-2022 or Ed25519Signature2020 proof), the signature is
// checked with the issuer key (resolved once and cached), then the validity
// period, the credential status (revocation, suspension), and the recognition
// of the issuer by the cross-border trust registry through a TrustSource:
// is the issuer an active authority of a scheme that the local scheme
// recognises for this credential type, at issuance time and now, at the
// assurance the policy asks for? The subject claims come back mapped to the
// local claim names of the recognition.
//
// Every check performed is recorded in Result.Checks in order, and every
// failure carries a stable Code (see the Code constants), so a caller can
// explain a decision without a second pass.
//
// The package never imports the trust registry: it declares the
// TrustSource interface and callers plug in the registry's replica through
// trustregistry/trustsource (one-call setups from a registry URL with a
// pinned key, or from a snapshot file), an in-process registry, or
// StaticTrust (tests, examples, offline use).
//
// Status lists are read through a StatusFetcher; StatusLists adapts
// pkg/statuslist's Fetcher, which caches decoded lists for a bounded time,
// so that a status check on the hot path is a bit test. A list must be
// issued by the credential's own issuer (else status_list_issuer_mismatch);
// DataIntegrityListVerifier lets the Fetcher accept lists secured with Data
// Integrity proofs. Issuer keys are
// resolved once (pkg/did) and cached by key id.
//
// verifier/httpapi serves the SDK over HTTP (W3C VC-API); verifier/boltstore
// keeps presentation challenges single-use across restarts.
//
// No type of a third-party library (aries-framework-go, jwx) appears in
// this API.
package verifier
