package httpapi

import (
	"encoding/pem"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/etsitl"
)

// Media types of the published trusted list.
const (
	ContentTypeXML = "application/xml"
	ContentTypePEM = "application/x-pem-file"
)

// importBodyLimit bounds the import request: a list of etsitl.DefaultMaxBytes in base64, plus
// the pins and selection.
const importBodyLimit = etsitl.DefaultMaxBytes*4/3 + 1<<20

// POST /admin/v1/trusted-lists/import: verify an ETSI TS 119 612 list against the pinned
// signers, map the selected services to authorities, and propose them (never apply).
func (a *api) importTrustedList(c *gin.Context) {
	actor := account(c)
	if !actor.Has(trustregistry.RoleProposer) {
		statuses.Write(c, fmt.Errorf("importing a trusted list: %w", trustregistry.ErrForbidden))
		return
	}
	var req etsitl.ImportRequest
	if err := httpx.DecodeJSONStrict(c, &req); err != nil {
		statuses.Write(c, err)
		return
	}
	now := a.o.Now().UTC()
	m, err := etsitl.Import(req, actor.Name, now, a.svc.Index().State(), etsitl.Limits{})
	if err != nil {
		statuses.Write(c, err)
		return
	}
	p, err := a.svc.Propose(c, actor, m.ChangeSet, req.Reason, 0)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.JSON(http.StatusCreated, etsitl.ImportResult{Proposal: p, Mapping: *m})
}

// GET /trusted-list.xml: the registry's local and recognised authorities as a signed
// TS 119 612-shaped list.
func (a *api) trustedList(c *gin.Context) {
	ls, err := a.svc.TrustedListSigner(c)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	b, err := etsitl.Export(a.svc.Index().State(), etsitl.ExportOptions{At: a.o.Now(), Signer: ls.Key.Signer, Certificate: ls.Certificate})
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Data(http.StatusOK, ContentTypeXML+"; charset=utf-8", b)
}

// GET /trusted-list.pem: the certificate that signs /trusted-list.xml, for pinning.
func (a *api) trustedListCert(c *gin.Context) {
	ls, err := a.svc.TrustedListSigner(c)
	if err != nil {
		statuses.Write(c, err)
		return
	}
	c.Data(http.StatusOK, ContentTypePEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ls.Certificate.Raw}))
}
