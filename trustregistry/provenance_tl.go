package trustregistry

import "time"

// ProvenanceTrustedList is the Provenance.Method of keys imported from an ETSI TS 119 612
// trusted list (trustregistry/etsitl).
const ProvenanceTrustedList = "etsi-trusted-list"

// TrustedListSource locates a key in the ETSI TS 119 612 trusted list it was imported from:
// which list (territory, sequence number, issue date), which entry (trust service provider and
// service), and which pinned certificate signed the list. Who imported it and when are the
// Provenance's CheckedBy and CheckedAt.
type TrustedListSource struct {
	// Territory is the list's SchemeTerritory (an ISO 3166-1 code, "EU" for the list of lists).
	Territory string `json:"territory"`
	// SequenceNumber is the list's TSLSequenceNumber.
	SequenceNumber uint64 `json:"sequence_number"`
	// IssuedAt is the list's ListIssueDateTime.
	IssuedAt time.Time `json:"issued_at,omitzero"`
	// TSPName and ServiceName are the names of the trust service provider and of its service.
	TSPName     string `json:"tsp_name"`
	ServiceName string `json:"service_name"`
	// ServiceType is the service's ServiceTypeIdentifier URI.
	ServiceType string `json:"service_type,omitempty"`
	// CertificateSHA256 is the base64url SHA-256 of the service certificate (DER) the key is in.
	CertificateSHA256 string `json:"certificate_sha256,omitempty"`
	// SignerSHA256 is the base64url SHA-256 of the pinned certificate (DER) that signed the list.
	SignerSHA256 string `json:"signer_sha256"`
}
