package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/flowid"
)

// shardCapture synthesizes sessions between many client and server hosts,
// six kinds taking turns: plain passive, passive NAT'd behind the control
// address (a DNAT'd server announcing its private address), passive to an
// announced third address (the data connection's addresses hash elsewhere),
// active, active announced from behind a SNAT the server cannot reach (the
// data SYNs, to addresses that hash elsewhere, go unanswered), and EPSV
// dropped by a firewall. It returns the path and the (control pair, data
// pair) of every channel whose data connection joins other addresses than
// its control connection.
func shardCapture(t *testing.T, sessions int) (string, [][2][2]netip.Addr) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "shards.pcap")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w, err := craft.NewWriter(bw)
	if err != nil {
		t.Fatal(err)
	}
	var crossing [][2][2]netip.Addr
	base := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	for i := range sessions {
		t0 := base.Add(ms(700 * i))
		client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(1 + i%40)}), uint16(30000+i))
		srv := netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + i%9)})
		server := netip.AddrPortFrom(srv, 21)
		dport := uint16(50000 + i)
		c := w.Dial(t0, client, server)
		c.Server(t0.Add(ms(10)), "220 ready\r\n")
		c.Client(t0.Add(ms(20)), "USER u\r\n")
		c.Server(t0.Add(ms(30)), "331 password\r\n")
		c.Client(t0.Add(ms(40)), "PASS p\r\n")
		c.Server(t0.Add(ms(50)), "230 logged in\r\n")
		at := t0.Add(ms(60))
		ok := true
		switch i % 6 {
		case 0, 1, 2:
			announced := netip.AddrPortFrom(srv, dport)
			dial := announced
			switch i % 6 {
			case 1:
				announced = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i % 9), 5}), dport)
			case 2:
				announced = netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(1 + i%50)}), dport)
				dial = announced
				crossing = append(crossing, [2][2]netip.Addr{{client.Addr(), srv}, {client.Addr(), dial.Addr()}})
			}
			a4 := announced.Addr().As4()
			c.Client(at, "PASV\r\n")
			c.Server(at.Add(ms(10)), fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).\r\n", a4[0], a4[1], a4[2], a4[3], dport>>8, dport&0xff))
			d := w.Dial(at.Add(ms(20)), netip.AddrPortFrom(client.Addr(), client.Port()+10000), dial)
			c.Client(at.Add(ms(30)), "RETR f\r\n")
			c.Server(at.Add(ms(40)), "150 opening\r\n")
			d.Server(at.Add(ms(50)), strings.Repeat("x", 3000))
			d.CloseFrom(at.Add(ms(60)), craft.FromServer)
		case 3, 4:
			announced := netip.AddrPortFrom(client.Addr(), dport)
			if i%6 == 4 {
				announced = netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, 0, byte(1 + i%50)}), dport)
				crossing = append(crossing, [2][2]netip.Addr{{client.Addr(), srv}, {srv, announced.Addr()}})
				ok = false
			}
			a4 := announced.Addr().As4()
			c.Client(at, fmt.Sprintf("PORT %d,%d,%d,%d,%d,%d\r\n", a4[0], a4[1], a4[2], a4[3], dport>>8, dport&0xff))
			c.Server(at.Add(ms(10)), "200 PORT ok\r\n")
			c.Client(at.Add(ms(20)), "RETR f\r\n")
			from := netip.AddrPortFrom(srv, 20)
			if ok {
				c.Server(at.Add(ms(30)), "150 opening\r\n")
				d := w.Dial(at.Add(ms(40)), from, announced)
				d.Client(at.Add(ms(50)), strings.Repeat("y", 2000))
				d.Close(at.Add(ms(60)))
			} else {
				at = w.SYNUnanswered(at.Add(ms(30)), from, announced, 3)
			}
		case 5:
			c.Client(at, "EPSV\r\n")
			c.Server(at.Add(ms(10)), fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)\r\n", dport))
			at = w.SYNUnanswered(at.Add(ms(20)), netip.AddrPortFrom(client.Addr(), client.Port()+10000), netip.AddrPortFrom(srv, dport), 3)
			c.Client(at.Add(ms(10)), "RETR f\r\n")
			ok = false
		}
		end := at.Add(ms(200))
		if ok {
			c.Server(end, "226 done\r\n")
		} else {
			c.Server(end, "425 no data connection\r\n")
		}
		c.Client(end.Add(ms(10)), "QUIT\r\n")
		c.Server(end.Add(ms(20)), "221 bye\r\n")
		c.Close(end.Add(ms(30)))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return name, crossing
}

