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

// TestLiveShards listens on one veth pair with three ftpscope processes at
// once, unsharded, --shard 0/2 and --shard 1/2, while tcpreplay sends the
// synthesized capture of shard_test.go (NAT'd channels whose data
// connections hash to the other shard among them): the two shards' sessions
// must add up to the unsharded run's, each session once, with the same
// channels and verdicts.
func TestLiveShards(t *testing.T) {
	liveGate(t, "tcpreplay")
	bin := buildLiveTool(t)
	file, crossing := shardCapture(t, 120)
	if len(crossing) == 0 {
		t.Fatal("the capture has no channel whose data connection joins other addresses")
	}
	want := map[string]int{}
	for k := range 2 {
		out, stderr, code := runBin(t, bin, "-r", file, "--format", "json", "--shard", strconv.Itoa(k)+"/2")
		if code != exitOK {
			t.Fatalf("ftpscope -r --shard %d/2: status %d: %s", k, code, stderr)
		}
		s, _ := liveParse(t, out)
		want[strconv.Itoa(k)] = len(s)
	}
	all, _, _ := runBin(t, bin, "-r", file, "--format", "json")
	allSessions, _ := liveParse(t, all)

	l := newLab(t, "s")
	ns := l.ns("shards")
	l.veth(ns, "sa", "sb")
	whole := l.startFtpscope(ns, bin, "-i", "sb", "-B", "65536", "--format", "json", "tcp", "or", "icmp")
	shard := []*liveRun{
		l.startFtpscope(ns, bin, "-i", "sb", "-B", "65536", "--format", "json", "--shard", "0/2", "tcp", "or", "icmp"),
		l.startFtpscope(ns, bin, "-i", "sb", "-B", "65536", "--format", "json", "--shard", "1/2", "tcp", "or", "icmp"),
	}
	l.in(ns, "tcpreplay", "-q", "-i", "sa", "--pps", "2000", file)
	wholeLive, wholeSum := whole.sessionsThenStop(t, len(allSessions))
	var union []liveRec
	seen := map[string]int{}
	for k, r := range shard {
		live, sum := r.sessionsThenStop(t, want[strconv.Itoa(k)])
		if d := sum.Live["kernel_dropped"] + sum.Live["interface_dropped"]; d > 0 {
			t.Skipf("the kernel dropped %d packets: runs not comparable", d)
		}
		if len(live) != want[strconv.Itoa(k)] {
			t.Errorf("live --shard %d/2: %d sessions; the same shard of the file has %d", k, len(live), want[strconv.Itoa(k)])
		}
		for _, s := range live {
			seen[s.Client+" "+s.Server]++
		}
		union = append(union, live...)
	}
	if d := wholeSum.Live["kernel_dropped"] + wholeSum.Live["interface_dropped"]; d > 0 {
		t.Skipf("the kernel dropped %d packets: runs not comparable", d)
	}
	if len(wholeLive) != len(allSessions) {
		t.Errorf("live unsharded: %d sessions; the file has %d", len(wholeLive), len(allSessions))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("session %s reported by %d shards", k, n)
		}
	}
	if got, w := channelKeys(union), channelKeys(wholeLive); !slices.Equal(got, w) {
		t.Errorf("the two live shards give %d channels, the unsharded live run %d; first differences: %v", len(got), len(w), firstDiff(got, w, 5))
	}
	t.Logf("live: %d sessions unsharded, shards %d + %d; %d channels cross shards", len(wholeLive), want["0"], want["1"], len(crossing))
}

