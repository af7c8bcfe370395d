package trustregistry

import (
	"syscall"
	"time"
	"unsafe"
)

// ThreadCPU is the CPU time of the calling OS thread (CLOCK_THREAD_CPUTIME_ID): on a shared,
// loaded machine the time spent waiting for a CPU is not counted. Benchmarks lock their
// goroutine to its thread around it.
func ThreadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
