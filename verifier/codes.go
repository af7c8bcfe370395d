package verifier

import "github.com/idport/idport/pkg/errs"

// Code is a stable machine-readable reason for a failed check or a warning.
// Codes are part of the API: they do not change between releases.
type Code string

// Stable codes of errors and warnings.
const (
	CodeMalformed                   Code = "malformed"
	CodeUnsupportedFormat           Code = "unsupported_format"
	CodeAlgNotAllowed               Code = "alg_not_allowed"
	CodeKeyNotFound                 Code = "key_not_found"
	CodeSignatureInvalid            Code = "signature_invalid"
	CodeExpired                     Code = "expired"
	CodeNotYetValid                 Code = "not_yet_valid"
	CodeRevoked                     Code = "revoked"
	CodeSuspended                   Code = "suspended"
	CodeStatusUnavailable           Code = "status_unavailable"
	CodeIssuerNotRecognised         Code = "issuer_not_recognised"
	CodeAuthoritySuspended          Code = "authority_suspended"
	CodeTypeNotRecognised           Code = "type_not_recognised"
	CodeAssuranceTooLow             Code = "assurance_too_low"
	CodeClaimNotAllowedAcrossBorder Code = "claim_not_allowed_across_border"
	CodeChallengeInvalid            Code = "challenge_invalid"
	CodeChallengeReused             Code = "challenge_reused"
	// CodeChallengeWrongAudience (error): the challenge was issued by this
	// verifier for another audience (PresentationOptions.ChallengeAudience):
	// a presentation made for one relying-party profile relayed to another,
	// or between a profile and the plain route. Nothing is recorded.
	CodeChallengeWrongAudience    Code = "challenge_wrong_audience"
	CodeHolderBindingFailed       Code = "holder_binding_failed"
	CodeRegistryStale             Code = "registry_stale"
	CodeRecognitionNotChecked     Code = "recognition_not_checked"
	CodeJurisdictionNotAccepted   Code = "jurisdiction_not_accepted"
	CodeSchemeNotAccepted         Code = "scheme_not_accepted"
	CodeCredentialTypeNotAccepted Code = "credential_type_not_accepted"
	CodeRequiredClaimMissing      Code = "required_claim_missing"
	CodeClaimStripped             Code = "claim_stripped"
	CodeStatusNotChecked          Code = "status_not_checked"

	// CodeStatusListIssuerMismatch (error): the status list a credential
	// points at is issued (signed) by someone other than the credential's
	// issuer. The list is not read; the credential fails whatever the
	// policy's StatusFailMode, since anyone could otherwise vouch for
	// another issuer's credentials (or hide their revocation).
	CodeStatusListIssuerMismatch Code = "status_list_issuer_mismatch"
	// CodeStatusStale (warning): the status was read from a cached copy
	// of the list past its expiry, because refreshing it failed and the
	// fetcher is configured to serve stale copies for a while
	// (statuslist.FetcherOptions.StaleIfError).
	CodeStatusStale Code = "status_stale"
	// CodeProofChainInvalid (error): the Data Integrity proofs of a
	// credential do not hang together: a previousProof names no proof of
	// the credential, references form a cycle, or two proofs share an id.
	CodeProofChainInvalid Code = "proof_chain_invalid"
	// CodeProofMissing (error): a proof the policy requires is absent: no
	// assertionMethod proof by the issuer among a credential's proofs (only
	// others'), or none by a DID of Policy.RequiredProofsBy.
	CodeProofMissing Code = "proof_missing"
	// CodeAmbiguousSubject (error): a Data Integrity credential has several
	// different credential subjects. The order of credentialSubject is not
	// signed (not part of the RDF dataset), so no one of them can be read
	// as the credential's subject, claims or holder binding: a holder
	// could reorder them. Such a credential is refused.
	CodeAmbiguousSubject Code = "ambiguous_subject"
)

// Codes of OpenAttestation document verification (VerifyDocument).
const (
	// CodeTargetHashMismatch (error): the document's data, with its
	// obfuscated hashes, does not hash to its target hash: a field was
	// changed, added or removed.
	CodeTargetHashMismatch Code = "target_hash_mismatch"
	// CodeMerkleRootMismatch (error): the Merkle proof does not lead from
	// the target hash to the signed Merkle root.
	CodeMerkleRootMismatch Code = "merkle_root_mismatch"
	// CodeIdentityProofFailed (error): the issuer's domain has no DNS-DID
	// record naming the key that signed the document.
	CodeIdentityProofFailed Code = "identity_proof_failed"
	// CodeIdentityProofUnavailable (error): the DNS lookup of the issuer's
	// domain failed or timed out.
	CodeIdentityProofUnavailable Code = "identity_proof_unavailable"
	// CodeBlockchainAnchorUnsupported (error): the document's issuance or
	// revocation depends on an Ethereum document store, token registry or
	// revocation store; no blockchain is contacted, so it is refused rather
	// than half-verified.
	CodeBlockchainAnchorUnsupported Code = "blockchain_anchor_unsupported"
)

// Codes of trust decisions that a recognition check passes on as its error (from a
// TrustSource such as the registry's replica): why the issuer is not recognised.
const (
	CodeAuthorityNotActive     Code = "authority_not_active"
	CodeAuthorityRevoked       Code = "authority_revoked"
	CodeTypeNotAuthorised      Code = "type_not_authorised"
	CodeSchemeNotRecognised    Code = "scheme_not_recognised"
	CodeLocalSchemeUnknown     Code = "local_scheme_unknown"
	CodeRecognitionInactive    Code = "recognition_inactive"
	CodeAgreementInactive      Code = "agreement_inactive"
	CodeAssuranceNotMapped     Code = "assurance_not_mapped"
	CodeKeyNotPinned           Code = "key_not_pinned"
	CodeRegistryVersionUnknown Code = "version_unknown"
	CodeInvalidTrustQuery      Code = "invalid_query"
	// CodeFederationChainUnavailable: the issuer would be recognised by
	// federation framework, but no verified, unexpired trust chain to the
	// recognised trust anchor is held for it (expired, withdrawn by the
	// federation, or unreachable): fail-closed.
	CodeFederationChainUnavailable Code = "federation_chain_unavailable"
)

// Codes of request errors (not verification outcomes): a request's options
// that the verifier refuses before verifying anything.
const (
	// CodeHolderBindingNotAllowed: see ErrHolderBindingNotAllowed.
	CodeHolderBindingNotAllowed errs.Code = "holder_binding_not_allowed"
	// CodeHolderBindingUnknown: see ErrHolderBindingUnknown.
	CodeHolderBindingUnknown errs.Code = "holder_binding_unknown"
)
