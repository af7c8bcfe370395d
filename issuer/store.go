package issuer

import (
	"context"
	"time"

	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/errs"
)

// State is the status of one status-list entry. The values are those of the IETF Token
// Status List (0 valid, 1 invalid, 2 suspended); a W3C Bitstring revocation list sets its bit
// for StateRevoked, a suspension list for StateSuspended.
type State uint8

// Status states.
const (
	StateValid     State = 0
	StateRevoked   State = 1
	StateSuspended State = 2
)

// String names the state.
func (s State) String() string {
	switch s {
	case StateValid:
		return "valid"
	case StateRevoked:
		return "revoked"
	case StateSuspended:
		return "suspended"
	}
	return "unknown"
}

// StatusRef locates a credential's entry: status list set and index in it. A set is one index
// space of ListSize entries published as a Bitstring revocation list, a Bitstring suspension
// list and a Token Status List.
type StatusRef struct {
	Set   uint32 `json:"set"`
	Index uint32 `json:"index"`
}

// IssueRecord is the issuance log entry of one credential. It holds no subject claims.
type IssueRecord struct {
	// ID is the credential id (urn:uuid:... or the client's id).
	ID string `json:"id"`
	// Type is the credential type (template name or the credential's most specific type).
	Type string `json:"type"`
	// Format is the credential format.
	Format string `json:"format"`
	// Status is the status entry allocated to the credential.
	Status StatusRef `json:"status"`
	// KeyID is the local id of the signing key.
	KeyID string `json:"kid"`
	// Issued is the issuance time.
	Issued time.Time `json:"issued"`
	// Expires is the end of validity; zero means the credential does not expire.
	Expires time.Time `json:"expires,omitzero"`
	// Client names the API client that asked for it: the Principal of its API key (the id
	// of the first key of its rotation chain); "" for in-process callers.
	Client string `json:"client,omitempty"`
	// RegistryVersion is the trust registry version that answered the registry check before
	// signing (0: not checked).
	RegistryVersion uint64 `json:"registry_version,omitempty"`
	// RegistryWarning is set when a warn-mode registry check did not authorise the
	// credential: the issuer code and the registry's decision code.
	RegistryWarning string `json:"registry_warning,omitempty"`
	// Tenant is the tenant that issued it ("" for the default issuer). An Issuer only ever
	// acts on records of its own tenant.
	Tenant string `json:"tenant,omitempty"`
}

// KeyRecord is a signing key as stored: sealed private key and publication metadata.
type KeyRecord struct {
	// ID is the stable local key id (the RFC 7638 JWK thumbprint).
	ID string `json:"id"`
	// Alg is the JOSE algorithm.
	Alg string `json:"alg"`
	// Sealed is the key sealed with the configured secret (pkg/keys Sealer).
	Sealed []byte `json:"sealed"`
	// Created is the creation time.
	Created time.Time `json:"created"`
	// RetiredAt is set when a newer key took over; the key is then published only until
	// the last credential it signed expires.
	RetiredAt *time.Time `json:"retiredAt,omitempty"`
	// Tenant is the tenant the key signs for ("" for the default issuer).
	Tenant string `json:"tenant,omitempty"`
}

// APIKeyRecord is an issuance client's API key, stored as a SHA-256 hash only.
type APIKeyRecord struct {
	// ID is a short public identifier (the first characters of the token, safe to log).
	ID string `json:"id"`
	// Hash is SHA-256 of the whole token.
	Hash []byte `json:"hash"`
	// Scopes are the credential types the key may issue and manage; "*" means all.
	Scopes []string `json:"scopes"`
	// Name is a label for operators.
	Name string `json:"name,omitempty"`
	// Created is the creation time.
	Created time.Time `json:"created"`
	// Expires is when the key stops authenticating. A record stored before keys expired
	// (zero) expires DefaultAPIKeyTTL after Created.
	Expires time.Time `json:"expires,omitzero"`
	// Revoked is when an operator revoked the key (or rotated it); nil while it is live.
	Revoked *time.Time `json:"revoked,omitempty"`
	// Principal names the client the key belongs to: the id of the first key of a rotation
	// chain ("" means ID). Credentials are recorded under it, so a rotated key manages the
	// credentials its predecessors issued.
	Principal string `json:"principal,omitempty"`
	// Tenant is the tenant the key acts for ("" for the default issuer); it authenticates
	// only with that tenant's Issuer.
	Tenant string `json:"tenant,omitempty"`
}

// Store is the issuer's persistence. Every method is durable when it returns nil: a crash
// right after loses nothing it acknowledged. Implementations must be safe for concurrent use
// and pass issuer/storetest.
type Store interface {
	// Record durably logs an issued credential and its status allocation, and raises the
	// signing key's last-expiry mark. It fails with ErrIndexTaken when the status entry is
	// already allocated to another credential; recording the same record twice is allowed.
	Record(ctx context.Context, rec IssueRecord) error
	// Credential returns the log entry of a credential id.
	Credential(ctx context.Context, id string) (IssueRecord, bool, error)
	// SetState durably sets the state of a status entry.
	SetState(ctx context.Context, ref StatusRef, s State) error
	// LoadStatus calls fn for every allocated status entry with its current state.
	LoadStatus(ctx context.Context, fn func(ref StatusRef, s State) error) error
	// PutKey stores or replaces a key record.
	PutKey(ctx context.Context, k KeyRecord) error
	// Keys returns all key records, oldest first.
	Keys(ctx context.Context) ([]KeyRecord, error)
	// KeyExpiries returns, per key id, the latest Expires of the credentials it signed
	// (the zero time for a key whose credentials never expire is reported as MaxTime).
	KeyExpiries(ctx context.Context) (map[string]time.Time, error)
	// PutAPIKey stores an API key record, replacing the record of the same id.
	PutAPIKey(ctx context.Context, k APIKeyRecord) error
	// APIKeys returns all API key records.
	APIKeys(ctx context.Context) ([]APIKeyRecord, error)
	// Close releases the store.
	Close() error
}

// MaxTime stands for "never expires" in key expiry marks.
var MaxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Backupper is the optional interface of a Store that can take an online backup: a
// consistent copy of everything the store holds, taken while the issuer keeps issuing
// (issuer/boltstore implements it). Issuer.Backup is the one place that looks for it on
// Config.Store; with a Store that lacks it, Issuer.Backup fails with ErrBackupUnsupported.
//
// The copy must carry a RestoreMarker with takenAt (and the store's list generation), never
// written into the live data, so that an issuer started on a restored copy moves to a fresh
// status-list generation (see GenerationStore) and never hands out again an index the live
// issuer allocated after the copy.
type Backupper interface {
	// Backup writes the marked copy to an unlinked temporary file and returns it positioned at
	// its start, with its size and SHA-256; the caller closes it.
	Backup(ctx context.Context, takenAt time.Time) (*boltkv.Spool, error)
}

// Backup takes an online backup of the issuer's Store (see Backupper), marked as taken now.
func (is *Issuer) Backup(ctx context.Context) (*boltkv.Spool, error) {
	if is.tenant != "" {
		// A backup holds every tenant's records: only the deployment's operator takes one.
		return nil, errs.Errorf(CodeBackupUnsupported, "this issuer's store cannot take an online backup: tenant %s cannot back up the deployment", is.tenant)
	}
	b, ok := is.cfg.Store.(Backupper)
	if !ok {
		return nil, ErrBackupUnsupported
	}
	sp, err := b.Backup(ctx, is.cfg.Clock())
	if err != nil {
		return nil, errs.Wrap(CodeStore, "store failed: online backup", err)
	}
	return sp, nil
}
