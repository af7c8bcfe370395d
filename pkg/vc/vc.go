// Package vc holds the W3C Verifiable Credentials data model (1.1 and 2.0) as
// plain Go values: credentials, presentations, their JSON form and the data
// model validation rules. It knows no proof format; pkg/vcjwt and pkg/vcld
// secure these values. It imports the standard library only.
//
// JSON decoding keeps every member it does not model in Extra, keeps the
// order of @context, and remembers whether single-valued members (type,
// credentialSubject, credentialStatus, issuer) were given as a value or as an
// array, so that a parsed credential marshals back to an equivalent document.
package vc

import (
	"errors"
	"fmt"
)

// The base contexts of the two data model versions.
const (
	ContextV1 = "https://www.w3.org/2018/credentials/v1"
	ContextV2 = "https://www.w3.org/ns/credentials/v2"
)

// Base types every credential and presentation carries.
const (
	TypeCredential   = "VerifiableCredential"
	TypePresentation = "VerifiablePresentation"
	// TypeEnveloped is the type of a credential secured by an enveloping
	// proof and carried as a data: URL in its id (VC 2.0 section 4.13).
	TypeEnveloped = "EnvelopedVerifiableCredential"
	// TypeEnvelopedPresentation is the presentation counterpart of TypeEnveloped.
	TypeEnvelopedPresentation = "EnvelopedVerifiablePresentation"
)

// Format names a credential securing format. The values are the format
// identifiers used by OpenID4VCI / OpenID4VP and the media type of VC-JOSE-COSE.
type Format string

// Credential formats.
const (
	// FormatVCJWT11 is a VC Data Model 1.1 credential as a JWT with a vc claim.
	FormatVCJWT11 Format = "jwt_vc_json"
	// FormatVCJOSE is a VC Data Model 2.0 credential secured with JOSE (typ vc+jwt).
	FormatVCJOSE Format = "vc+jwt"
	// FormatSDJWT is an SD-JWT VC (typ dc+sd-jwt).
	FormatSDJWT Format = "dc+sd-jwt"
	// FormatDI is a JSON-LD credential with an embedded Data Integrity proof.
	FormatDI Format = "ldp_vc"
)

// Media types used in data: URLs of enveloped credentials and presentations.
const (
	MediaTypeVCJWT = "application/vc+jwt"
	MediaTypeVPJWT = "application/vp+jwt"
	MediaTypeSDJWT = "application/dc+sd-jwt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of them.
var (
	// ErrMalformed: the input is not a valid credential or presentation
	// (bad JSON, a missing or mistyped member, a data model rule broken).
	ErrMalformed = errors.New("vc: malformed")
	// ErrUnsupportedVersion: @context does not start with a known base context.
	ErrUnsupportedVersion = errors.New("vc: unsupported data model version")
	// ErrTooLarge: the input exceeds MaxDocumentBytes.
	ErrTooLarge = errors.New("vc: document too large")
	// ErrNotEnveloped: the value is not an enveloped credential or presentation.
	ErrNotEnveloped = errors.New("vc: not an enveloped credential")
)

// MaxDocumentBytes bounds the size of a credential or presentation that
// ParseCredential and ParsePresentation accept.
const MaxDocumentBytes = 1 << 20

// malformed builds an ErrMalformed error with a precise reason.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}
