package trustregistry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/idport/idport/pkg/errs"
)

// An account's passkeys (the console's second factor) are part of the account: the credential
// ids and public keys are in the audit view of the account (auditJSON), so every enrolment and
// removal is a governance change of the audit chain written with the account in one commit,
// checkpointed like any other, and the integrity check compares the stored passkeys with the
// last write of the chain like the rest of the account. Someone holding registry.db without the
// key secret can neither remove an account's passkeys nor add their own. What the chain does not
// cover is the console's bookkeeping of each credential (Passkey.Credential: sign counter,
// flags), rewritten at every passkey sign-in; the console takes a credential's id and public
// key from the covered fields, never from that record.

// MaxPasskeys bounds the passkeys of one account.
const MaxPasskeys = 16

// Passkey is a WebAuthn credential of an account.
type Passkey struct {
	// ID is the credential id and PublicKey the credential's COSE public key: both are covered
	// by the audit chain.
	ID        []byte `json:"id"`
	PublicKey []byte `json:"public_key"`
	// Credential is the console's own record of the credential (sign counter, flags,
	// attestation), opaque to the registry and not covered by the audit chain.
	Credential json.RawMessage `json:"credential,omitempty"`
}

// passkeyRef is a passkey as the audit log records it: its id and the SHA-256 of its public key.
type passkeyRef struct {
	ID        string `json:"id"`
	KeySHA256 string `json:"key_sha256"`
}

func passkeyRefs(ps []Passkey) []passkeyRef {
	if len(ps) == 0 {
		return nil
	}
	out := make([]passkeyRef, len(ps))
	for i, p := range ps {
		sum := sha256.Sum256(p.PublicKey)
		out[i] = passkeyRef{ID: base64.RawURLEncoding.EncodeToString(p.ID), KeySHA256: hex.EncodeToString(sum[:])}
	}
	return out
}

// Passkeys returns the passkeys enrolled for account name.
func (s *Service) Passkeys(ctx context.Context, name string) ([]Passkey, error) {
	if err := s.brokenErr(); err != nil {
		return nil, err
	}
	a, err := s.store.GetAccount(ctx, name)
	if err != nil {
		return nil, err
	}
	return a.Passkeys, nil
}

