package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"stamped", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ftpscope/ftpscope", Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-03T06:00:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			"ftpscope v1.2.3 (revision abc123, modified, 2026-12-03T06:00:00Z) go1.26.8"},
		{"clean", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "false"}}},
			"ftpscope v1.2.3 (revision abc123) go1.26.8"},
		{"unstamped", debug.BuildInfo{GoVersion: "go1.26.8"}, "ftpscope (devel) go1.26.8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fromBuildInfo(&tc.bi).String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestGet(t *testing.T) {
	in := Get()
	if !strings.HasPrefix(in.GoVersion, "go") || in.Version == "" {
		t.Errorf("Get() = %+v: the test binary carries build information", in)
	}
}
