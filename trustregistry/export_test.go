package trustregistry

import "context"

// SetRotationHook sets the hook run between storing a new registry key and announcing it.
func SetRotationHook(f func()) { rotationHook = f }

// SetAppliedHook sets the hook run when an approval's change is committed (before the snapshot).
func SetAppliedHook(f func()) { appliedHook = f }

// PublishSnapshot signs and publishes a snapshot of the current state now.
func PublishSnapshot(s *Service) error { return s.refreshSnapshot(context.Background(), true) }
