package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestViewsEndToEnd runs --ladder and --report firewall through the command.
func TestViewsEndToEnd(t *testing.T) {
	blocked := filepath.Join("..", "..", "pcaps", "handmade", "blocked-v4.pcap")
	out, stderr, code := runTool(t, "-r", blocked, "--ladder")
	if code != exitOK || !strings.Contains(out, "Ladder 1: client 192.0.2.10:40009 -> server 198.51.100.20:21") ||
		strings.Index(out, "Session 1:") > strings.Index(out, "Ladder 1:") || strings.Index(out, "Ladder 1:") > strings.Index(out, "Totals") {
		t.Errorf("--ladder: exit %d, stderr %q:\n%s", code, stderr, out)
	}

	out, _, code = runTool(t, "-r", blocked, "--report", "sessions,firewall", "--format", "json")
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		types = append(types, r.Type)
	}
	if code != exitOK || strings.Join(types, ",") != "session,firewall,summary" {
		t.Errorf("--report sessions,firewall: exit %d, records %v", code, types)
	}
	out, _, _ = runTool(t, "-r", blocked, "--report", "firewall")
	if strings.Contains(out, "Session 1:") || !strings.Contains(out, "Firewall view: server 198.51.100.20") || !strings.Contains(out, "Totals") {
		t.Errorf("--report firewall alone:\n%s", out)
	}

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--report", "bogus"}, "unknown view"},
		{[]string{"--report", "firewall", "--format", "csv"}, "--report firewall"},
		{[]string{"--ladder", "--format", "json"}, "--ladder"},
	} {
		_, stderr, code := runTool(t, append([]string{"-r", blocked}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d stderr %q", tc.args, code, stderr)
		}
	}
}
