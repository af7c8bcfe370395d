package openid4vci

import "github.com/idport/idport/pkg/errs"

// Stable error codes. The first group are OAuth 2.0 (RFC 6749, RFC 6750) and OpenID4VCI 1.0
// error strings, returned in the OAuth error body of the token, credential and notification
// endpoints; the others belong to idport's own offer API and are returned as problem+json.
const (
	// CodeInvalidGrant: the pre-authorized code is unknown, used, expired or locked, or the
	// transaction code is missing or wrong.
	CodeInvalidGrant errs.Code = "invalid_grant"
	// CodeUnsupportedGrantType: a grant type other than the pre-authorized code.
	CodeUnsupportedGrantType errs.Code = "unsupported_grant_type"
	// CodeInvalidToken: the access token is missing, unknown or expired.
	CodeInvalidToken errs.Code = "invalid_token"
	// CodeInvalidProof: a key proof is missing, malformed, wrongly signed, of a refused
	// algorithm or type, or for another audience.
	CodeInvalidProof errs.Code = "invalid_proof"
	// CodeInvalidNonce: a key proof's nonce is missing, unknown, expired or already used; the
	// wallet fetches a new c_nonce and retries.
	CodeInvalidNonce errs.Code = "invalid_nonce"
	// CodeInvalidCredentialRequest: the credential request is malformed (no configuration,
	// both proof and proofs, too many proofs, an unsupported parameter).
	CodeInvalidCredentialRequest errs.Code = "invalid_credential_request"
	// CodeUnknownConfiguration: the credential configuration is not offered to this token.
	CodeUnknownConfiguration errs.Code = "unknown_credential_configuration"
	// CodeRequestDenied: the credential configuration was already issued under this token.
	CodeRequestDenied errs.Code = "credential_request_denied"
	// CodeInvalidNotificationID: the notification id is unknown for this token.
	CodeInvalidNotificationID errs.Code = "invalid_notification_id"
	// CodeInvalidNotification: the notification event is not one of OpenID4VCI's.
	CodeInvalidNotification errs.Code = "invalid_notification_request"
	// CodeOfferNotFound: no live credential offer has that id (unknown or expired).
	CodeOfferNotFound errs.Code = "offer_not_found"
)

// Sentinel errors, one per code; errors.Is(err, ErrX) holds for every error with ErrX's code.
var (
	// ErrInvalidGrant carries CodeInvalidGrant.
	ErrInvalidGrant = errs.New(CodeInvalidGrant, "invalid grant")
	// ErrUnsupportedGrantType carries CodeUnsupportedGrantType.
	ErrUnsupportedGrantType = errs.New(CodeUnsupportedGrantType, "unsupported grant type")
	// ErrInvalidToken carries CodeInvalidToken.
	ErrInvalidToken = errs.New(CodeInvalidToken, "invalid access token")
	// ErrInvalidProof carries CodeInvalidProof.
	ErrInvalidProof = errs.New(CodeInvalidProof, "invalid proof")
	// ErrInvalidNonce carries CodeInvalidNonce.
	ErrInvalidNonce = errs.New(CodeInvalidNonce, "invalid nonce")
	// ErrInvalidCredentialRequest carries CodeInvalidCredentialRequest.
	ErrInvalidCredentialRequest = errs.New(CodeInvalidCredentialRequest, "invalid credential request")
	// ErrUnknownConfiguration carries CodeUnknownConfiguration.
	ErrUnknownConfiguration = errs.New(CodeUnknownConfiguration, "unknown credential configuration")
	// ErrRequestDenied carries CodeRequestDenied.
	ErrRequestDenied = errs.New(CodeRequestDenied, "credential request denied")
	// ErrInvalidNotificationID carries CodeInvalidNotificationID.
	ErrInvalidNotificationID = errs.New(CodeInvalidNotificationID, "invalid notification id")
	// ErrInvalidNotification carries CodeInvalidNotification.
	ErrInvalidNotification = errs.New(CodeInvalidNotification, "invalid notification request")
	// ErrOfferNotFound carries CodeOfferNotFound.
	ErrOfferNotFound = errs.New(CodeOfferNotFound, "credential offer not found")
)
