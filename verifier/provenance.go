package verifier

import "time"

// ProvenanceKind says where the registry obtained the key (or the recognition) that grounds
// a decision.
type ProvenanceKind string

// The kinds of provenance a trust decision names.
const (
	// ProvenanceManual: registered by the regulators themselves (maker-checker), out of band.
	ProvenanceManual ProvenanceKind = "manual"
	// ProvenanceTrustedList: imported from an ETSI TS 119 612 trusted list.
	ProvenanceTrustedList ProvenanceKind = "trusted_list"
	// ProvenanceFederation: taken from an OpenID Federation trust chain, at import or live
	// (recognition by framework).
	ProvenanceFederation ProvenanceKind = "federation"
	// ProvenanceDIDDocument: taken from the issuer's DID document.
	ProvenanceDIDDocument ProvenanceKind = "did_document"
	// ProvenanceDNSDID: found through a DNS-DID TXT record.
	ProvenanceDNSDID ProvenanceKind = "dns_did"
)

// Provenance says where the issuer's key, or its recognition, came from: the kind of source,
// one line naming it ("EU trusted list FR seq 42, TSP X, service Y", "federation chain leaf ->
// anchor, expires ..."), and who imported it and when, when known.
type Provenance struct {
	// Kind is the kind of source.
	Kind ProvenanceKind `json:"kind"`
	// Description names the source in one line.
	Description string `json:"description"`
	// ImportedBy is the regulator account that imported or registered the key ("" unknown).
	ImportedBy string `json:"importedBy,omitempty"`
	// ImportedAt is when it was imported or last re-checked (zero unknown).
	ImportedAt time.Time `json:"importedAt,omitzero"`
}
