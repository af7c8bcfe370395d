package trustregistry

import (
	"encoding/json"
	"time"
)

// Wire types of the regulators' admin API (/admin/v1), shared by the HTTP layer
// (trustregistry/httpapi) and its Go client (trustregistry/adminclient).

// AccountView is an account as the admin API shows it: the stored Account without its token
// hash.
type AccountView struct {
	Name      string    `json:"name"`
	Roles     []Role    `json:"roles"`
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
}

// View returns the API view of a: everything but the token hash.
func (a Account) View() AccountView {
	return AccountView{Name: a.Name, Roles: a.Roles, Disabled: a.Disabled, CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy}
}

// Has reports whether the account holds role r.
func (a AccountView) Has(r Role) bool {
	for _, x := range a.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// CreateAccountRequest is the body of POST /admin/v1/accounts.
type CreateAccountRequest struct {
	Name  string `json:"name"`
	Roles []Role `json:"roles"`
}

// CreateAccountResponse carries the new account and its token, shown once.
type CreateAccountResponse struct {
	Account AccountView `json:"account"`
	Token   string      `json:"token"`
}

// AccountList is the answer of GET /admin/v1/accounts.
type AccountList struct {
	Items []AccountView `json:"items"`
}

// TokenResponse is the answer of POST /admin/v1/accounts/{name}/token: a new token, shown once.
type TokenResponse struct {
	Account string `json:"account"`
	Token   string `json:"token"`
}

// ProposeRequest is the body of POST /admin/v1/proposals.
type ProposeRequest struct {
	ChangeSet ChangeSet `json:"change_set"`
	Reason    string    `json:"reason"`
	// TTL is an optional Go duration ("48h") before the proposal expires.
	TTL string `json:"ttl,omitempty"`
}

// DecisionRequest is the optional body of approve (Comment) and reject (Reason).
type DecisionRequest struct {
	Comment string `json:"comment,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ProposalPage is the answer of GET /admin/v1/proposals: Next is the cursor of the next page
// ("" on the last).
type ProposalPage struct {
	Items []*Proposal `json:"items"`
	Next  string      `json:"next"`
}

// HistoryResponse is the answer of GET /admin/v1/history/{kind}/{id}.
type HistoryResponse struct {
	Kind      Kind       `json:"kind"`
	ID        string     `json:"id"`
	Revisions []Revision `json:"revisions"`
}

// AuditPage is the answer of GET /admin/v1/audit.
type AuditPage struct {
	Records []AuditRecord `json:"records"`
}

// RotationList is the answer of GET /v1/snapshot/rotations: rotation announcements (compact
// JWS), oldest first.
type RotationList struct {
	Rotations []string `json:"rotations"`
}

// KeyRotation is the answer of POST /admin/v1/key/rotate: the new public JWK.
type KeyRotation = json.RawMessage
