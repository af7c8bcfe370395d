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
	c.JSON(http.StatusOK, account(c).View())
}

func (a *api) listAccounts(c *gin.Context) {
	as, err := a.svc.ListAccounts(c, account(c))
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusOK, trustregistry.AccountList{Items: as})
}

// POST /admin/v1/accounts/:id/token: the owner replaces their own token with one they
// generated (body: its enrolment); nobody else's token can be set here.
func (a *api) rotateOwnToken(c *gin.Context) {
	var req trustregistry.RotateTokenRequest
	if err := httpx.DecodeJSONStrict(c, &req); err != nil {
		statuses.Write(c, err)
		return
	}
	ti, err := a.svc.RotateOwnToken(c, account(c), c.Param("id"), req)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusOK, ti)
}

// DELETE /admin/v1/accounts/:id/token: the owner revokes their own token.
func (a *api) revokeOwnToken(c *gin.Context) {
	if err := a.svc.RevokeOwnToken(c, account(c), c.Param("id")); err != nil {
		statuses.Write(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *api) listTokens(c *gin.Context) {
	ts, err := a.svc.ListTokens(c, account(c))
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusOK, trustregistry.TokenList{Items: ts})
}

func (a *api) policy(c *gin.Context) {
	c.JSON(http.StatusOK, a.svc.Policy())
}

func (a *api) propose(c *gin.Context) {
	var req trustregistry.ProposeRequest
	if err := httpx.DecodeJSONStrict(c, &req); err != nil {
		statuses.Write(c, err)
		return
	}
	var ttl time.Duration
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d <= 0 || d > 90*24*time.Hour {
			statuses.Write(c, badParam("ttl %q must be a positive duration up to 2160h", req.TTL))
			return
		}
		ttl = d
	}
	p, err := a.svc.Propose(c, account(c), req.ChangeSet, req.Reason, ttl)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

func (a *api) listProposals(c *gin.Context) {
	after, limit, err := pageParams(c)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	st := trustregistry.ProposalStatus(c.Query("status"))
	switch st {
	case "", trustregistry.ProposalPending, trustregistry.ProposalApplied, trustregistry.ProposalRejected, trustregistry.ProposalExpired,
		trustregistry.ProposalWithdrawn, trustregistry.ProposalStale:
	default:
		statuses.Write(c, badParam("status %q is not pending, applied, rejected, expired, withdrawn or stale", st))
		return
	}
	ps, err := a.svc.ListProposals(c, trustregistry.ProposalFilter{Status: st, After: after, Limit: limit})
	if err != nil {
		statuses.Write(c, err)
		return
	}
	next := ""
	if len(ps) == limit {
		next = ps[len(ps)-1].ID
	}
	if ps == nil {
		ps = []*trustregistry.Proposal{}
	}
	c.JSON(http.StatusOK, trustregistry.ProposalPage{Items: ps, Next: next})
}

func (a *api) getProposal(c *gin.Context) {
	p, err := a.svc.ProposalDetail(c, c.Param("id"))
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func decodeOptional(c *gin.Context, v any) error {
	if c.Request.ContentLength == 0 && c.GetHeader("Content-Type") == "" {
		return nil
	}
	return httpx.DecodeJSONStrict(c, v)
}

func (a *api) approve(c *gin.Context) {
	var body trustregistry.DecisionRequest
	if err := decodeOptional(c, &body); err != nil {
		statuses.Write(c, err)
		return
	}
	p, err := a.svc.Approve(c, account(c), c.Param("id"), body.Comment)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (a *api) reject(c *gin.Context) {
	var body trustregistry.DecisionRequest
	if err := decodeOptional(c, &body); err != nil {
		statuses.Write(c, err)
		return
	}
	p, err := a.svc.Reject(c, account(c), c.Param("id"), body.Reason)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (a *api) history(c *gin.Context) {
	k, ok := KindOfPath(c.Param("kind"))
	if !ok {
		statuses.Write(c, badParam("unknown kind %q", c.Param("kind")))
		return
	}
	h, err := a.svc.History(c, k, c.Param("id"))
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusOK, trustregistry.HistoryResponse{Kind: k, ID: c.Param("id"), Revisions: h})
}

func (a *api) audit(c *gin.Context) {
	after, err := seqParam(c, "after")
	if err != nil {
		statuses.Write(c, err)
		return
	}
	limit := 1000
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10000 {
			statuses.Write(c, badParam("limit %q must be from 1 to 10000", s))
			return
		}
		limit = n
	}
	recs, err := a.svc.Audit(c, account(c), after, limit)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	if recs == nil {
		recs = []trustregistry.AuditRecord{}
	}
	c.JSON(http.StatusOK, trustregistry.AuditPage{Records: recs})
}

func (a *api) verifyAudit(c *gin.Context) {
	r, err := a.svc.VerifyAudit(c, account(c))
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}
