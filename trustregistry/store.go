package trustregistry

import (
	"context"
	"time"
)

// Role is an admin account's role.
type Role string

// Roles. Proposer and approver make and check registry change sets; admin proposes and
// approves governance operations (accounts, tokens, registry key, policy); auditor reads the
// audit log.
const (
	RoleProposer Role = "proposer"
	RoleApprover Role = "approver"
	RoleAuditor  Role = "auditor"
	RoleAdmin    Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleProposer || r == RoleApprover || r == RoleAuditor || r == RoleAdmin
}

// Account is a regulator's admin account. Only the SHA-256 of its bearer token (the token's
// enrolment fingerprint) is stored, with the token's public id and lifetime.
type Account struct {
	Name      string    `json:"name"`
	Roles     []Role    `json:"roles"`
	TokenHash string    `json:"token_hash,omitempty"`
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	// TokenID is the public id of the current token ("" for a token of the old format or none).
	TokenID string `json:"token_id,omitempty"`
	// TokenCreatedAt and TokenExpiresAt bound the current token (zero expiry: created before
	// tokens expired; it then expires one token TTL after TokenCreatedAt or CreatedAt).
	TokenCreatedAt time.Time `json:"token_created_at,omitzero"`
	TokenExpiresAt time.Time `json:"token_expires_at,omitzero"`
	// TokenLastUsedAt is when the current token last authenticated (to the minute).
	TokenLastUsedAt time.Time `json:"token_last_used_at,omitzero"`
	// EnrolledBy are the proposer and approvers of the proposal that created the account or
	// last reset its token, EnrolledAt when it applied: they may not approve this account's
	// proposals during the cooling-off period.
	EnrolledBy []string  `json:"enrolled_by,omitempty"`
	EnrolledAt time.Time `json:"enrolled_at,omitzero"`
	// Passkeys are the account's WebAuthn credentials, the console's second factor (see
	// passkeys.go: their ids and public keys are covered by the audit chain).
	Passkeys []Passkey `json:"passkeys,omitempty"`
}

