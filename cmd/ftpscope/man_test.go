package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestManPage: the page generated from the flags names every visible flag
// in its section, none of the hidden ones, and (where groff is installed)
// formats without a warning.
func TestManPage(t *testing.T) {
	out, stderr, code := runTool(t, "--help-man")
	if code != exitOK || stderr != "" {
		t.Fatalf("--help-man: exit %d, %s", code, stderr)
	}
	var o options
	fs, secs := newFlagSet(&o)
	fs.VisitAll(func(f *pflag.Flag) {
		entry := `\fB\-\-` + strings.ReplaceAll(f.Name, "-", `\-`) + `\fR`
		if got := strings.Contains(out, entry); got == f.Hidden {
			t.Errorf("--%s (hidden %v): in the page %v", f.Name, f.Hidden, got)
		}
	})
	for _, s := range secs {
		if !strings.Contains(out, "\n.SH "+strings.ToUpper(s.title)+"\n") {
			t.Errorf("no section %q", s.title)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, ".") && !strings.HasPrefix(line, `.\"`) {
			req := strings.Fields(line)[0]
			switch req {
			case ".TH", ".SH", ".TP", ".B", ".br", ".BR":
			default:
				t.Errorf("a line reads as the roff request %s: %q", req, line)
			}
		}
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("no groff to format the page with")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(out)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		t.Errorf("groff: %v\n%s", err, errb.String())
	}
}

func TestRoffEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`a\b`, `a\eb`},
		{"--flag", `\-\-flag`},
		{".starts with a dot", `\&.starts with a dot`},
		{"'quote", `\&'quote`},
	} {
		if got := roffLine(tc.in); got != tc.want {
			t.Errorf("roffLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
