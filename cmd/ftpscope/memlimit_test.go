package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMemoryLimit: the soft limit follows the table limits, is put back
// after the run, and GOMEMLIMIT, when set, wins.
func TestMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		streams, sessions int
		want              int64
	}{
		{100000, 100000, memBase + 100000*memPerEntry},
		{10000, 200000, memBase + 200000*memPerEntry},
		{1000000, 1000, memBase + 1000000*memPerEntry},
	} {
		o := options{maxStreams: tc.streams, maxSessions: tc.sessions}
		if got := o.memoryLimit(); got != tc.want {
			t.Errorf("streams %d sessions %d: limit %d, want %d", tc.streams, tc.sessions, got, tc.want)
		}
		// The login and command log is sized for on top.
		o.format = "json"
		if got, want := o.memoryLimit(), tc.want+auditShare*int64(max(tc.streams, tc.sessions)); got != want {
			t.Errorf("streams %d sessions %d, json: limit %d, want %d", tc.streams, tc.sessions, got, want)
		}
	}
	// The default limits fit the 256 MiB bound with room for the
	// runtime's own, with the command log too; a million sessions fit its
	// 1.5 GiB in the default report.
	for _, o := range []options{{}, {format: "json"}, {html: "x.html"}, {zeekLogs: "logs"}} {
		o.maxStreams, o.maxSessions = 100000, 100000
		if o.memoryLimit() > 240<<20 {
			t.Errorf("%+v: default soft limit %d MiB leaves no room under 256 MiB", o, o.memoryLimit()>>20)
		}
	}
	if o := (options{maxStreams: 1000000, maxSessions: 1000000}); o.memoryLimit() > 1400<<20 {
		t.Errorf("soft limit %d MiB for a million sessions leaves no room under 1.5 GiB", o.memoryLimit()>>20)
	}
	before := debug.SetMemoryLimit(-1)
	o := options{maxStreams: 1000, maxSessions: 1000}
	t.Setenv("GOMEMLIMIT", "")
	restore := applyMemoryLimit(&o)
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("with GOMEMLIMIT set the limit became %d", got)
	}
	restore()
	// Without it, the run's limit is set, then the previous one comes back.
	t.Setenv("GOMEMLIMIT", "x") // restored after the test
	if err := os.Unsetenv("GOMEMLIMIT"); err != nil {
		t.Fatal(err)
	}
	restore = applyMemoryLimit(&o)
	if got := debug.SetMemoryLimit(-1); got != o.memoryLimit() {
		t.Errorf("limit %d, want %d", got, o.memoryLimit())
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit after the run %d, want the previous %d", got, before)
	}
}

// TestMaxMemory: --max-memory takes sizes with units, is the soft limit
// when given, and leaves the analysis what the runtime and the
// reassembler's streams do not take; auto keeps the limit the table limits
// always gave, and a budget too small for --max-streams is a usage error.
func TestMaxMemory(t *testing.T) {
	for _, tc := range []struct {
		args              []string
		limit, budget     int64
		wantErr, parseErr bool
	}{
		{args: nil, limit: memBase + 100000*memPerEntry, budget: 100000 * sessionShare},
		{args: []string{"--max-memory", "auto"}, limit: memBase + 100000*memPerEntry, budget: 100000 * sessionShare},
		{args: []string{"--format", "json"}, limit: memBase + 100000*(memPerEntry+auditShare), budget: 100000 * (sessionShare + auditShare)},
		{args: []string{"--format", "json", "--max-memory", "1GiB"}, limit: 1 << 30, budget: 1<<30 - memBase - 100000*streamReserve},
		{args: []string{"--max-memory", "1GiB"}, limit: 1 << 30, budget: 1<<30 - memBase - 100000*streamReserve},
		{args: []string{"--max-memory", "512M"}, limit: 512 << 20, budget: 512<<20 - memBase - 100000*streamReserve},
		{args: []string{"--max-memory", "300000000"}, limit: 300000000, budget: 300000000 - memBase - 100000*streamReserve},
		{args: []string{"--max-memory", "2g", "--max-streams", "1000"}, limit: 2 << 30, budget: 2<<30 - memBase - 1000*streamReserve},
		// Small table limits still leave the analysis minBudget.
		{args: []string{"--max-streams", "1000", "--max-sessions", "1000"}, limit: memBase + 1000*streamReserve + minBudget, budget: minBudget},
		{args: []string{"--max-memory", "64MiB"}, wantErr: true}, // 32 MiB + 73 MiB of streams
		{args: []string{"--max-memory", "lots"}, parseErr: true},
		{args: []string{"--max-memory", "-1G"}, parseErr: true},
	} {
		var o options
		fs, _ := newFlagSet(&o)
		err := fs.Parse(append([]string{"-r", "x.pcap"}, tc.args...))
		if (err != nil) != tc.parseErr {
			t.Errorf("%v: parse error %v", tc.args, err)
			continue
		}
		if tc.parseErr {
			continue
		}
		err = o.validate(fs.Args())
		if (err != nil) != tc.wantErr {
			t.Errorf("%v: validate error %v", tc.args, err)
			continue
		}
		if tc.wantErr {
			continue
		}
		if got := o.memoryLimit(); got != tc.limit {
			t.Errorf("%v: soft limit %d, want %d", tc.args, got, tc.limit)
		}
		if got := o.analysisConfig().MaxMemory; got != tc.budget {
			t.Errorf("%v: analysis budget %d, want %d", tc.args, got, tc.budget)
		}
	}
}
