package trustregistry

import "time"

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
	// TokenID is the public id of the account's token ("" when it has none or an old-format one).
	TokenID        string    `json:"token_id,omitempty"`
	TokenExpiresAt time.Time `json:"token_expires_at,omitzero"`
	// EnrolledBy are the accounts that created it or last reset its token, at EnrolledAt.
	EnrolledBy []string  `json:"enrolled_by,omitempty"`
	EnrolledAt time.Time `json:"enrolled_at,omitzero"`
}

// View returns the API view of a: everything but the token hash.
func (a Account) View() AccountView {
	return AccountView{Name: a.Name, Roles: a.Roles, Disabled: a.Disabled, CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy,
		TokenID: a.TokenID, TokenExpiresAt: a.TokenExpiresAt, EnrolledBy: a.EnrolledBy, EnrolledAt: a.EnrolledAt}
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

// AccountList is the answer of GET /admin/v1/accounts.
type AccountList struct {
	Items []AccountView `json:"items"`
}

// TokenList is the answer of GET /admin/v1/tokens: tokens without secrets.
type TokenList struct {
	Items []TokenInfo `json:"items"`
}

// RotateTokenRequest is the body of POST /admin/v1/accounts/{name}/token: the enrolment of a
// token the owner generated (idport admin token new). Only the owner may send it.
type RotateTokenRequest = Enrolment

// ProposeRequest is the body of POST /admin/v1/proposals and the change-set file of
// `idport admin propose` (one shape): the operations, why, and an optional Go duration
// ("48h") before the proposal expires.
type ProposeRequest struct {
	ChangeSet
	Reason string `json:"reason"`
	TTL    string `json:"ttl,omitempty"`
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

// DeltaList is the answer of GET /v1/snapshot/deltas: signed deltas (compact JWS, see Delta),
// one per version, in version order.
type DeltaList struct {
	Deltas []string `json:"deltas"`
}
