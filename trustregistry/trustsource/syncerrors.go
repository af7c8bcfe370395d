package trustsource

import (
	"errors"

	"github.com/idport/idport/trustregistry"
	"github.com/idport/idport/trustregistry/replica"
)

// Reasons a registry sync fails, the closed label set of the sync error metrics.
const (
	SyncErrorFetch           = "fetch"            // the registry could not be reached or answered an HTTP error
	SyncErrorUntrustedKey    = "untrusted_key"    // the snapshot is signed by a key the pinned key does not lead to
	SyncErrorInvalidSnapshot = "invalid_snapshot" // the snapshot or a key rotation does not verify or decode
	SyncErrorRollback        = "rollback"         // the registry offered an older snapshot than the one held
)

// SyncErrorReasons lists every reason label, in a stable order.
var SyncErrorReasons = []string{SyncErrorFetch, SyncErrorUntrustedKey, SyncErrorInvalidSnapshot, SyncErrorRollback}

// SyncErrorReason maps a sync error to its reason label.
func SyncErrorReason(err error) string {
	switch {
	case errors.Is(err, replica.ErrUnknownKey):
		return SyncErrorUntrustedKey
	case errors.Is(err, replica.ErrOlder):
		return SyncErrorRollback
	case errors.Is(err, trustregistry.ErrSnapshot):
		return SyncErrorInvalidSnapshot
	}
	return SyncErrorFetch
}
