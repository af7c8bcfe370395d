package etsitl

import "github.com/idport/idport/pkg/errs"

// Stable error codes of trusted-list import (pkg/errs); trustregistry/httpapi maps each to an
// HTTP status. A refused list stores nothing.
const (
	// CodeTooLarge: the list is over the size limit; it was not parsed.
	CodeTooLarge errs.Code = "trusted_list_too_large"
	// CodeUnsafeXML: the list has a DOCTYPE (entity declarations), or is nested too deep.
	CodeUnsafeXML errs.Code = "trusted_list_unsafe_xml"
	// CodeMalformed: the list is not well-formed XML or not a TS 119 612 list.
	CodeMalformed errs.Code = "trusted_list_malformed"
	// CodeSignatureInvalid: the list's signature is missing, not XAdES baseline B, or does not
	// verify (a changed list, a changed signed property).
	CodeSignatureInvalid errs.Code = "trusted_list_signature_invalid"
	// CodeSignerNotPinned: the list is signed by a certificate that is not pinned (or not valid
	// now).
	CodeSignerNotPinned errs.Code = "trusted_list_signer_not_pinned"
	// CodeExpired: the list's NextUpdate has passed (or the list is closed: no NextUpdate).
	CodeExpired errs.Code = "trusted_list_expired"
	// CodeNothingSelected: no granted service of the list matches the selection.
	CodeNothingSelected errs.Code = "trusted_list_nothing_selected"
	// CodeBadPin: a pinned signer certificate is not a PEM X.509 certificate.
	CodeBadPin errs.Code = "trusted_list_bad_pin"
)

// Sentinels, one per code: errors.Is(err, ErrX) holds for every error of X's code.
var (
	ErrTooLarge         = errs.New(CodeTooLarge, "the trusted list is over the size limit")
	ErrUnsafeXML        = errs.New(CodeUnsafeXML, "the trusted list is not safe XML")
	ErrMalformed        = errs.New(CodeMalformed, "the trusted list is malformed")
	ErrSignatureInvalid = errs.New(CodeSignatureInvalid, "the trusted list signature does not verify")
	ErrSignerNotPinned  = errs.New(CodeSignerNotPinned, "the trusted list is not signed by a pinned certificate")
	ErrExpired          = errs.New(CodeExpired, "the trusted list is expired")
	ErrNothingSelected  = errs.New(CodeNothingSelected, "no granted service of the trusted list matches the selection")
	ErrBadPin           = errs.New(CodeBadPin, "a pinned signer certificate is not a PEM X.509 certificate")
)

// Codes lists every code of this package (for the HTTP status table and its tests).
var Codes = []errs.Code{CodeTooLarge, CodeUnsafeXML, CodeMalformed, CodeSignatureInvalid,
	CodeSignerNotPinned, CodeExpired, CodeNothingSelected, CodeBadPin}
