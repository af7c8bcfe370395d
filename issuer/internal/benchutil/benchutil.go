// Package benchutil holds the issuer benchmarks' rate reporting.
package benchutil

import (
	"syscall"
	"testing"
	"time"
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
