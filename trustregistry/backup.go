package trustregistry

import (
	"context"
	"fmt"
	"io"

	"github.com/idport/idport/pkg/errs"
)

// Backupper is the optional interface of a Store that can write a consistent copy of itself
// while the registry runs (the bbolt store does; memory and etcd stores do not: back etcd up
// with etcdctl snapshot save). Service.WriteBackup is the one place that checks for it.
type Backupper interface {
	// Backup writes a complete copy of the store to w and returns the bytes written.
	Backup(w io.Writer) (int64, error)
}

// CanBackup reports whether the registry's store takes online backups (is a Backupper).
func (s *Service) CanBackup() bool {
	_, ok := s.store.(Backupper)
	return ok
}

// WriteBackup writes a consistent copy of the store to w (auditor or admin role) while the
// registry keeps applying changes. For the bbolt store the copy is a complete registry data
// file: start a registry on it (as registry.db, with the same key secret) to restore. It holds
// account token hashes and the sealed signing key: keep it like the data file. A store that is
// no Backupper answers ErrBackupUnsupported.
func (s *Service) WriteBackup(ctx context.Context, actor Account, w io.Writer) (int64, error) {
	if !actor.Has(RoleAuditor) && !actor.Has(RoleAdmin) {
		return 0, errs.Errorf(CodeForbidden, "backups need the auditor or admin role: %w", ErrForbidden)
	}
	b, ok := s.store.(Backupper)
	if !ok {
		return 0, errs.Wrap(CodeBackupUnsupported, ErrBackupUnsupported.Message, fmt.Errorf("store %T is no Backupper", s.store))
	}
	n, err := b.Backup(w)
	if err != nil {
		return n, err
	}
	s.log.Info("backup written", "account", actor.Name, "bytes", n)
	return n, nil
}