// AddPasskey enrols p for account name, its owner (the caller has authenticated the owner).
// Audited as an add_own_passkey governance change; no approval is needed, as a second factor
// only ever adds to what signing in takes.
func (s *Service) AddPasskey(ctx context.Context, name string, p Passkey) error {
	if len(p.ID) == 0 || len(p.PublicKey) == 0 {
		return verr(ErrInvalid, "passkey", "a passkey needs its credential id and public key")
	}
	if len(p.Credential) > 0 && !json.Valid(p.Credential) {
		return verr(ErrInvalid, "passkey.credential", "the credential record is not JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.ownerLocked(ctx, name)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(a.Passkeys, func(q Passkey) bool { return bytes.Equal(q.ID, p.ID) }) {
		return errs.Errorf(CodeAlreadyExists, "account %q already has this passkey: %w", name, ErrExists)
	}
	if len(a.Passkeys) >= MaxPasskeys {
		return verr(ErrInvalid, "passkey", "account %q has %d passkeys, the most an account keeps", name, MaxPasskeys)
	}
	before := a.auditJSON()
	a.Passkeys = append(slices.Clone(a.Passkeys), p)
	return s.commitGovernanceLocked(ctx, name, "passkey registered by its owner", AccountWrite{Account: a},
		GovernanceChange{Op: OpAddOwnPasskey, Subject: name, Before: before, After: a.auditJSON()})
}

// RemovePasskey removes the passkey with credential id from account name, its owner. Audited
// as a remove_own_passkey governance change.
func (s *Service) RemovePasskey(ctx context.Context, name string, id []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.ownerLocked(ctx, name)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(a.Passkeys, func(q Passkey) bool { return bytes.Equal(q.ID, id) })
	if i < 0 {
		return errs.Errorf(CodeNotFound, "account %q has no such passkey: %w", name, ErrNotFound)
	}
	before := a.auditJSON()
	a.Passkeys = slices.Delete(slices.Clone(a.Passkeys), i, i+1)
	if len(a.Passkeys) == 0 {
		a.Passkeys = nil
	}
	return s.commitGovernanceLocked(ctx, name, "passkey removed by its owner", AccountWrite{Account: a},
		GovernanceChange{Op: OpRemoveOwnPasskey, Subject: name, Before: before, After: a.auditJSON()})
}

// PasskeyCurrent reports whether the passkey with credential id is still one of a's passkeys:
// not removed by its owner nor by a reset_account_passkeys operation since a console sign-in
// completed with it.
func (s *Service) PasskeyCurrent(a Account, id []byte) bool {
	return len(id) > 0 && slices.ContainsFunc(a.Passkeys, func(p Passkey) bool { return bytes.Equal(p.ID, id) })
}

// RecordPasskeyUse stores the console's record of an enrolled passkey after a sign-in with it
// (its new sign counter). The id and public key must be those enrolled; nothing is audited.
func (s *Service) RecordPasskeyUse(ctx context.Context, name string, p Passkey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.brokenErr(); err != nil {
		return err
	}
	a, err := s.store.GetAccount(ctx, name)
	if err != nil {
		return err
	}
	if len(p.Credential) > 0 && !json.Valid(p.Credential) {
		return verr(ErrInvalid, "passkey.credential", "the credential record is not JSON")
	}
	i := slices.IndexFunc(a.Passkeys, func(q Passkey) bool { return bytes.Equal(q.ID, p.ID) })
	if i < 0 || !bytes.Equal(a.Passkeys[i].PublicKey, p.PublicKey) {
		return errs.Errorf(CodeNotFound, "account %q has no such passkey: %w", name, ErrNotFound)
	}
	a.Passkeys = slices.Clone(a.Passkeys)
	a.Passkeys[i].Credential = p.Credential
	if err := s.store.PutAccount(ctx, a, false); err != nil {
		return fmt.Errorf("recording the use of a passkey of %s: %w", name, err)
	}
	return nil
}

// ownerLocked loads account name for a change by its owner: enabled, on a registry that serves.
func (s *Service) ownerLocked(ctx context.Context, name string) (Account, error) {
	if err := s.brokenErr(); err != nil {
		return Account{}, err
	}
	a, err := s.store.GetAccount(ctx, name)
	if err != nil {
		return Account{}, err
	}
	if a.Disabled {
		return Account{}, errs.Errorf(CodeUnauthorized, "account %q is disabled: %w", name, ErrUnauthenticated)
	}
	return a, nil
}

// planPasskeyReset checks reset_account_passkeys operation i (op) proposed by proposer and
// loads the account it targets: an account never resets its own passkeys by proposal (its
// owner removes them in the console, signed in with one of them), and there must be passkeys to
// remove.
func planPasskeyReset(i int, op Op, proposer string, load func(int, string) (*Account, error)) (*Account, error) {
	if op.Reason == "" {
		return nil, invalidf(i, "reason", "a reason is required to %s", op.Op)
	}
	if op.ID == proposer {
		return nil, errs.Errorf(CodeSeparationOfDuties, "ops[%d]: account %q may not propose removing its own passkeys; another admin proposes it: %w",
			i, op.ID, ErrSeparationOfDuties).WithField(FieldPath, fmt.Sprintf("ops[%d].id", i))
	}
	a, err := load(i, op.ID)
	if err != nil {
		return nil, err
	}
	if len(a.Passkeys) == 0 {
		return nil, verr(ErrTransition, fmt.Sprintf("ops[%d].id", i), "account %q has no passkeys", op.ID)
	}
	return a, nil
}

// PasskeyReset is what a reset_account_passkeys operation of a proposal does: the passkeys of
// Account it removes (pending) or removed (applied).
type PasskeyReset struct {
	Account string `json:"account"`
	Removed int    `json:"removed"`
}

// passkeyResets returns the passkey resets of cs as the governance changes (planned or
// audited) write them.
func passkeyResets(cs ChangeSet, changes []GovernanceChange) []PasskeyReset {
	var out []PasskeyReset
	for _, op := range cs.Ops {
		if op.Op != OpResetAccountPasskeys {
			continue
		}
		for _, ch := range changes {
			if ch.Subject == op.ID && isAccountOp(ch.Op) {
				out = append(out, PasskeyReset{Account: op.ID, Removed: max(0, countPasskeys(ch.Before)-countPasskeys(ch.After))})
				break
			}
		}
	}
	return out
}

// countPasskeys counts the passkeys of an account's audit view.
func countPasskeys(view json.RawMessage) int {
	var a struct {
		Passkeys []passkeyRef `json:"passkeys"`
	}
	if len(view) == 0 || json.Unmarshal(view, &a) != nil {
		return 0
	}
	return len(a.Passkeys)
}
