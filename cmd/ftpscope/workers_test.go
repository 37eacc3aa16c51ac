package main

import (
	"fmt"
	"io/fs"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/flowid"
)

// sharedPassiveCapture has n sessions of 97 clients with one server that
// announces the same passive endpoint to all of them, many waiting at
// once: every data connection fits the channels of many sessions, of
// every worker, and must go to its own client's session (one analyzer
// prefers the expected initiator), the others' channels waiting on. Every
// seventh client never connects (its channel is dropped), and every
// eleventh connection comes twice (a second SYN after a reset).
func sharedPassiveCapture(t *testing.T, n int) string {
	t.Helper()
	srv := netip.MustParseAddrPort("198.51.100.7:21")
	ep := netip.MustParseAddrPort("198.51.100.7:40000")
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	t0 := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	return writeCapture(t, "sharedpasv-workers.pcap", func(w *craft.Writer) {
		for i := range n {
			at := t0.Add(ms(37 * i))
			client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i%97)}), uint16(20000+i))
			c := login(w, at, client, srv)
			at = at.Add(ms(100))
			c.Client(at, "PASV\r\n")
			c.Server(at.Add(ms(5)), "227 Entering Passive Mode (198,51,100,7,156,64).\r\n")
			c.Client(at.Add(ms(10)), "RETR f\r\n")
			from := netip.AddrPortFrom(client.Addr(), uint16(40000+i))
			end := at.Add(ms(900))
			switch {
			case i%7 == 3:
				c.Server(end, "425 no data connection\r\n")
			default:
				if i%11 == 5 {
					w.Refused(at.Add(ms(200)), from, ep)
					from = netip.AddrPortFrom(from.Addr(), from.Port()+1)
				}
				d := w.Dial(at.Add(ms(300)), from, ep)
				c.Server(at.Add(ms(310)), "150 opening\r\n")
				d.Server(at.Add(ms(320)), strings.Repeat("z", 1000+i))
				d.CloseFrom(at.Add(ms(330)), craft.FromServer)
				c.Server(end, "226 done\r\n")
			}
			c.Client(end.Add(ms(10)), "QUIT\r\n")
			c.Server(end.Add(ms(20)), "221 bye\r\n")
			c.Close(end.Add(ms(30)))
		}
	})
}

// firstDifference describes where two reports part.
func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  one worker: %.300s\n  workers:    %.300s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("one worker wrote %d lines, the workers %d", len(la), len(lb))
}

// TestWorkersSameReport runs every capture of the corpus, the --shard
// test's capture (NAT'd channels whose data connections hash to other
// workers than their sessions) and synthesized ones with several workers:
// each report must be the one worker's, byte for byte, in every format.
func TestWorkersSameReport(t *testing.T) {
	var inputs []string
	err := filepath.WalkDir("../../pcaps", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n := d.Name(); !d.IsDir() && (strings.HasSuffix(n, ".pcap") || strings.HasSuffix(n, ".pcapng") || strings.HasSuffix(n, ".pcap.gz")) {
			inputs = append(inputs, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) < 50 {
		t.Fatalf("found %d captures under pcaps/: the corpus is missing", len(inputs))
	}
	shards, crossing := shardCapture(t, 120)
	inputs = append(inputs, shards, sharedPassiveCapture(t, 400))
	dir := t.TempDir()
	synth := buildSynth(t, dir)
	for _, s := range []struct {
		name string
		args []string
	}{
		{"control", []string{"--sessions", "1500", "--max-transfer", "2KiB", "--ftp-share", "0.2", "--seed", "6"}},
		{"lossy", []string{"--sessions", "400", "--max-transfer", "16KiB", "--loss", "0.003", "--reorder", "0.02", "--seed", "9"}},
		{"small", []string{"--small-packets", "--sessions", "2000", "--seed", "3"}},
	} {
		name := filepath.Join(dir, s.name+".pcap")
		if out, err := exec.Command(synth, append([]string{"--out", name}, s.args...)...).CombinedOutput(); err != nil {
			t.Fatalf("ftpsynth %v: %v\n%s", s.args, err, out)
		}
		inputs = append(inputs, name)
	}
	// The shard capture's NAT'd channels must cross workers, or the test
	// would not show that a worker finds the data connections it expects
	// among the packets of pairs it does not own.
	crossed := 0
	for _, c := range crossing {
		if flowid.PairHash(c[0][0], c[0][1])%2 != flowid.PairHash(c[1][0], c[1][1])%2 {
			crossed++
		}
	}
	if crossed == 0 {
		t.Fatal("no NAT'd data connection hashes to another worker than its session")
	}

	formats := [][]string{{"-f", "json"}}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			fmts := formats
			if in == shards || strings.Contains(in, "sharedpasv") || strings.Contains(in, "/dnat") || strings.HasPrefix(filepath.Base(in), "control") {
				fmts = [][]string{{"-f", "json"}, {"-f", "table"}, {"-f", "csv"}, {"-f", "table", "--report", "sessions,firewall"}, {"-f", "table", "--ladder"}, {"-f", "json", "--hash", "sha256"}}
			}
			if in == shards {
				// With --shard too: the other shards' control packets are
				// counted once. (Not on the shared passive endpoint: there
				// the connections of other shards' hosts fit several of
				// this run's channels, none of them their own, and the
				// workers' order may pick another than one worker's.)
				fmts = append(fmts, []string{"-f", "json", "--shard", "1/3"})
			}
			for _, f := range fmts {
				args := append([]string{"-r", in}, f...)
				one, stderr1, code1 := runTool(t, append(args, "--workers", "1")...)
				for _, n := range []string{"2", "3"} {
					many, stderr, code := runTool(t, append(args, "--workers", n)...)
					if code != code1 || stderr != stderr1 {
						t.Fatalf("%v --workers %s: exit %d, stderr %q; one worker: exit %d, stderr %q", f, n, code, stderr, code1, stderr1)
					}
					if many != one {
						t.Fatalf("%v --workers %s: the report differs from one worker's at %s", f, n, firstDifference(one, many))
					}
				}
				if f[1] == "json" && one != "" && !strings.Contains(one, `"type":"summary"`) {
					t.Fatalf("no summary in the report:\n%.500s", one)
				}
			}
		})
	}
	// The facts the comparison rests on: the shard capture's NAT'd
	// channels were resolved (by the worker that expected them).
	out, _, _ := runTool(t, "-r", shards, "-f", "json", "--workers", "2")
	_, sum := splitRecords(t, out)
	if sum.Sessions != 120 || sum.NAT < 40 || sum.Blocked != 40 || sum.Verdicts["ok"] != 80 {
		t.Fatalf("two workers on the shard capture: %+v", sum)
	}
}

// TestWorkersFlag checks --workers' usage errors.
func TestWorkersFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--workers", "-1", "-r", "x.pcap"}, "--workers must be"},
		{[]string{"--workers", "2", "--point", "a=x.pcap", "--point", "b=y.pcap"}, "does not go with --point"},
		{[]string{"--workers", "2", "-r", "x.pcap", "--extract", "out"}, "--workers with --extract"},
	} {
		_, stderr, code := runTool(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}
