//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileSizeLimit: the real binary writing to a regular file that hits
// its size limit (RLIMIT_FSIZE, set with prlimit; the Go runtime ignores
// SIGXFSZ, so the write fails with EFBIG as on a full disk). ftpscope says
// so on one line, exits 1, and the file ends with a whole record: it is a
// prefix of the unlimited output that ends where a record ends (issue 12
// item 12).
func TestFileSizeLimit(t *testing.T) {
	bin := ftpscopeBinary(t)
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit")
	}
	path := manySessions(t, 300)
	for _, tc := range []struct {
		format string
		ends   string // what the output ends with at a record's end
	}{
		{"json", "\n"},
		{"table", "\n\n"},
		{"csv", "\n"},
	} {
		full, err := exec.Command(bin, "-r", path, "--format", tc.format).Output()
		if err != nil {
			t.Fatalf("%s: %v", tc.format, err)
		}
		for _, limit := range []int{1000, 70000, len(full) / 2, len(full) - 10} {
			out := filepath.Join(t.TempDir(), "out")
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(prlimit, fmt.Sprintf("--fsize=%d", limit), "--", bin, "-r", path, "--format", tc.format)
			cmd.Stdout = f
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err = cmd.Run()
			f.Close()
			got, rerr := os.ReadFile(out)
			if rerr != nil {
				t.Fatal(rerr)
			}
			msg := strings.TrimSpace(stderr.String())
			if cmd.ProcessState.ExitCode() != exitError || !strings.Contains(msg, "file too large") || strings.Contains(msg, "\n") {
				t.Errorf("%s, limit %d: %v, stderr %q; want status 1 and one line saying file too large", tc.format, limit, err, msg)
			}
			if !bytes.HasPrefix(full, got) || len(got) > 0 && !bytes.HasSuffix(got, []byte(tc.ends)) || len(got) > limit {
				t.Errorf("%s, limit %d: the file (%d bytes) is not whole records of the output; it ends %q", tc.format, limit, len(got), got[max(0, len(got)-80):])
			}
			if tc.format == "json" && !t.Failed() {
				checkRecords(t, got)
			}
		}
	}
}
