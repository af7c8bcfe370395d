package trustregistry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// GovernanceChange is one governance operation in the audit log: the operation, its subject
// (an account name, a proposal id, "registry-key" or "policy") and the subject's audit view
// before and after (accounts show their token id and fingerprint, never a token).
type GovernanceChange struct {
	Op      OpKind          `json:"op"`
	Subject string          `json:"subject"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
}

// AuditRecord is one applied change set in the append-only, hash-chained audit log. Record Seq
// n applies registry version n.
type AuditRecord struct {
	Seq        uint64    `json:"seq"`
	Version    uint64    `json:"version"`
	ProposalID string    `json:"proposal_id"`
	Proposer   string    `json:"proposer"`
	Approvers  []string  `json:"approvers"`
	ProposedAt time.Time `json:"proposed_at"`
	AppliedAt  time.Time `json:"applied_at"`
	Reason     string    `json:"reason"`
	Diff       []Change  `json:"diff"`
	// Governance lists the governance operations of the record (accounts, tokens, registry
	// key, policy, withdrawn proposals); records of registry changes only have none.
	Governance []GovernanceChange `json:"governance,omitempty"`
	// Proposals are the proposal lifecycle changes of the record (proposalcheck.go): subject a
	// proposal id, After its ledger entry (status and digest of the proposal as written).
	Proposals []GovernanceChange `json:"proposals,omitempty"`
	// Approvals are the approvals that reached the quorum, with their comments.
	Approvals []Approval `json:"approvals,omitempty"`
	// ProposalsAudited marks a record of a registry that records every proposal's lifecycle in
	// the chain (proposalcheck.go): from the first such record on, every stored proposal must be
	// the one its last lifecycle change wrote.
	ProposalsAudited bool `json:"proposals_audited,omitempty"`
	// StateDigest is the digest of the registry state this record leaves (see Digest).
	StateDigest string `json:"state_digest,omitempty"`
	PrevHash    string `json:"prev_hash"`
	Hash        string `json:"hash"`
	// Checkpoint is the registry's signed Checkpoint of this record (compact JWS). It signs the
	// record's hash, so it is not part of it.
	Checkpoint string `json:"checkpoint,omitempty"`
}

// Lifecycle reports whether r only records proposal lifecycle changes (a proposal filed,
// approved short of the quorum, rejected, withdrawn, expired or closed as stale): it changes no
// registry object, account, key or policy, and moves the version only.
func (r AuditRecord) Lifecycle() bool {
	return len(r.Diff) == 0 && len(r.Governance) == 0 && len(r.Proposals) > 0
}

// GenesisHash is the PrevHash of the first record.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the hex SHA-256 of the record's canonical JSON with Hash and Checkpoint
// left empty.
// The canonical JSON is encoding/json of this fixed struct (fields in declaration order, map
// keys sorted, RawMessage compacted), which includes PrevHash: that links the chain.
func (r AuditRecord) ComputeHash() (string, error) {
	r.Hash, r.Checkpoint = "", ""
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encoding audit record %d: %w", r.Seq, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Chain links r after prev (nil for the first record): it sets Seq, PrevHash and Hash.
func Chain(prev *AuditRecord, r *AuditRecord) error {
	r.Seq, r.PrevHash = 1, GenesisHash
	if prev != nil {
		r.Seq, r.PrevHash = prev.Seq+1, prev.Hash
	}
	h, err := r.ComputeHash()
	if err != nil {
		return err
	}
	r.Hash = h
	return nil
}

// AuditError reports the first record (1-based position in the log) at which the chain breaks.
type AuditError struct {
	Record int
	Reason string
}

// Error implements error.
func (e *AuditError) Error() string {
	return fmt.Sprintf("audit record %d: %s", e.Record, e.Reason)
}

// Unwrap returns ErrAuditBroken.
func (e *AuditError) Unwrap() error { return ErrAuditBroken }

// AuditVerifier checks a log record by record, so a backend can stream it.
type AuditVerifier struct {
	n    int
	prev *AuditRecord
}

// Next checks the next record in log order.
func (v *AuditVerifier) Next(r AuditRecord) error {
	v.n++
	want := uint64(v.n)
	if r.Seq != want {
		return &AuditError{Record: v.n, Reason: fmt.Sprintf("sequence %d where %d was expected (record removed or reordered)", r.Seq, want)}
	}
	if r.Version != want {
		return &AuditError{Record: v.n, Reason: fmt.Sprintf("applies version %d where %d was expected", r.Version, want)}
	}
	prevHash := GenesisHash
	if v.prev != nil {
		prevHash = v.prev.Hash
	}
	if r.PrevHash != prevHash {
		return &AuditError{Record: v.n, Reason: "previous-hash link does not match the record before it (record removed, reordered or altered)"}
	}
	h, err := r.ComputeHash()
	if err != nil {
		return &AuditError{Record: v.n, Reason: err.Error()}
	}
	if h != r.Hash {
		return &AuditError{Record: v.n, Reason: "content does not match its hash (record altered)"}
	}
	v.prev = &r
	return nil
}

// Finish checks that the log ends at registry version head (a removed tail record shows here).
func (v *AuditVerifier) Finish(head uint64) error {
	if uint64(v.n) != head {
		return &AuditError{Record: v.n + 1, Reason: fmt.Sprintf("log ends at record %d but the registry is at version %d (records removed)", v.n, head)}
	}
	return nil
}

// Count returns how many records were checked.
func (v *AuditVerifier) Count() int { return v.n }

// LastHash returns the hash of the last checked record (GenesisHash before any).
func (v *AuditVerifier) LastHash() string {
	if v.prev == nil {
		return GenesisHash
	}
	return v.prev.Hash
}

// VerifyAudit checks a whole log against the registry head version.
func VerifyAudit(records []AuditRecord, head uint64) error {
	var v AuditVerifier
	for _, r := range records {
		if err := v.Next(r); err != nil {
			return err
		}
	}
	return v.Finish(head)
}

// VerifyStoreAudit streams the audit log of s through an AuditVerifier and checks it ends at the
// store's version. It returns the number of records checked and the hash of the last one.
func VerifyStoreAudit(ctx context.Context, s Store) (int, string, error) {
	head, err := s.Version(ctx)
	if err != nil {
		return 0, "", err
	}
	var v AuditVerifier
	var after uint64
	for {
		recs, err := s.Audit(ctx, after, 1000)
		if err != nil {
			// Find the exact undecodable record by reading one at a time.
			for {
				one, err1 := s.Audit(ctx, after, 1)
				if err1 != nil {
					return v.Count(), v.LastHash(), &AuditError{Record: v.Count() + 1, Reason: err1.Error()}
				}
				if len(one) == 0 {
					return v.Count(), v.LastHash(), &AuditError{Record: v.Count() + 1, Reason: err.Error()}
				}
				if err := v.Next(one[0]); err != nil {
					return v.Count(), v.LastHash(), err
				}
				after = one[0].Seq
			}
		}
		for _, r := range recs {
			if err := v.Next(r); err != nil {
				return v.Count(), v.LastHash(), err
			}
		}
		if len(recs) < 1000 {
			break
		}
		after = recs[len(recs)-1].Seq
	}
	return v.Count(), v.LastHash(), v.Finish(head)
}

// AuditReport is the outcome of an audit chain check.
type AuditReport struct {
	OK       bool   `json:"ok"`
	Records  int    `json:"records"`
	Version  uint64 `json:"version"`
	LastHash string `json:"last_hash"`
	// BrokenAt is the 1-based record number where the chain breaks (0 when OK).
	BrokenAt int `json:"broken_at,omitempty"`
	// Object names the first stored object ("kind/id") that differs from the audit chain.
	Object string `json:"object,omitempty"`
	Error  string `json:"error,omitempty"`
	// StateDigest is the digest of the state the chain replays to.
	StateDigest string `json:"state_digest,omitempty"`
	// CheckpointSeq is the record covered by the registry's signed checkpoint, when checked
	// (0: not checked, e.g. offline without the registry key).
	CheckpointSeq uint64 `json:"checkpoint_seq,omitempty"`
}