// shardTotals are the summary counters that N shards add up to.
type shardTotals struct {
	Sessions   uint64            `json:"session_count"`
	Channels   uint64            `json:"channel_count"`
	Blocked    uint64            `json:"blocked"`
	NAT        uint64            `json:"nat"`
	TLS        uint64            `json:"tls_sessions"`
	OpenAtEnd  uint64            `json:"open_at_end"`
	Verdicts   map[string]uint64 `json:"verdicts"`
	Notices    map[string]uint64 `json:"notices"`
	Packets    uint64            `json:"packets"`
	ShardField *struct {
		Index, Count int
		Other        uint64 `json:"other_shard_packets"`
	} `json:"shard"`
}

// splitRecords returns a run's records but the summary, as lines, and its
// summary.
func splitRecords(t *testing.T, out string) ([]string, shardTotals) {
	t.Helper()
	var recs []string
	var sum shardTotals
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct{ Type string }
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, line)
		}
		if r.Type == "summary" {
			if err := json.Unmarshal([]byte(line), &sum); err != nil {
				t.Fatal(err)
			}
			continue
		}
		recs = append(recs, line)
	}
	return recs, sum
}

// TestShardsAddUp: N runs with --shard K/N over a capture of many sessions,
// NAT'd channels among them, report between them exactly the records of the
// unsharded run (each session once, byte for byte), and their summaries add
// up to its summary.
func TestShardsAddUp(t *testing.T) {
	name, crossing := shardCapture(t, 120)
	out, stderr, code := runTool(t, "-r", name, "-f", "json")
	if code != exitOK {
		t.Fatalf("unsharded: exit %d: %s", code, stderr)
	}
	whole, want := splitRecords(t, out)
	if want.Sessions != 120 || want.Channels != 120 || want.NAT < 40 || want.Blocked != 40 || want.Verdicts["ok"] != 80 {
		t.Fatalf("the synthesized capture did not give what it was made for: %+v", want)
	}
	for _, n := range []int{1, 3, 4} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var union []string
			var got shardTotals
			got.Verdicts, got.Notices = map[string]uint64{}, map[string]uint64{}
			for k := range n {
				out, stderr, code := runTool(t, "-r", name, "-f", "json", "--shard", fmt.Sprintf("%d/%d", k, n))
				if code != exitOK {
					t.Fatalf("shard %d/%d: exit %d: %s", k, n, code, stderr)
				}
				recs, sum := splitRecords(t, out)
				if n > 1 && (sum.ShardField == nil || sum.ShardField.Index != k || sum.ShardField.Count != n) {
					t.Errorf("shard %d/%d: summary's shard is %+v", k, n, sum.ShardField)
				}
				if n > 1 && len(recs) == 0 {
					t.Errorf("shard %d/%d reported nothing: the hash does not spread these hosts", k, n)
				}
				if sum.Packets != want.Packets {
					t.Errorf("shard %d/%d read %d packets, the whole run %d: every shard reads the whole input", k, n, sum.Packets, want.Packets)
				}
				union = append(union, recs...)
				got.Sessions += sum.Sessions
				got.Channels += sum.Channels
				got.Blocked += sum.Blocked
				got.NAT += sum.NAT
				got.TLS += sum.TLS
				got.OpenAtEnd += sum.OpenAtEnd
				for k, v := range sum.Verdicts {
					got.Verdicts[k] += v
				}
				for k, v := range sum.Notices {
					got.Notices[k] += v
				}
			}
			a, b := slices.Sorted(slices.Values(whole)), slices.Sorted(slices.Values(union))
			if !slices.Equal(a, b) {
				for i := range min(len(a), len(b)) {
					if a[i] != b[i] {
						t.Fatalf("%d shards: %d records, the whole run %d; first difference:\nwhole:  %s\nshards: %s", n, len(b), len(a), a[i], b[i])
					}
				}
				t.Fatalf("%d shards: %d records, the whole run %d", n, len(b), len(a))
			}
			got.Packets, got.ShardField = want.Packets, want.ShardField
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%d shards add up to %+v, the whole run says %+v", n, got, want)
			}
			if n > 1 {
				// The test means something only if some NAT'd channel's
				// data connection hashes to another shard than its session.
				elsewhere := 0
				for _, c := range crossing {
					if flowid.PairHash(c[0][0], c[0][1])%uint64(n) != flowid.PairHash(c[1][0], c[1][1])%uint64(n) {
						elsewhere++
					}
				}
				if elsewhere == 0 {
					t.Errorf("no NAT'd data connection hashes to another shard than its session with %d shards", n)
				}
				t.Logf("%d shards: %d of %d channels have a data connection hashing to another shard", n, elsewhere, len(crossing))
			}
		})
	}
}

func TestShardFlag(t *testing.T) {
	for _, arg := range []string{"3/3", "-1/2", "1", "a/b", "0/0"} {
		_, stderr, code := runTool(t, "-r", "x.pcap", "--shard", arg)
		if code != exitUsage || !strings.Contains(stderr, "--shard") {
			t.Errorf("--shard %s: exit %d, %q; want a usage error", arg, code, stderr)
		}
	}
}
