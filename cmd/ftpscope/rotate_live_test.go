package main

import (
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestLiveRotateSeconds replays a capture onto a veth pair for about four
// seconds while ftpscope writes what it captures with -G 1 and a strftime
// name: several files must appear, each named by the second it began, and
// read together they must give the verdicts and the packets of the live run.
func TestLiveRotateSeconds(t *testing.T) {
	liveGate(t, "tcpreplay")
	bin := buildLiveTool(t)
	file := filepath.Join(t.TempDir(), "replay.pcap")
	packets := writeReplayFile(t, file, 300)
	stdout, stderr, code := runBin(t, bin, "-r", file, "--format", "json")
	if code != exitOK {
		t.Fatalf("ftpscope -r: status %d: %s", code, stderr)
	}
	fileSessions, _ := liveParse(t, stdout)
	want := channelKeys(fileSessions)

	l := newLab(t, "G")
	ns := l.ns("rotate")
	l.veth(ns, "ga", "gb")

	dir := t.TempDir()
	pattern := filepath.Join(dir, "ftp-%Y%m%d-%H%M%S.pcap")
	fs := l.startFtpscope(ns, bin, "-i", "gb", "-B", "65536", "--format", "json", "-w", pattern, "-G", "1", "tcp", "or", "icmp")
	// About four seconds of replay: a packet rate of a quarter of the file.
	pps := packets / 4
	l.in(ns, "tcpreplay", "-q", "-i", "ga", "--pps", strconv.Itoa(pps), file)
	live, sum := fs.sessionsThenStop(t, len(fileSessions))
	if d := sum.Live["kernel_dropped"] + sum.Live["interface_dropped"]; d > 0 {
		t.Skipf("the kernel dropped %d packets at %d pps: files not comparable", d, pps)
	}
	names, err := filepath.Glob(filepath.Join(dir, "ftp-*.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names) // the time in the name sorts them
	if len(names) < 3 {
		t.Fatalf("-G 1 over a %d-second replay made %d files: %v", 4, len(names), names)
	}
	args := []string{"--format", "json"}
	for _, n := range names {
		base := filepath.Base(n)
		if strings.Contains(base, "%") || len(base) != len("ftp-20261203-114500.pcap") {
			t.Errorf("-G file %s is not named by the strftime pattern", base)
		}
		args = append(args, "-r", n)
	}
	out, stderr, code := runBin(t, bin, args...)
	if code != exitOK {
		t.Fatalf("ftpscope on the -G files: status %d: %s", code, stderr)
	}
	rotSessions, rotSum := liveParse(t, out)
	if got := channelKeys(rotSessions); !slices.Equal(got, want) || rotSum == nil || rotSum.Packets != sum.Packets {
		t.Errorf("the %d -G files give %d channels and %v packets; want the file's %d channels and the live run's %d packets",
			len(names), len(got), rotSum, len(want), sum.Packets)
	}
	t.Logf("-G 1: %d files for %d packets at %d pps; %d sessions streamed", len(names), sum.Packets, pps, len(live))
}
