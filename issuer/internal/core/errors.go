package core

import "errors"

// Sentinel errors, one per failure class. Every error the core returns wraps exactly one of
// them with a precise reason; issuer/httpapi maps each to an HTTP status and a stable problem
// code (the code is the sentinel's Code).
var (
	// ErrUnknownType: the credential type is not configured.
	ErrUnknownType = errors.New("unknown_credential_type")
	// ErrMissingClaim: a required subject claim is absent.
	ErrMissingClaim = errors.New("missing_claim")
	// ErrClaimType: a subject claim has the wrong JSON type.
	ErrClaimType = errors.New("claim_type_mismatch")
	// ErrUnknownClaim: a subject claim is not declared by the credential type.
	ErrUnknownClaim = errors.New("unknown_claim")
	// ErrSubjectTooLarge: the subject has too many claims or too many bytes.
	ErrSubjectTooLarge = errors.New("subject_too_large")
	// ErrUnsupportedFormat: the format is unknown or impossible for this credential
	// (e.g. VC-JOSE-COSE for a VC 1.1 credential).
	ErrUnsupportedFormat = errors.New("unsupported_format")
	// ErrAlgNotAllowed: the algorithm is not on the allow-list, or the format cannot use the
	// issuer's key algorithm (Data Integrity eddsa-rdfc-2022 needs Ed25519).
	ErrAlgNotAllowed = errors.New("alg_not_allowed")
	// ErrInvalidHolderKey: the holder key is not a valid public JWK (Ed25519 or P-256).
	ErrInvalidHolderKey = errors.New("invalid_holder_key")
	// ErrIssuerMismatch: a client-supplied credential names another issuer.
	ErrIssuerMismatch = errors.New("issuer_mismatch")
	// ErrInvalidStatus: a client-supplied credentialStatus is malformed or not ours.
	ErrInvalidStatus = errors.New("invalid_credential_status")
	// ErrInvalidCredential: a client-supplied credential breaks the data model.
	ErrInvalidCredential = errors.New("invalid_credential")
	// ErrInvalidRequest: the request is malformed in another way (both or neither of
	// credential and type, a bad option value).
	ErrInvalidRequest = errors.New("invalid_request")
	// ErrCredentialNotFound: no credential with that id was issued here.
	ErrCredentialNotFound = errors.New("credential_not_found")
	// ErrStatusConflict: the status change is impossible (a revoked credential is final).
	ErrStatusConflict = errors.New("status_conflict")
	// ErrStatusListNotFound: no status list with that name exists.
	ErrStatusListNotFound = errors.New("status_list_not_found")
	// ErrStatusExhausted: no status index is left (the configured list count is used up).
	ErrStatusExhausted = errors.New("status_exhausted")
	// ErrScope: the API key may not issue or manage this credential type.
	ErrScope = errors.New("forbidden")
	// ErrUnauthenticated: no API key, or an unknown one.
	ErrUnauthenticated = errors.New("unauthorized")
	// ErrNoSecret: the key-sealing secret is missing or too short.
	ErrNoSecret = errors.New("key_secret_missing")
	// ErrConfig: the configuration is invalid (bad base URL, types file, identity kind).
	ErrConfig = errors.New("invalid_config")
	// ErrStore: the store failed; the operation did not complete.
	ErrStore = errors.New("store_failed")
	// ErrIndexTaken: a store was asked to record a status index already allocated to another
	// credential (a bug guard: it must never happen).
	ErrIndexTaken = errors.New("status_index_taken")
	// ErrDuplicateCredential: a client-supplied credential id was already issued.
	ErrDuplicateCredential = errors.New("duplicate_credential_id")
	// ErrClosed: the issuer is closed.
	ErrClosed = errors.New("issuer_closed")
)

// Code returns the stable code of the sentinel err wraps, or "" when it wraps none.
func Code(err error) string {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return ""
}

var sentinels = []error{ErrUnknownType, ErrMissingClaim, ErrClaimType, ErrUnknownClaim, ErrSubjectTooLarge,
	ErrUnsupportedFormat, ErrAlgNotAllowed, ErrInvalidHolderKey, ErrIssuerMismatch, ErrInvalidStatus,
	ErrInvalidCredential, ErrInvalidRequest, ErrCredentialNotFound, ErrStatusConflict, ErrStatusListNotFound,
	ErrStatusExhausted, ErrScope, ErrUnauthenticated, ErrNoSecret, ErrConfig, ErrStore, ErrIndexTaken, ErrDuplicateCredential, ErrClosed}
