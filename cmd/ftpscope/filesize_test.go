package main

import (
	"strings"
	"testing"
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
