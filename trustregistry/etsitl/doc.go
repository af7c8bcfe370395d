// Package etsitl reads and writes ETSI TS 119 612 trusted lists for the trust registry.
//
// Import: Verify checks a list's size and XML safety (no DOCTYPE, so no entities; bounded size
// and depth), its enveloped XAdES baseline B signature (ds:Signature with a signed
// xades:SignedProperties) against certificates the regulator pinned, and its NextUpdate; Map
// turns the selected trust service providers and services into a change set of authorities
// whose keys are the services' certificate keys, each with its provenance. The change set is
// proposed through maker-checker like any other: nothing is applied by an import.
//
// Export: Export renders the registry's local and recognised authorities as a TS 119 612-shaped
// list and Sign signs it (XMLDSig enveloped, XAdES baseline B shape) with ECDSA P-256.
//
// Signatures are checked with github.com/russellhaering/goxmldsig and canonicalised with its
// canonicalisers over github.com/beevik/etree trees; this package canonicalises nothing itself.
package etsitl

// XML namespaces of trusted lists and their signatures.
const (
	NSTSL   = "http://uri.etsi.org/02231/v2#"
	NSDS    = "http://www.w3.org/2000/09/xmldsig#"
	NSXAdES = "http://uri.etsi.org/01903/v1.3.2#"
)

// URIs of TS 119 612 and XAdES.
const (
	// TypeSignedProperties is the Reference Type of the XAdES SignedProperties.
	TypeSignedProperties = "http://uri.etsi.org/01903#SignedProperties"
	// StatusGranted is the ServiceStatus of a granted (active) service.
	StatusGranted = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
	// StatusWithdrawn is the ServiceStatus of a withdrawn service.
	StatusWithdrawn = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/withdrawn"
	// StatusRecognisedAtNationalLevel is the status of a nationally recognised service.
	StatusRecognisedAtNationalLevel = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/recognisedatnationallevel"
	// ServiceTypeUnspecified is the service type of exported registry authorities.
	ServiceTypeUnspecified = "http://uri.etsi.org/TrstSvc/Svctype/unspecified"
	// TSLTag is the TSLTag attribute of a TS 119 612 list.
	TSLTag = "http://uri.etsi.org/19612/TSLTag"
)
