// Package buildinfo says which build of idport is running: its release version, the VCS commit
// it was built from and the Go version that built it. `idport version` prints it and every
// service exports it as the idport_build_info metric.
//
// A release build sets the version (and, where the build cannot see the repository, as in a
// container build without .git, the commit) with the linker:
//
//	go build -ldflags "-X github.com/idport/idport/pkg/buildinfo.version=v0.2.0 -X github.com/idport/idport/pkg/buildinfo.commit=$(git rev-parse HEAD)" ./cmd/idport
//
// Unset, they come from the build information Go records in the binary (the module version of
// `go install ...@v0.2.0`, the vcs.revision of a build inside a checkout).
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set by the linker (-X); see the package documentation.
var (
	version string
	commit  string
)

const (
	// DevVersion is the version of a build that recorded none.
	DevVersion = "dev"
	// UnknownCommit is the commit of a build that recorded none.
	UnknownCommit = "unknown"
)

// Info describes one build.
type Info struct {
	// Version is the release version (v0.2.0), or "dev" for an unversioned build.
	Version string `json:"version"`
	// Commit is the VCS revision, with a "-dirty" suffix when the tree had local changes, or
	// "unknown".
	Commit string `json:"commit"`
	// GoVersion is the Go toolchain that built the binary (go1.26.0).
	GoVersion string `json:"goVersion"`
}

// Get returns the running binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, bi)
}

// resolve prefers the linker-set values and falls back on bi (which may be nil).
func resolve(version, commit string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if info.Version == "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		if info.Commit == "" {
			info.Commit = vcsCommit(bi.Settings)
		}
	}
	if info.Version == "" {
		info.Version = DevVersion
	}
	if info.Commit == "" {
		info.Commit = UnknownCommit
	}
	return info
}

// vcsCommit reads vcs.revision (and vcs.modified) from a build's settings.
func vcsCommit(settings []debug.BuildSetting) string {
	var rev string
	var modified bool
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" && modified {
		rev += "-dirty"
	}
	return rev
}
