// Package gctune sets the garbage collector's targets of idport's processes: the services trade
// memory for CPU, as most servers do, within the memory their container allows.
//
// Measured with the load tool on 2 cores (docs/performance.md, "Garbage collector target"):
// going from Go's default GOGC=100 to 400 cut CPU per durable issuance by 11-19 % (four pairs
// of runs) and raised peak memory from 87-89 to 147-149 MiB under 256 concurrent clients.
package gctune

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// ServerPercent is the GOGC value idport's processes run with when the GOGC environment
// variable is not set.
const ServerPercent = 400

// MemoryLimitShare is the share of the container's memory limit (cgroup v2 memory.max) set as
// the soft memory limit when GOMEMLIMIT is not set: near it the collector runs as often as it
// must, whatever ServerPercent says, so the larger target cannot push the process out of its
// container.
const MemoryLimitShare = 0.8

// cgroupMemoryMax is the cgroup v2 memory limit of the process's container.
var cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// Settings are the targets in effect after Apply.
type Settings struct {
	// GOGC is the GOGC value in effect, as the runtime reads it ("off" included).
	GOGC string
	// MemoryLimit is the soft memory limit Apply set, in bytes (0: none set by Apply; the
	// runtime's or GOMEMLIMIT's applies).
	MemoryLimit int64
}

// Apply sets the garbage collector's target to ServerPercent unless GOGC is set in the
// environment (getenv, typically os.Getenv), and a soft memory limit of MemoryLimitShare of the
// container's memory limit unless GOMEMLIMIT is set or the container has none. Settings from
// the environment, which the Go runtime has applied already, win.
func Apply(getenv func(string) string) Settings {
	var s Settings
	if s.GOGC = getenv("GOGC"); s.GOGC == "" {
		debug.SetGCPercent(ServerPercent)
		s.GOGC = strconv.Itoa(ServerPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		if limit, ok := containerMemoryLimit(); ok {
			s.MemoryLimit = int64(float64(limit) * MemoryLimitShare)
			debug.SetMemoryLimit(s.MemoryLimit)
		}
	}
	return s
}

// containerMemoryLimit reads the cgroup v2 memory limit ("max" or no cgroup v2: none).
func containerMemoryLimit() (int64, bool) {
	b, err := os.ReadFile(cgroupMemoryMax)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}
