package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

func TestFileSizeFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"100", 100_000_000, true}, // tcpdump's -C unit: millions of bytes
		{"1", 1_000_000, true},
		{"64MiB", 64 << 20, true},
		{"256K", 256 << 10, true},
		{"0", 0, false},
		{"-5", 0, false},
		{"lots", 0, false},
	} {
		var v int64
		err := fileSize{&v}.Set(tc.in)
		if (err == nil) != tc.ok || v != tc.want {
			t.Errorf("-C %s: %d, %v; want %d, ok %v", tc.in, v, err, tc.want, tc.ok)
		}
	}
	for _, args := range [][]string{{"-i", "eth0", "-C", "10"}, {"-r", "x.pcap", "-C", "10"}} {
		_, stderr, code := runTool(t, args...)
		if code != exitUsage || !strings.Contains(stderr, "-C") {
			t.Errorf("%v: exit %d, %q; want a usage error naming -C", args, code, stderr)
		}
	}
}

// TestRotateSecondsFlag: -G takes whole seconds or a duration, needs -w
// and live capture, and a -w name with a time conversion.
func TestRotateSecondsFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3600", time.Hour, true},
		{"1", time.Second, true},
		{"90s", 90 * time.Second, true},
		{"0", 0, false},
		{"500ms", 0, false},
		{"-5", 0, false},
		{"hourly", 0, false},
	} {
		var v time.Duration
		err := rotateSeconds{&v}.Set(tc.in)
		if (err == nil) != tc.ok || v != tc.want {
			t.Errorf("-G %s: %v, %v; want %v, ok %v", tc.in, v, err, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"-i", "eth0", "-G", "10"}, "give -w FILE"},
		{[]string{"-i", "eth0", "-w", "x.pcap", "-G", "10"}, "no time conversion"},
		{[]string{"-r", "x.pcap", "-w", "x-%H.pcap", "-G", "10"}, "-i"},
	} {
		_, stderr, code := runTool(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.says) {
			t.Errorf("%v: exit %d, %q; want a usage error saying %q", tc.args, code, stderr, tc.says)
		}
	}
	got, err := capture.RotatedName("/var/ftp-%Y%m%d-%H%M%S-%s.pcap", time.Date(2026, 12, 3, 11, 45, 7, 0, time.Local))
	if want := "/var/ftp-20261203-114507-" + strconv.FormatInt(time.Date(2026, 12, 3, 11, 45, 7, 0, time.Local).Unix(), 10) + ".pcap"; err != nil || got != want {
		t.Errorf("RotatedName = %q, %v; want %q", got, err, want)
	}
}
