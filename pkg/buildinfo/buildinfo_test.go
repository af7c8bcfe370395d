package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            Info
	}{
		{"linker values win", "v0.2.0", "def456", vcs, Info{"v0.2.0", "def456", "go1.26.0"}},
		{"checkout build", "", "", vcs, Info{"dev", "abc123-dirty", "go1.26.0"}},
		{"go install at a version", "", "", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.3.1"}}, Info{"v0.3.1", "unknown", "go1.26.0"}},
	} {
		if got := resolve(tc.version, tc.commit, tc.bi); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if got := resolve("", "", nil); got.Version != DevVersion || got.Commit != UnknownCommit || !strings.HasPrefix(got.GoVersion, "go") {
		t.Errorf("no build information: %+v", got)
	}
}

func TestGetNamesTheRunningToolchain(t *testing.T) {
	if info := Get(); !strings.HasPrefix(info.GoVersion, "go") || info.Version == "" || info.Commit == "" {
		t.Fatalf("Get: %+v", info)
	}
}
