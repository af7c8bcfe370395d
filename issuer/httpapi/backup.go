package httpapi

import (
	"github.com/gin-gonic/gin"

	"github.com/idport/idport/issuer"
	"github.com/idport/idport/pkg/errs"
	"github.com/idport/idport/pkg/httpx"
)

// requireAdmin lets only API keys with the admin scope through (403 otherwise).
func (a *api) requireAdmin(c *gin.Context) {
	if !client(c).IsAdmin() {
		statuses.Write(c, errs.Errorf(issuer.CodeForbidden, "forbidden: this endpoint needs an API key with the %q scope", issuer.ScopeAdmin))
		return
	}
	c.Next()
}

// GET /admin/backup (API key with the admin scope): a consistent copy of the issuer's store
// taken while the issuer keeps issuing (Issuer.Backup), spooled first so that Content-Length
// and Repr-Digest (SHA-256) precede the body. A store that cannot take an online backup
// answers 501 backup_unsupported.
func (a *api) serveBackup(c *gin.Context) {
	sp, err := a.is.Backup(c.Request.Context())
	if err != nil {
		statuses.Write(c, err)
		return
	}
	defer sp.Close()
	if err := sp.Serve(c.Writer, "issuer"); err != nil {
		httpx.LoggerFrom(c).Error("sending backup", "err", err)
	}
}
