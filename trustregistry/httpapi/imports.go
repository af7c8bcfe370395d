package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/importer"
)

// importRoutes mounts the import and re-check routes on the admin group.
func (a *api) importRoutes(adm *gin.RouterGroup) {
	adm.POST("/imports/federation", importHandler(a, func(ctx context.Context, im *importer.Importer, st *trustregistry.State, req *importer.FederationRequest, by string) (*importer.Result, string, error) {
		r, err := im.Federation(ctx, st, *req, by)
		return r, req.Reason, err
	}))
	adm.POST("/imports/did", importHandler(a, func(ctx context.Context, im *importer.Importer, st *trustregistry.State, req *importer.DIDRequest, by string) (*importer.Result, string, error) {
		r, err := im.DID(ctx, st, *req, by)
		return r, req.Reason, err
	}))
	adm.POST("/imports/dns-did", importHandler(a, func(ctx context.Context, im *importer.Importer, st *trustregistry.State, req *importer.DNSDIDRequest, by string) (*importer.Result, string, error) {
		r, err := im.DNSDID(ctx, st, *req, by)
		return r, req.Reason, err
	}))
	adm.POST("/recheck", a.recheck)
}

// importer returns the configured importer, or an import_unavailable error.
func (a *api) importer(c *gin.Context) (*importer.Importer, bool) {
	acct := account(c)
	if !acct.View().Has(trustregistry.RoleProposer) {
		statuses.Write(c, errs.New(trustregistry.CodeForbidden, "imports are proposals: the proposer role is required"))
		return nil, false
	}
	if a.o.Importer == nil {
		statuses.Write(c, errs.New(importer.CodeImportUnavailable, "this registry is not configured for imports"))
		return nil, false
	}
	return a.o.Importer, true
}

// importHandler decodes a request of type T, runs the import and proposes its change set.
func importHandler[T any](a *api, run func(context.Context, *importer.Importer, *trustregistry.State, *T, string) (*importer.Result, string, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req T
		if err := httpx.DecodeJSONStrict(c, &req); err != nil {
			statuses.Write(c, err)
			return
		}
		im, ok := a.importer(c)
		if !ok {
			return
		}
		acct := account(c)
		res, reason, err := run(c, im, a.svc.Index().State(), &req, acct.Name)
		if err != nil {
			statuses.Write(c, err)
			return
		}
		p, err := a.svc.Propose(c, acct, res.ChangeSet(), proposalReason(reason, res.Note), 0)
		if err != nil {
			statuses.Write(c, err)
			return
		}
		c.JSON(http.StatusCreated, importer.Response{Proposal: p, Note: res.Note})
	}
}

// recheck fetches every imported key's source again and proposes the differences.
func (a *api) recheck(c *gin.Context) {
	var req struct {
		Reason string `json:"reason,omitempty"`
	}
	if err := decodeOptional(c, &req); err != nil {
		statuses.Write(c, err)
		return
	}
	im, ok := a.importer(c)
	if !ok {
		return
	}
	acct := account(c)
	rep, err := im.Recheck(c, a.svc.Index().State(), acct.Name)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	out := importer.Response{Findings: rep.Findings}
	if len(rep.ChangeSet.Ops) == 0 {
		c.JSON(http.StatusOK, out)
		return
	}
	reason := req.Reason
	if strings.TrimSpace(reason) == "" {
		reason = "scheduled re-check"
	}
	out.Proposal, err = a.svc.Propose(c, acct, rep.ChangeSet, proposalReason(reason, rep.Reason()), 0)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

// proposalReason is the regulator's reason followed by the importer's note, within the
// registry's 4096 characters.
func proposalReason(reason, note string) string {
	if strings.TrimSpace(reason) == "" {
		return ""
	}
	s := reason + " [" + note + "]"
	if len(s) > 4096 {
		s = s[:4092] + "...]"
	}
	return s
}
