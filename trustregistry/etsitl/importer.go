package etsitl

import (
	"time"

	"github.com/idport/idport/trustregistry"
)

// ImportRequest is the body of POST /admin/v1/trusted-lists/import.
type ImportRequest struct {
	// List is the trusted list XML (base64 in JSON).
	List []byte `json:"list"`
	// SignerCertificates are the pinned signer certificates, PEM.
	SignerCertificates []string `json:"signer_certificates"`
	Scheme             string   `json:"scheme"`
	CredentialTypes    []string `json:"credential_types"`
	Assurance          string   `json:"assurance,omitempty"`
	ServiceTypes       []string `json:"service_types,omitempty"`
	TSPs               []string `json:"tsps,omitempty"`
	// Source names where the list came from (recorded in each key's provenance).
	Source string `json:"source,omitempty"`
	Reason string `json:"reason"`
}

// ImportResult is the answer: the proposal created, and the import's diff key by key.
type ImportResult struct {
	Proposal *trustregistry.Proposal `json:"proposal"`
	Mapping
}

// Import verifies the request's list against its pinned signers at now and maps it (see Verify
// and Map) for a proposal by importedBy; current marks keys already pinned.
func Import(req ImportRequest, importedBy string, now time.Time, current *trustregistry.State, lim Limits) (*Mapping, error) {
	pems := make([][]byte, len(req.SignerCertificates))
	for i, p := range req.SignerCertificates {
		pems[i] = []byte(p)
	}
	pins, err := ParsePins(pems...)
	if err != nil {
		return nil, err
	}
	v, err := Verify(req.List, VerifyOptions{Pinned: pins, Now: now, Limits: lim})
	if err != nil {
		return nil, err
	}
	return Map(v, Selection{Scheme: req.Scheme, CredentialTypes: req.CredentialTypes, Assurance: req.Assurance,
		ServiceTypes: req.ServiceTypes, TSPs: req.TSPs, ImportedBy: importedBy, At: now, Source: req.Source}, current)
}
