package trustregistry

// SetRotationHook sets the hook run between storing a new registry key and announcing it.
func SetRotationHook(f func()) { rotationHook = f }
