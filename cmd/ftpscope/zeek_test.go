package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestZeekLogsFlag: --zeek-logs DIR makes the directory and writes ftp.log
// beside the usual report, whatever the format; the same run twice gives
// the same file (uids and #open/#close come from the capture).
func TestZeekLogsFlag(t *testing.T) {
	var first string
	for i := range 2 {
		dir := filepath.Join(t.TempDir(), "logs", "zeek")
		stdout, stderr, code := runTool(t, "-r", "../../pcaps/01-basic-v4/client.pcap", "--zeek-logs", dir)
		if code != exitOK || !strings.Contains(stdout, "Session 1") {
			t.Fatalf("exit %d, stderr %q, stdout %q", code, stderr, stdout)
		}
		data, err := os.ReadFile(filepath.Join(dir, "ftp.log"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), "#separator \\x09\n") || !strings.Contains(string(data), "\tRETR\tftp://10.0.2.2/pub/small.txt\t") {
			t.Fatalf("ftp.log:\n%s", data)
		}
		if i == 0 {
			first = string(data)
		} else if string(data) != first {
			t.Error("two runs wrote two different logs")
		}
	}
}
