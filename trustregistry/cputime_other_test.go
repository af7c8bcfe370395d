//go:build !linux

package trustregistry

import "time"

// ThreadCPU is the calling thread's CPU time where the platform has it; 0 here.
func ThreadCPU() time.Duration { return 0 }
