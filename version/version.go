// Package version says which build of ftpscope is running, from what the Go
// toolchain writes into every binary (runtime/debug.ReadBuildInfo): the
// module version, and the VCS revision, time and dirty flag when the binary
// was built from a checkout with VCS stamping on (go build's default; off
// with -buildvcs=false).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info describes a build. Empty strings are facts the binary does not carry.
type Info struct {
	// Module is the main module's path, Version its version: a tag or a
	// pseudo-version for `go install module@version`, "(devel)" for a
	// build in a checkout that VCS stamping did not name.
	Module, Version string
	// Revision, Time and Modified are the VCS stamps (vcs.revision,
	// vcs.time, vcs.modified).
	Revision, Time string
	Modified       bool
	// GoVersion is the toolchain that built the binary.
	GoVersion string
}

// revision is the VCS revision `make build` writes with -ldflags -X, for
// the builds the toolchain does not stamp (GOFLAGS=-buildvcs=false, a git
// worktree); the toolchain's own stamp wins when there is one.
var revision string

// Get returns the running binary's build information.
func Get() Info {
	in := Info{Version: "(devel)", GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		in = fromBuildInfo(bi)
	}
	if in.Revision == "" {
		in.Revision = revision
	}
	return in
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	in := Info{Module: bi.Main.Path, Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if in.Version == "" {
		in.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			in.Revision = s.Value
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is the --version line: "ftpscope VERSION (revision REV[, modified],
// TIME) GOVERSION".
func (in Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ftpscope %s", in.Version)
	if in.Revision != "" {
		fmt.Fprintf(&b, " (revision %s", in.Revision)
		if in.Modified {
			b.WriteString(", modified")
		}
		if in.Time != "" {
			fmt.Fprintf(&b, ", %s", in.Time)
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, " %s", in.GoVersion)
	return b.String()
}
