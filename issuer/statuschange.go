package issuer

import (
	"context"

	"github.com/idport/idport/pkg/errs"
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

// ChangeStatus revokes, suspends or reinstates a credential issued here, on behalf of the
// client that issued it (its API key, or a key rotated from it) or of an admin client. The change is
// durable when it returns nil. Revocation is final; suspending a suspended credential or
// reinstating a valid one changes nothing and succeeds.
func (is *Issuer) ChangeStatus(ctx context.Context, client *Client, credentialID string, action Action) (StatusResult, error) {
	if is.closed.Load() {
		return StatusResult{}, ErrClosed
	}
	if err := is.checkActing(client); err != nil {
		return StatusResult{}, err
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
		return StatusResult{}, errs.Errorf(CodeInvalidRequest, "invalid request: action %q (want revoke, suspend or reinstate)", action)
	}
	if credentialID == "" || len(credentialID) > MaxCredentialIDBytes {
		return StatusResult{}, errs.Errorf(CodeInvalidRequest, "invalid request: credentialId is required (at most %d bytes)", MaxCredentialIDBytes)
	}
	rec, ok, err := is.credential(ctx, credentialID)
	if err != nil {
		return StatusResult{}, err
	}
	if !ok {
		return StatusResult{}, errs.Errorf(CodeCredentialNotFound, "credential not found: %q", credentialID)
	}
	if !client.Manages(rec.Client) {
		return StatusResult{}, errs.Errorf(CodeForbidden, "forbidden: API key %s did not issue credential %s; only the key that issued it (or one with the %q scope) may change its status", client.ID, rec.ID, ScopeAdmin)
	}
	mu := &is.locks[rec.Status.Index%uint32(len(is.locks))]
	mu.Lock()
	defer mu.Unlock()
	cur, ok := is.status.state(rec.Status)
	if !ok {
		return StatusResult{}, errs.Errorf(CodeStore, "store failed: status entry %d/%d of %s is not loaded", rec.Status.Set, rec.Status.Index, rec.ID)
	}
	res := StatusResult{ID: rec.ID, Type: rec.Type, State: want.String(), Status: rec.Status}
	switch {
	case cur == want:
		return res, nil
	case cur == StateRevoked:
		return StatusResult{}, errs.Errorf(CodeStatusConflict, "status conflict: credential %s is revoked; revocation is final", rec.ID)
	}
	if err := is.cfg.Store.SetState(ctx, rec.Status, want); err != nil {
		return StatusResult{}, errs.Wrap(CodeStore, "store failed", err)
	}
	is.status.set(rec.Status, want)
	is.log.Info("credential status changed", "credential_id", rec.ID, "type", rec.Type, "from", cur.String(), "to", want.String(),
		"client", client.idOrEmpty())
	res.Changed = true
	return res, nil
}

// Status returns the state of a credential issued here.
func (is *Issuer) Status(ctx context.Context, credentialID string) (StatusResult, error) {
	rec, ok, err := is.credential(ctx, credentialID)
	if err != nil {
		return StatusResult{}, err
	}
	if !ok {
		return StatusResult{}, errs.Errorf(CodeCredentialNotFound, "credential not found: %q", credentialID)
	}
	st, _ := is.status.state(rec.Status)
	return StatusResult{ID: rec.ID, Type: rec.Type, State: st.String(), Status: rec.Status}, nil
}

// credential reads a credential's log entry; a record of another tenant is absent here.
func (is *Issuer) credential(ctx context.Context, id string) (IssueRecord, bool, error) {
	rec, ok, err := is.cfg.Store.Credential(ctx, id)
	if err != nil {
		return IssueRecord{}, false, errs.Wrap(CodeStore, "store failed", err)
	}
	if ok && rec.Tenant != is.tenant {
		is.log.Error("store returned a credential of another tenant", "credential_id", id, "record_tenant", rec.Tenant)
		return IssueRecord{}, false, nil
	}
	return rec, ok, nil
}

func (c *Client) idOrEmpty() string {
	if c == nil {
		return ""
	}
	return c.ID
}
