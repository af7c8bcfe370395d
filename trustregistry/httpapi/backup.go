package httpapi

import (
	"io"

	"github.com/gin-gonic/gin"
	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/httpx"
)

// GET /admin/v1/backup (auditor or admin role): a consistent copy of the store taken while the
// registry runs (stores that are a trustregistry.Backupper; others answer 501). The copy is
// spooled to an unlinked temporary file first, so the answer carries its Content-Length and its
// SHA-256 (Repr-Digest, RFC 9530) before the body.
func (a *api) backup(c *gin.Context) {
	actor := account(c)
	sp, err := boltkv.SpoolWith(a.o.BackupDir, func(w io.Writer) (int64, error) { return a.svc.WriteBackup(c, actor, w) })
	if err != nil {
		statuses.Write(c, err)
		return
	}
	defer sp.Close()
	if err := sp.Serve(c.Writer, "registry"); err != nil {
		httpx.LoggerFrom(c).Error("sending backup", "err", err)
	}
}
