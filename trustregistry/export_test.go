package trustregistry

// SetRotationHook sets the hook run between storing a new registry key and announcing it.
func SetRotationHook(f func()) { rotationHook = f }

// SetAppliedHook sets the hook run when an approval's change is committed (before the snapshot).
func SetAppliedHook(f func()) { appliedHook = f }
