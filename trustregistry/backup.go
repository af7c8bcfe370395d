package trustregistry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/idport/idport/pkg/boltkv"
	"github.com/idport/idport/pkg/httpx"
	"github.com/idport/idport/trustregistry/trust"
	bolt "go.etcd.io/bbolt"
)

// ErrBackupUnsupported reports a store that cannot take online backups (not bbolt).
var ErrBackupUnsupported = errors.New("this registry store cannot take online backups")

// CodeBackupUnsupported is the problem code of ErrBackupUnsupported.
const CodeBackupUnsupported = "backup_unsupported"

// WriteBackup writes a consistent copy of registry.db to w (auditor or admin role) from one
// bbolt read transaction, while the registry keeps applying changes. The copy is a complete
// registry data file: start a registry on it (as registry.db, with the same key secret) to
// restore. It holds account token hashes and the sealed signing key: keep it like the data file.
func (s *Service) WriteBackup(ctx context.Context, actor trust.Account, w io.Writer) (int64, error) {
	if !actor.Has(trust.RoleAuditor) && !actor.Has(trust.RoleAdmin) {
		return 0, fmt.Errorf("backups need the auditor or admin role: %w", trust.ErrForbidden)
	}
	db, ok := s.store.(interface{ DB() *bolt.DB })
	if !ok {
		return 0, httpx.NewError(http.StatusNotImplemented, CodeBackupUnsupported, fmt.Errorf("%T: %w", s.store, ErrBackupUnsupported))
	}
	n, err := boltkv.WriteBackup(db.DB(), w)
	if err != nil {
		return n, err
	}
	s.log.Info("backup written", "account", actor.Name, "bytes", n)
	return n, nil
}

// SpoolBackup is WriteBackup into an unlinked temporary file in the data directory (writable
// even when the root filesystem is read-only), ready to serve with its size and SHA-256.
func (s *Service) SpoolBackup(ctx context.Context, actor trust.Account) (*boltkv.Spool, error) {
	if !actor.Has(trust.RoleAuditor) && !actor.Has(trust.RoleAdmin) {
		return nil, fmt.Errorf("backups need the auditor or admin role: %w", trust.ErrForbidden)
	}
	return boltkv.SpoolWith(s.cfg.DataDir, func(w io.Writer) (int64, error) { return s.WriteBackup(ctx, actor, w) })
}