// TestLiveWorkers listens on one veth pair with one worker and with two at
// once (libpcap, and AF_PACKET with a ring per worker) while tcpreplay sends the --shard test's capture (NAT'd channels
// whose data connections hash to the other worker) and a capture of many
// sessions sharing one passive endpoint: the two-worker runs report every
// session once, with the channels and verdicts of the one-worker runs.
func TestLiveWorkers(t *testing.T) {
	liveGate(t, "tcpreplay")
	bin := buildLiveTool(t)
	shards, crossing := shardCapture(t, 120)
	if len(crossing) == 0 {
		t.Fatal("the capture has no channel whose data connection joins other addresses")
	}
	for _, file := range []string{shards, sharedPassiveCapture(t, 150)} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			all, _, code := runBin(t, bin, "-r", file, "--format", "json", "--workers", "1")
			if code != exitOK {
				t.Fatalf("ftpscope -r %s: status %d", file, code)
			}
			fileSessions, _ := liveParse(t, all)
			l := newLab(t, "w")
			ns := l.ns("workers")
			l.veth(ns, "wa", "wb")
			one := l.startFtpscope(ns, bin, "-i", "wb", "-B", "65536", "--format", "json", "--workers", "1", "tcp", "or", "icmp")
			pcap := l.startFtpscope(ns, bin, "-i", "wb", "-B", "65536", "--format", "json", "--workers", "2", "--capture-method", "pcap", "tcp", "or", "icmp")
			rings := l.startFtpscope(ns, bin, "-i", "wb", "-B", "65536", "--format", "json", "--workers", "2", "--capture-method", "afpacket", "tcp", "or", "icmp")
			l.in(ns, "tcpreplay", "-q", "-i", "wa", "--pps", "2000", file)
			oneLive, oneSum := one.sessionsThenStop(t, len(fileSessions))
			if d := oneSum.Live["kernel_dropped"] + oneSum.Live["interface_dropped"]; d > 0 {
				t.Skipf("the kernel dropped %d packets: runs not comparable", d)
			}
			if len(oneLive) != len(fileSessions) {
				t.Errorf("live: %d sessions with one worker; the file has %d", len(oneLive), len(fileSessions))
			}
			if got, want := channelKeys(oneLive), channelKeys(fileSessions); !slices.Equal(got, want) {
				t.Errorf("one live worker gives %d channels, the file %d; first differences: %v", len(got), len(want), firstDiff(got, want, 5))
			}
			for _, r := range []struct {
				name string
				run  *liveRun
			}{{"libpcap", pcap}, {"AF_PACKET", rings}} {
				twoLive, twoSum := r.run.sessionsThenStop(t, len(fileSessions))
				if d := twoSum.Live["kernel_dropped"] + twoSum.Live["interface_dropped"]; d > 0 {
					t.Skipf("the kernel dropped %d packets: runs not comparable", d)
				}
				if r.run == rings {
					var received uint64
					for _, c := range twoSum.Rings {
						received += c["received"]
					}
					if len(twoSum.Rings) != 2 || received != twoSum.Live["received"] {
						t.Errorf("AF_PACKET with two workers: rings %v, %d received in all: want two rings adding up", twoSum.Rings, twoSum.Live["received"])
					}
				}
				seen := map[string]int{}
				for _, s := range twoLive {
					seen[s.Client+" "+s.Server]++
				}
				for k, n := range seen {
					if n != 1 {
						t.Errorf("%s: session %s reported %d times by two workers", r.name, k, n)
					}
				}
				if len(twoLive) != len(fileSessions) {
					t.Errorf("%s: %d sessions with two workers; the file has %d", r.name, len(twoLive), len(fileSessions))
				}
				if got, want := channelKeys(twoLive), channelKeys(oneLive); !slices.Equal(got, want) {
					t.Errorf("%s: two live workers give %d channels, one worker %d; first differences: %v", r.name, len(got), len(want), firstDiff(got, want, 5))
				}
				t.Logf("%s, two workers: rings %v", r.name, twoSum.Rings)
			}
			twoLive := oneLive
			t.Logf("%s: %d sessions, %d channels, the same with one and two live workers", filepath.Base(file), len(twoLive), len(channelKeys(twoLive)))
		})
	}
}
