package core

import (
	"context"
	"fmt"
)

// Action is a status change.
type Action string

// Status actions.
const (
	ActionRevoke    Action = "revoke"
	ActionSuspend   Action = "suspend"
	ActionReinstate Action = "reinstate"
)

// StatusResult reports a credential's status after a change.
type StatusResult struct {
	// ID is the credential id.
	ID string `json:"credentialId"`
	// Type is its credential type.
	Type string `json:"type"`
	// State is the new state.
	State string `json:"status"`
	// Changed is false when the credential already was in that state.
	Changed bool `json:"changed"`
	// Status is its status entry.
	Status StatusRef `json:"statusEntry"`
}

// ChangeStatus revokes, suspends or reinstates a credential issued here. The change is
// durable when it returns nil. Revocation is final; suspending a suspended credential or
// reinstating a valid one changes nothing and succeeds.
func (is *Issuer) ChangeStatus(ctx context.Context, client *Client, credentialID string, action Action) (StatusResult, error) {
	if is.closed.Load() {
		return StatusResult{}, ErrClosed
	}
	var want State
	switch action {
	case ActionRevoke:
		want = StateRevoked
	case ActionSuspend:
		want = StateSuspended
	case ActionReinstate:
		want = StateValid
	default:
		return StatusResult{}, fmt.Errorf("%w: action %q (want revoke, suspend or reinstate)", ErrInvalidRequest, action)
	}
	if credentialID == "" || len(credentialID) > 2048 {
		return StatusResult{}, fmt.Errorf("%w: credentialId is required (at most 2048 bytes)", ErrInvalidRequest)
	}
	rec, ok, err := is.cfg.Store.Credential(ctx, credentialID)
	if err != nil {
		return StatusResult{}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if !ok {
		return StatusResult{}, fmt.Errorf("%w: %q", ErrCredentialNotFound, credentialID)
	}
	if !client.Allows(rec.Type) {
		return StatusResult{}, fmt.Errorf("%w: API key %s may not manage %s credentials", ErrScope, client.ID, rec.Type)
	}
	mu := &is.locks[rec.Status.Index%uint32(len(is.locks))]
	mu.Lock()
	defer mu.Unlock()
	cur, ok := is.status.state(rec.Status)
	if !ok {
		return StatusResult{}, fmt.Errorf("%w: status entry %d/%d of %s is not loaded", ErrStore, rec.Status.Set, rec.Status.Index, rec.ID)
	}
	res := StatusResult{ID: rec.ID, Type: rec.Type, State: want.String(), Status: rec.Status}
	switch {
	case cur == want:
		return res, nil
	case cur == StateRevoked:
		return StatusResult{}, fmt.Errorf("%w: credential %s is revoked; revocation is final", ErrStatusConflict, rec.ID)
	}
	if err := is.cfg.Store.SetState(ctx, rec.Status, want); err != nil {
		return StatusResult{}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	is.status.set(rec.Status, want)
	is.log.Info("credential status changed", "credential_id", rec.ID, "type", rec.Type, "from", cur.String(), "to", want.String(),
		"client", client.idOrEmpty())
	res.Changed = true
	return res, nil
}

// Status returns the state of a credential issued here.
func (is *Issuer) Status(ctx context.Context, credentialID string) (StatusResult, error) {
	rec, ok, err := is.cfg.Store.Credential(ctx, credentialID)
	if err != nil {
		return StatusResult{}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	if !ok {
		return StatusResult{}, fmt.Errorf("%w: %q", ErrCredentialNotFound, credentialID)
	}
	st, _ := is.status.state(rec.Status)
	return StatusResult{ID: rec.ID, Type: rec.Type, State: st.String(), Status: rec.Status}, nil
}

func (c *Client) idOrEmpty() string {
	if c == nil {
		return ""
	}
	return c.ID
}
