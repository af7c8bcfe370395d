package httpapi

import (
	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/httpx"
)

// GET /admin/v1/backup (auditor or admin role): a consistent copy of registry.db taken while
// the registry runs. The copy is spooled to an unlinked temporary file first, so the answer
// carries its Content-Length and its SHA-256 (Repr-Digest, RFC 9530) before the body.
func (a *api) backup(c *gin.Context) {
	sp, err := a.b.SpoolBackup(c, account(c))
	if err != nil {
		writeErr(c, err)
		return
	}
	defer sp.Close()
	if err := sp.Serve(c.Writer, "registry"); err != nil {
		httpx.LoggerFrom(c).Error("sending backup", "err", err)
	}
}
