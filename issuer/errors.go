package issuer

import (
	"errors"

	"github.com/idport/idport/pkg/errs"
)

// Stable error codes of the issuer (pkg/errs). They are part of the API: issuer/httpapi renders
// each as the problem+json "code" member (see its status table), and they do not change
// between releases. Codes without an HTTP status in that table are answered as internal errors.
const (
	// CodeUnknownType: the credential type is not configured.
	CodeUnknownType errs.Code = "unknown_credential_type"
	// CodeMissingClaim: a required subject claim is absent.
	CodeMissingClaim errs.Code = "missing_claim"
	// CodeClaimType: a subject claim has the wrong JSON type.
	CodeClaimType errs.Code = "claim_type_mismatch"
	// CodeUnknownClaim: a subject claim is not declared by the credential type.
	CodeUnknownClaim errs.Code = "unknown_claim"
	// CodeSubjectTooLarge: the subject has too many claims or too many bytes.
	CodeSubjectTooLarge errs.Code = "subject_too_large"
	// CodeUnsupportedFormat: the format is unknown or impossible for this credential
	// (e.g. VC-JOSE-COSE for a VC 1.1 credential).
	CodeUnsupportedFormat errs.Code = "unsupported_format"
	// CodeAlgNotAllowed: the algorithm is not on the allow-list, or the format cannot use the
	// issuer's key algorithm (Data Integrity eddsa-rdfc-2022 needs Ed25519).
	CodeAlgNotAllowed errs.Code = "alg_not_allowed"
	// CodeInvalidHolderKey: the holder key is not a valid public JWK (Ed25519 or P-256).
	CodeInvalidHolderKey errs.Code = "invalid_holder_key"
	// CodeIssuerMismatch: a client-supplied credential names another issuer.
	CodeIssuerMismatch errs.Code = "issuer_mismatch"
	// CodeInvalidStatus: a client-supplied credentialStatus is malformed or not ours.
	CodeInvalidStatus errs.Code = "invalid_credential_status"
	// CodeInvalidCredential: a client-supplied credential breaks the data model.
	CodeInvalidCredential errs.Code = "invalid_credential"
	// CodeInvalidRequest: the request is malformed in another way (both or neither of
	// credential and type, a bad option value).
	CodeInvalidRequest errs.Code = "invalid_request"
	// CodeCredentialNotFound: no credential with that id was issued here.
	CodeCredentialNotFound errs.Code = "credential_not_found"
	// CodeStatusConflict: the status change is impossible (a revoked credential is final).
	CodeStatusConflict errs.Code = "status_conflict"
	// CodeStatusListNotFound: no status list with that name exists.
	CodeStatusListNotFound errs.Code = "status_list_not_found"
	// CodeStatusExhausted: no status index is left (the configured list count is used up).
	CodeStatusExhausted errs.Code = "status_exhausted"
	// CodeForbidden: the API key may not issue one of the credential's types, did not issue
	// the credential whose status it changes, or lacks the admin scope.
	CodeForbidden errs.Code = "forbidden"
	// CodeAPIKeyNotFound: no API key with that id (management commands).
	CodeAPIKeyNotFound errs.Code = "api_key_not_found"
	// CodeUnauthorized: no API key, an unknown one, or one that expired or was revoked.
	CodeUnauthorized errs.Code = "unauthorized"
	// CodeNoSecret: the key-sealing secret is missing, too short, or not the one the data was
	// sealed with.
	CodeNoSecret errs.Code = "key_secret_missing"
	// CodeConfig: the configuration is invalid (bad base URL, types file, identity kind).
	CodeConfig errs.Code = "invalid_config"
	// CodeStore: the store failed; the operation did not complete.
	CodeStore errs.Code = "store_failed"
	// CodeIndexTaken: a store was asked to record a status index already allocated to another
	// credential (a bug guard: it must never happen).
	CodeIndexTaken errs.Code = "status_index_taken"
	// CodeDuplicateCredential: a client-supplied credential id was already issued.
	CodeDuplicateCredential errs.Code = "duplicate_credential_id"
	// CodeClosed: the issuer is closed.
	CodeClosed errs.Code = "issuer_closed"
	// CodeBackupUnsupported: the issuer's Store cannot take an online backup (it is no
	// Backupper).
	CodeBackupUnsupported errs.Code = "backup_unsupported"
	// CodeIssuerNotAuthorised: the trust registry does not recognise this issuer for one of the
	// credential's types (registry check in enforce mode); nothing was signed or stored.
	CodeIssuerNotAuthorised errs.Code = "issuer_not_authorised"
	// CodeRegistryStale: the issuer's copy of the trust registry is stale or missing, so it
	// cannot confirm its authorisation (registry check in enforce mode).
	CodeRegistryStale errs.Code = "registry_stale"
	// CodeOnboardingDisabled: this issuer does not onboard foreign credentials.
	CodeOnboardingDisabled errs.Code = "onboarding_disabled"
	// CodeOnboardingNotFound: no onboarding record with that id.
	CodeOnboardingNotFound errs.Code = "onboarding_not_found"
	// CodeForeignNotVerified: the foreign credential did not verify (bad signature, expired,
	// revoked, malformed); the public message lists the verifier's codes.
	CodeForeignNotVerified errs.Code = "foreign_credential_not_verified"
	// CodeForeignNotRecognised: the foreign credential verified cryptographically but its
	// issuer is not recognised here (unknown or suspended authority, type not recognised,
	// claims outside the cross-border allow-list); the public message lists the verifier's codes.
	CodeForeignNotRecognised errs.Code = "foreign_credential_not_recognised"
	// CodeTenantNotFound: no tenant with that name exists in this deployment.
	CodeTenantNotFound errs.Code = "tenant_not_found"
	// CodeTenantExists: a tenant with that name exists already (tenant create).
	CodeTenantExists errs.Code = "tenant_exists"
	// CodeTenantDisabled: the tenant was disabled; it neither issues nor changes statuses
	// (its DID document and status lists stay published).
	CodeTenantDisabled errs.Code = "tenant_disabled"
)

