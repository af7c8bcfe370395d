package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
)

func (a *api) whoami(c *gin.Context) {
	acct := account(c)
	acct.TokenHash = ""
	c.JSON(http.StatusOK, acct)
}

func (a *api) listAccounts(c *gin.Context) {
	as, err := a.b.ListAccounts(c, account(c))
	if err != nil {
		writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": as})
}

// CreateAccountRequest is the body of POST /admin/v1/accounts.
type CreateAccountRequest struct {
	Name  string       `json:"name"`
	Roles []trustregistry.Role `json:"roles"`
}

// CreateAccountResponse carries the new account's token, shown once.
type CreateAccountResponse struct {
	Account trustregistry.Account `json:"account"`
	Token   string        `json:"token"`
}

func (a *api) createAccount(c *gin.Context) {
	var req CreateAccountRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		writeErr(c, err)
		return
	}
	actor := account(c)
	acct, tok, err := a.b.CreateAccount(c, &actor, req.Name, req.Roles)
	if err != nil {
		writeErr(c, err)
		return
	}
	acct.TokenHash = ""
	c.JSON(http.StatusCreated, CreateAccountResponse{Account: acct, Token: tok})
}

func (a *api) disableAccount(c *gin.Context) {
	acct, err := a.b.DisableAccount(c, account(c), c.Param("id"))
	if err != nil {
		writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, acct)
}

// POST /admin/v1/accounts/:id/token: a new token for the account (shown once); the old one stops working.
func (a *api) rotateToken(c *gin.Context) {
	tok, err := a.b.RotateToken(c, account(c), c.Param("id"))
	if err != nil {
		writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"account": c.Param("id"), "token": tok})
}

// ProposeBody is the body of POST /admin/v1/proposals.
type ProposeBody struct {
	ChangeSet trustregistry.ChangeSet `json:"change_set"`
	Reason    string          `json:"reason"`
	// TTL is an optional Go duration ("48h") before the proposal expires.
	TTL string `json:"ttl,omitempty"`
}

func (a *api) propose(c *gin.Context) {
	var req ProposeBody
	if err := httpx.DecodeJSON(c, &req); err != nil {
		writeErr(c, err)
		return
	}
	var ttl time.Duration
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d <= 0 || d > 90*24*time.Hour {
			writeErr(c, badParam("ttl %q must be a positive duration up to 2160h", req.TTL))
			return
		}
		ttl = d
	}
	p, err := a.b.Propose(c, account(c), req.ChangeSet, req.Reason, ttl)
	if err != nil {
		writeErr(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

func (a *api) listProposals(c *gin.Context) {
	after, limit, err := pageParams(c)
	if err != nil {
		writeErr(c, err)
		return
	}
	st := trustregistry.ProposalStatus(c.Query("status"))
	switch st {
	case "", trustregistry.ProposalPending, trustregistry.ProposalApplied, trustregistry.ProposalRejected, trustregistry.ProposalExpired:
	default:
		writeErr(c, badParam("status %q is not pending, applied, rejected or expired", st))
		return
	}
	ps, err := a.b.ListProposals(c, trustregistry.ProposalFilter{Status: st, After: after, Limit: limit})
	if err != nil {
		writeErr(c, err)
		return
	}
	next := ""
	if len(ps) == limit {
		next = ps[len(ps)-1].ID
	}
	if ps == nil {
		ps = []*trustregistry.Proposal{}
	}
	c.JSON(http.StatusOK, gin.H{"items": ps, "next": next})
}

func (a *api) getProposal(c *gin.Context) {
	p, err := a.b.GetProposal(c, c.Param("id"))
	if err != nil {
		writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// DecisionBody is the optional body of approve (comment) and reject (reason).
type DecisionBody struct {
	Comment string `json:"comment,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

func decodeOptional(c *gin.Context, v any) error {
	if c.Request.ContentLength == 0 && c.GetHeader("Content-Type") == "" {
		return nil
	}
	return httpx.DecodeJSON(c, v)
}

func (a *api) approve(c *gin.Context) {
	var body DecisionBody
	if err := decodeOptional(c, &body); err != nil {
		writeErr(c, err)
		return
	}
	p, err := a.b.Approve(c, account(c), c.Param("id"), body.Comment)
	if err != nil {
		writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (a *api) reject(c *gin.Context) {
	var body DecisionBody
	if err := decodeOptional(c, &body); err != nil {
		writeErr(c, err)
		return
	}
	p, err := a.b.Reject(c, account(c), c.Param("id"), body.Reason)
	if err != nil {
		writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (a *api) history(c *gin.Context) {
	k, ok := KindOfPath(c.Param("kind"))
	if !ok {
		writeErr(c, badParam("unknown kind %q", c.Param("kind")))
		return
	}
	h, err := a.b.History(c, k, c.Param("id"))
	if err != nil {
		writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"kind": k, "id": c.Param("id"), "revisions": h})
}

func (a *api) audit(c *gin.Context) {
	after, err := seqParam(c, "after")
	if err != nil {
		writeErr(c, err)
		return
	}
	limit := 1000
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			writeErr(c, badParam("limit %q must be from 1 to 10000", s))
			return
		}
		limit = n
	}
	recs, err := a.b.Audit(c, account(c), after, limit)
	if err != nil {
		writeErr(c, err)
		return
	}
	if recs == nil {
		recs = []trustregistry.AuditRecord{}
	}
	c.JSON(http.StatusOK, gin.H{"records": recs})
}

func (a *api) verifyAudit(c *gin.Context) {
	r, err := a.b.VerifyAudit(c, account(c))
	if err != nil {
		writeErr(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}

// POST /admin/v1/key/rotate (admin role): a new registry key, announced in a snapshot signed by
// the old one. Answers the new public JWK.
func (a *api) rotateKey(c *gin.Context) {
	jwk, err := a.b.RotateKeyAs(c, account(c))
	if err != nil {
		writeErr(c, err)
		return
	}
	c.Data(http.StatusOK, "application/jwk+json", jwk)
}
