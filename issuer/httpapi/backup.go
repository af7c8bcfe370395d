package httpapi

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/idport/idport/issuer/internal/core"
	"github.com/idport/idport/pkg/httpx"
)

// CodeBackupUnsupported answers GET /admin/backup on an issuer without a backup hook.
const CodeBackupUnsupported = "backup_unsupported"

// requireAdmin lets only API keys with the admin scope through (403 otherwise).
func (a *api) requireAdmin(c *gin.Context) {
	if !client(c).IsAdmin() {
		httpx.WriteError(c, problem(fmt.Errorf("%w: this endpoint needs an API key with the %q scope", core.ErrScope, core.ScopeAdmin)))
		return
	}
	c.Next()
}

// GET /admin/backup (API key with the admin scope): a consistent copy of issuer.db taken from
// one read transaction while the issuer keeps issuing, spooled first so that Content-Length
// and Repr-Digest (SHA-256) precede the body.
func (a *api) serveBackup(c *gin.Context) {
	if a.backup == nil {
		httpx.WriteError(c, httpx.Errorf(http.StatusNotImplemented, CodeBackupUnsupported, "this issuer has no backup hook"))
		return
	}
	sp, err := a.backup(c.Request.Context())
	if err != nil {
		httpx.WriteError(c, err) // internal: logged, detail hidden
		return
	}
	defer sp.Close()
	if err := sp.Serve(c.Writer, "issuer"); err != nil {
		httpx.LoggerFrom(c).Error("sending backup", "err", err)
	}
}