// Sentinel errors, one per code. Every error the issuer returns carries exactly one of these
// codes with a precise public reason (and, for internal failures, the wrapped cause that only
// the log sees); errors.Is(err, ErrX) holds for every error with ErrX's code.
var (
	// ErrUnknownType carries CodeUnknownType.
	ErrUnknownType = errs.New(CodeUnknownType, "unknown credential type")
	// ErrMissingClaim carries CodeMissingClaim.
	ErrMissingClaim = errs.New(CodeMissingClaim, "missing claim")
	// ErrClaimType carries CodeClaimType.
	ErrClaimType = errs.New(CodeClaimType, "claim type mismatch")
	// ErrUnknownClaim carries CodeUnknownClaim.
	ErrUnknownClaim = errs.New(CodeUnknownClaim, "unknown claim")
	// ErrSubjectTooLarge carries CodeSubjectTooLarge.
	ErrSubjectTooLarge = errs.New(CodeSubjectTooLarge, "credential subject too large")
	// ErrUnsupportedFormat carries CodeUnsupportedFormat.
	ErrUnsupportedFormat = errs.New(CodeUnsupportedFormat, "unsupported format")
	// ErrAlgNotAllowed carries CodeAlgNotAllowed.
	ErrAlgNotAllowed = errs.New(CodeAlgNotAllowed, "algorithm not allowed")
	// ErrInvalidHolderKey carries CodeInvalidHolderKey.
	ErrInvalidHolderKey = errs.New(CodeInvalidHolderKey, "invalid holder key")
	// ErrIssuerMismatch carries CodeIssuerMismatch.
	ErrIssuerMismatch = errs.New(CodeIssuerMismatch, "issuer mismatch")
	// ErrInvalidStatus carries CodeInvalidStatus.
	ErrInvalidStatus = errs.New(CodeInvalidStatus, "invalid credentialStatus")
	// ErrInvalidCredential carries CodeInvalidCredential.
	ErrInvalidCredential = errs.New(CodeInvalidCredential, "invalid credential")
	// ErrInvalidRequest carries CodeInvalidRequest.
	ErrInvalidRequest = errs.New(CodeInvalidRequest, "invalid request")
	// ErrCredentialNotFound carries CodeCredentialNotFound.
	ErrCredentialNotFound = errs.New(CodeCredentialNotFound, "credential not found")
	// ErrStatusConflict carries CodeStatusConflict.
	ErrStatusConflict = errs.New(CodeStatusConflict, "status conflict")
	// ErrStatusListNotFound carries CodeStatusListNotFound.
	ErrStatusListNotFound = errs.New(CodeStatusListNotFound, "status list not found")
	// ErrStatusExhausted carries CodeStatusExhausted.
	ErrStatusExhausted = errs.New(CodeStatusExhausted, "no status index left")
	// ErrScope carries CodeForbidden.
	ErrScope = errs.New(CodeForbidden, "forbidden")
	// ErrAPIKeyNotFound carries CodeAPIKeyNotFound.
	ErrAPIKeyNotFound = errs.New(CodeAPIKeyNotFound, "API key not found")
	// ErrUnauthenticated carries CodeUnauthorized.
	ErrUnauthenticated = errs.New(CodeUnauthorized, "unauthorized")
	// ErrNoSecret carries CodeNoSecret.
	ErrNoSecret = errs.New(CodeNoSecret, "key-sealing secret missing or wrong")
	// ErrConfig carries CodeConfig.
	ErrConfig = errs.New(CodeConfig, "invalid configuration")
	// ErrStore carries CodeStore.
	ErrStore = errs.New(CodeStore, "store failed")
	// ErrIndexTaken carries CodeIndexTaken.
	ErrIndexTaken = errs.New(CodeIndexTaken, "status index already taken")
	// ErrDuplicateCredential carries CodeDuplicateCredential.
	ErrDuplicateCredential = errs.New(CodeDuplicateCredential, "duplicate credential id")
	// ErrClosed carries CodeClosed.
	ErrClosed = errs.New(CodeClosed, "issuer closed")
	// ErrBackupUnsupported carries CodeBackupUnsupported.
	ErrBackupUnsupported = errs.New(CodeBackupUnsupported, "this issuer's store cannot take an online backup")
	// ErrIssuerNotAuthorised carries CodeIssuerNotAuthorised.
	ErrIssuerNotAuthorised = errs.New(CodeIssuerNotAuthorised, "issuer not authorised by the trust registry")
	// ErrRegistryStale carries CodeRegistryStale.
	ErrRegistryStale = errs.New(CodeRegistryStale, "trust registry stale")
	// ErrOnboardingDisabled carries CodeOnboardingDisabled.
	ErrOnboardingDisabled = errs.New(CodeOnboardingDisabled, "onboarding disabled")
	// ErrOnboardingNotFound carries CodeOnboardingNotFound.
	ErrOnboardingNotFound = errs.New(CodeOnboardingNotFound, "onboarding record not found")
	// ErrForeignNotVerified carries CodeForeignNotVerified.
	ErrForeignNotVerified = errs.New(CodeForeignNotVerified, "foreign credential not verified")
	// ErrForeignNotRecognised carries CodeForeignNotRecognised.
	ErrForeignNotRecognised = errs.New(CodeForeignNotRecognised, "foreign credential not recognised")
	// ErrTenantNotFound carries CodeTenantNotFound.
	ErrTenantNotFound = errs.New(CodeTenantNotFound, "tenant not found")
	// ErrTenantExists carries CodeTenantExists.
	ErrTenantExists = errs.New(CodeTenantExists, "tenant exists already")
	// ErrTenantDisabled carries CodeTenantDisabled.
	ErrTenantDisabled = errs.New(CodeTenantDisabled, "tenant disabled")
)

// Code returns the stable code of an issuer error, or "" when err carries none.
func Code(err error) errs.Code { return errs.CodeOf(err) }

// IsSecretError reports whether err is about a missing, short or wrong key-sealing secret.
func IsSecretError(err error) bool { return errors.Is(err, ErrNoSecret) }