// Has reports whether the account holds role r.
func (a *Account) Has(r Role) bool {
	for _, x := range a.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// ProposalStatus is the lifecycle state of a proposal.
type ProposalStatus string

// Proposal states.
const (
	ProposalPending  ProposalStatus = "pending"
	ProposalApplied  ProposalStatus = "applied"
	ProposalRejected ProposalStatus = "rejected"
	ProposalExpired  ProposalStatus = "expired"
	// ProposalWithdrawn: the proposer's account was disabled while the proposal was pending.
	ProposalWithdrawn ProposalStatus = "withdrawn"
	// ProposalStale: an object it touches changed after it was proposed; propose again.
	ProposalStale ProposalStatus = "stale"
)

// ObjectRevision names an object and its revision: the registry version that last changed it
// (0 = absent).
type ObjectRevision struct {
	Kind     Kind   `json:"kind"`
	ID       string `json:"id"`
	Revision uint64 `json:"revision"`
}

// Approval is one account's approval of a proposal.
type Approval struct {
	Account string    `json:"account"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment,omitempty"`
}

// Proposal is a change set awaiting maker-checker approval.
type Proposal struct {
	ID             string         `json:"id"`
	ChangeSet      ChangeSet      `json:"change_set"`
	Reason         string         `json:"reason"`
	Proposer       string         `json:"proposer"`
	CreatedAt      time.Time      `json:"created_at"`
	ExpiresAt      time.Time      `json:"expires_at"`
	Status         ProposalStatus `json:"status"`
	Approvals      []Approval     `json:"approvals,omitempty"`
	DecidedBy      string         `json:"decided_by,omitempty"`
	DecidedAt      *time.Time     `json:"decided_at,omitempty"`
	DecisionReason string         `json:"decision_reason,omitempty"`
	BaseVersion    uint64         `json:"base_version"`
	// BaseRevisions are the revisions of the objects the change set touches as proposed;
	// approval applies it only when none changed since (else the proposal closes as stale).
	BaseRevisions  []ObjectRevision `json:"base_revisions,omitempty"`
	AppliedVersion uint64           `json:"applied_version,omitempty"`
	// Rev is the store revision of this record, for compare-and-swap updates.
	Rev uint64 `json:"rev"`
}

// ProposalFilter selects proposals to list.
type ProposalFilter struct {
	Status ProposalStatus
	After  string // id cursor
	Limit  int
}

// Commit is one atomic write: the new state's changed objects become current and enter the
// history, the audit record is chained after the last one, the registry version moves from
// BaseVersion to BaseVersion+1, and the proposal (if any) is stored as applied.
type Commit struct {
	BaseVersion uint64
	RecordedAt  time.Time
	Changes     []Change
	Audit       AuditRecord // Seq, PrevHash and Hash are set by the store via Chain
	// Proposal is optional: stored with Rev+1 when its Rev matches, or created with Rev 1 when
	// its Rev is 0 (ErrExists when present).
	Proposal *Proposal
	// Closed are further proposals the commit closes (withdrawn), stored like Proposal.
	Closed []*Proposal
	// Accounts are written in the same transaction (governance operations): each is created
	// (Create: ErrExists when present) or replaced (ErrNotFound when absent), with its token
	// index.
	Accounts []AccountWrite
}

// AccountWrite is one account written by a Commit.
type AccountWrite struct {
	Account Account
	Create  bool
}

// IdempotencyRecord remembers the answer to a write sent with an Idempotency-Key.
type IdempotencyRecord struct {
	Key         string `json:"key"`
	Account     string `json:"account"`
	RequestHash string `json:"request_hash"`
	// Status 0 marks a request in progress (the key is reserved, the answer not yet known).
	Status    int       `json:"status"`
	Body      []byte    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// SnapshotRecord is a signed snapshot as published.
type SnapshotRecord struct {
	Sequence uint64 `json:"sequence"`
	Version  uint64 `json:"version"`
	JWS      []byte `json:"jws"`
	// Rotation marks a snapshot announcing a new registry key (signed by the old one).
	Rotation bool `json:"rotation,omitempty"`
}

// Store persists the registry. Every method is safe for concurrent use. Writes that must not
// interleave use compare-and-swap (versions, revisions) so that a backend over etcd can map each
// call onto one transaction; ErrVersionConflict reports a lost race.
type Store interface {
	// Version returns the current registry version (0 when empty).
	Version(ctx context.Context) (uint64, error)
	// LoadState returns the current state.
	LoadState(ctx context.Context) (*State, error)
	// StateAt rebuilds the state at an earlier version from history; ErrNotFound past the head.
	StateAt(ctx context.Context, version uint64) (*State, error)
	// Apply writes c atomically; ErrVersionConflict when the head is not c.BaseVersion.
	// It returns the chained audit record.
	Apply(ctx context.Context, c Commit) (AuditRecord, error)
	// History returns every revision of one object, oldest first.
	History(ctx context.Context, kind Kind, id string) ([]Revision, error)
	// Audit returns up to limit records with Seq > after, in order.
	Audit(ctx context.Context, after uint64, limit int) ([]AuditRecord, error)

	// CreateProposal stores a new proposal (ErrExists on a duplicate id) with Rev 1.
	CreateProposal(ctx context.Context, p *Proposal) error
	// GetProposal returns one proposal or ErrNotFound.
	GetProposal(ctx context.Context, id string) (*Proposal, error)
	// ListProposals lists proposals by id order.
	ListProposals(ctx context.Context, f ProposalFilter) ([]*Proposal, error)
	// UpdateProposal replaces p when the stored Rev equals p.Rev (else ErrVersionConflict) and
	// increments p.Rev.
	UpdateProposal(ctx context.Context, p *Proposal) error

	// PutAccount creates (create=true, ErrExists if present) or replaces an account.
	PutAccount(ctx context.Context, a Account, create bool) error
	// GetAccount returns an account by name or ErrNotFound.
	GetAccount(ctx context.Context, name string) (Account, error)
	// AccountByTokenHash returns the account whose token hash is h, or ErrNotFound.
	AccountByTokenHash(ctx context.Context, h string) (Account, error)
	// ListAccounts returns every account by name.
	ListAccounts(ctx context.Context) ([]Account, error)

	// PutIdempotency stores r unless its key exists (then ErrExists).
	PutIdempotency(ctx context.Context, r IdempotencyRecord) error
	// GetIdempotency returns the record of a key or ErrNotFound.
	GetIdempotency(ctx context.Context, key string) (IdempotencyRecord, error)
	// FinishIdempotency replaces a reserved record (Status 0) with the answer; ErrNotFound when
	// absent, ErrVersionConflict when it holds an answer already.
	FinishIdempotency(ctx context.Context, r IdempotencyRecord) error
	// DeleteIdempotency removes a key (a reservation whose request failed).
	DeleteIdempotency(ctx context.Context, key string) error
	// PurgeIdempotency removes records created before t.
	PurgeIdempotency(ctx context.Context, before time.Time) error

	// PutSnapshot stores a snapshot as the latest (and keeps rotation announcements).
	PutSnapshot(ctx context.Context, s SnapshotRecord) error
	// LatestSnapshot returns the latest snapshot or ErrNotFound.
	LatestSnapshot(ctx context.Context) (SnapshotRecord, error)
	// Rotations returns every rotation announcement, oldest first.
	Rotations(ctx context.Context) ([]SnapshotRecord, error)

	// PutSecret stores an opaque (sealed) blob under a name; GetSecret returns it or ErrNotFound.
	PutSecret(ctx context.Context, name string, b []byte) error
	GetSecret(ctx context.Context, name string) ([]byte, error)

	// Close releases the store.
	Close() error
}
