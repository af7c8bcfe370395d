// Package benchutil holds the issuer benchmarks' rate reporting.
package benchutil

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// CPUTime is the CPU time (user + system) this process has used.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ReportRates reports operations per wall-clock second and per CPU-second of this process
// since start / cpu0. On a shared, overloaded machine the second is the stable one: two idle
// cores give at most twice its value.
func ReportRates(b *testing.B, start time.Time, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
	if cpu := CPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "ops/cpu-s")
	}
}

// ThreadCPU is the CPU time of the calling OS thread (CLOCK_THREAD_CPUTIME_ID): time spent
// waiting for a CPU on a loaded machine is not counted.
func ThreadCPU() time.Duration {
	var ts syscall.Timespec
	const clockThreadCPUTimeID = 3
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

// Interleaved runs raw and op alternately on one locked OS thread, measuring the thread's CPU
// time of each, and reports both per-op CPU times and the speed ratio (raw time / op time:
// 0.7 means op runs at 0.7x the rate of raw). Interleaving and thread CPU time keep the ratio
// honest on a shared, loaded machine.
func Interleaved(b *testing.B, raw, op func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var tRaw, tOp time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := ThreadCPU()
		raw()
		t1 := ThreadCPU()
		op()
		t2 := ThreadCPU()
		tRaw += t1 - t0
		tOp += t2 - t1
	}
	n := float64(b.N)
	b.ReportMetric(float64(tRaw.Nanoseconds())/n, "raw-cpu-ns/op")
	b.ReportMetric(float64(tOp.Nanoseconds())/n, "issue-cpu-ns/op")
	if tOp > 0 {
		b.ReportMetric(float64(tRaw)/float64(tOp), "x-raw-rate")
	}
}
