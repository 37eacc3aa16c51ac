package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// pathPoint is one capture point of a simulated path: its clock's offset
// and the control connection's endpoints as seen there (NAT between
// points changes them).
type pathPoint struct {
	name           string
	clock          time.Duration
	client, server netip.AddrPort
}

// pathSim writes one capture per point of a path client -> ... -> server,
// a router between each two points: a packet crosses the points in order,
// each hop 1 ms later and one TTL lower, and each point stamps it with its
// own clock.
type pathSim struct {
	t     *testing.T
	pts   []pathPoint
	ws    []*craft.Writer
	bws   []*bufio.Writer
	fs    []*os.File
	conns []*craft.Conn
	files []string
}

const simTransit = time.Millisecond

func newPathSim(t *testing.T, pts ...pathPoint) *pathSim {
	p := &pathSim{t: t, pts: pts}
	dir := t.TempDir()
	for _, pt := range pts {
		name := filepath.Join(dir, pt.name+".pcap")
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriter(f)
		w, err := craft.NewWriter(bw)
		if err != nil {
			t.Fatal(err)
		}
		p.fs, p.bws, p.ws, p.files = append(p.fs, f), append(p.bws, bw), append(p.ws, w), append(p.files, name)
	}
	p.conns = make([]*craft.Conn, len(pts))
	return p
}

// hops is how many routers a packet from the client's side (or the
// server's) crossed before point i.
func (p *pathSim) hops(fromClient bool, i int) int {
	if fromClient {
		return i
	}
	return len(p.pts) - 1 - i
}

// at is the time point i stamps on a packet sent at t.
func (p *pathSim) at(t time.Time, fromClient bool, i int) time.Time {
	return t.Add(time.Duration(p.hops(fromClient, i))*simTransit + p.pts[i].clock)
}

// dial opens the control connection at every point.
func (p *pathSim) dial(t time.Time) {
	for i := range p.pts {
		p.conns[i] = p.ws[i].Dial(p.at(t, true, i), p.pts[i].client, p.pts[i].server)
	}
}

// line sends a control line from one side; text gives it as point i sees it.
func (p *pathSim) line(t time.Time, fromClient bool, text func(i int) string) {
	for i := range p.pts {
		if fromClient {
			p.conns[i].Client(p.at(t, true, i), text(i))
		} else {
			p.conns[i].Server(p.at(t, false, i), text(i))
		}
	}
}

func same(s string) func(int) string { return func(int) string { return s } }

// segment sends a data-connection segment from one side that reaches
// only the first reach points on its way; seg gives it as point i sees it.
func (p *pathSim) segment(t time.Time, fromClient bool, reach int, seg func(i int) craft.Segment) {
	for n := 0; n < reach; n++ {
		i := n
		if !fromClient {
			i = len(p.pts) - 1 - n
		}
		s := seg(i)
		s.TTL = uint8(64 - p.hops(fromClient, i))
		if err := p.ws[i].Segment(p.at(t, fromClient, i), s); err != nil {
			p.t.Fatal(err)
		}
	}
}

func (p *pathSim) close(t time.Time) {
	for i := range p.pts {
		if p.conns[i] != nil {
			p.conns[i].Close(p.at(t, true, i))
		}
	}
}

// finish writes the files out and returns the --point arguments, in
// path order.
func (p *pathSim) finish() []string {
	var args []string
	for i, w := range p.ws {
		if err := w.Flush(); err != nil {
			p.t.Fatal(err)
		}
		if err := p.bws[i].Flush(); err != nil {
			p.t.Fatal(err)
		}
		if err := p.fs[i].Close(); err != nil {
			p.t.Fatal(err)
		}
		args = append(args, "--point", p.pts[i].name+"="+p.files[i])
	}
	return args
}

// pointsRecord is the part of the JSON records the tests read.
type pointsRecord struct {
	Type       string   `json:"type"`
	Points     []string `json:"points"`
	PointsNote string   `json:"points_note"`
	Rewrites   []struct {
		Between []string `json:"between"`
		Field   string   `json:"field"`
		From    string   `json:"from"`
		To      string   `json:"to"`
		Side    string   `json:"side"`
		Channel int      `json:"channel"`
		Breaks  bool     `json:"breaks"`
	} `json:"rewrites"`
	Channels []struct {
		Method  string `json:"method"`
		Verdict string `json:"verdict"`
		Path    struct {
			Points []struct {
				Name   string `json:"name"`
				SYNs   int    `json:"syns"`
				SYNACK bool   `json:"synack"`
			} `json:"points"`
			LostBetween []string `json:"lost_between"`
			Lost        string   `json:"lost"`
			Reason      string   `json:"reason"`
		} `json:"path"`
	} `json:"channels"`
	CapturePoints *struct {
		Points []struct {
			Name          string   `json:"name"`
			ClockOffsetMS *float64 `json:"clock_offset_ms"`
			DelayMS       *float64 `json:"delay_from_previous_ms"`
			Order         string   `json:"order"`
			OnlyHere      int      `json:"only_here"`
		} `json:"points"`
		Warnings []string `json:"warnings"`
	} `json:"capture_points"`
}

func runPointsJSON(t *testing.T, args ...string) (sessions []pointsRecord, sum pointsRecord, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	if st := run(context.Background(), append(args, "--format", "json"), &out, &errb); st != exitOK {
		t.Fatalf("exit %d: %s", st, errb.String())
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r pointsRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		switch r.Type {
		case "session":
			sessions = append(sessions, r)
		case "summary":
			sum = r
		}
	}
	return sessions, sum, errb.String()
}

var simT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// TestPointsReturnPathAndClockOffset: two points whose clocks disagree by
// 5 s; a passive data connection's SYN reaches the server, which answers,
// and the SYN-ACK never reaches the client's side. The join measures the
// offset and the transit, says the clocks disagree, and locates the loss
// on the way back.
func TestPointsReturnPathAndClockOffset(t *testing.T) {
	cl, sv := netip.MustParseAddrPort("10.0.1.2:40000"), netip.MustParseAddrPort("10.0.2.2:21")
	p := newPathSim(t, pathPoint{"client", 0, cl, sv}, pathPoint{"server", 5 * time.Second, cl, sv})
	t0 := simT0
	p.dial(t0)
	p.line(t0.Add(10*time.Millisecond), false, same("220 ready\r\n"))
	p.line(t0.Add(20*time.Millisecond), true, same("USER anonymous\r\n"))
	p.line(t0.Add(30*time.Millisecond), false, same("230 ok\r\n"))
	p.line(t0.Add(40*time.Millisecond), true, same("PASV\r\n"))
	p.line(t0.Add(50*time.Millisecond), false, same("227 Entering Passive Mode (10,0,2,2,195,80).\r\n"))
	p.line(t0.Add(60*time.Millisecond), true, same("RETR f\r\n"))
	data, dst := netip.MustParseAddrPort("10.0.1.2:40001"), netip.MustParseAddrPort("10.0.2.2:50000")
	for i, at := range []time.Duration{70 * time.Millisecond, 1070 * time.Millisecond, 3070 * time.Millisecond} {
		_ = i
		p.segment(t0.Add(at), true, 2, func(int) craft.Segment { return craft.SYNSegment(data, dst) })
		p.segment(t0.Add(at+2*time.Millisecond), false, 1, func(int) craft.Segment {
			s := craft.SYNSegment(dst, data)
			s.Flags, s.Ack = craft.SYN|craft.ACK, craft.SYNSegment(data, dst).Seq+1
			return s
		})
	}
	p.line(t0.Add(5*time.Second), false, same("425 Can't open data connection.\r\n"))
	p.line(t0.Add(5*time.Second+10*time.Millisecond), true, same("QUIT\r\n"))
	p.line(t0.Add(5*time.Second+20*time.Millisecond), false, same("221 bye\r\n"))
	p.close(t0.Add(5*time.Second + 30*time.Millisecond))
	args := p.finish()
	sessions, sum, stderr := runPointsJSON(t, args...)
	var lad, errb bytes.Buffer
	if st := run(context.Background(), append(args, "--ladder"), &lad, &errb); st != exitOK {
		t.Fatalf("exit %d: %s", st, errb.String())
	}
	if os.Getenv("FTPSCOPE_SHOW") != "" {
		t.Log(lad.String())
	}
	// The SYN crosses both points; the SYN-ACK dies on its way back.
	for _, want := range []string{
		"      |== SYN x3 ============================================================>|  #1 SYN-ACK lost\n",
		"      |                                   X======================== SYN-ACK ==|\n",
	} {
		if !strings.Contains(lad.String(), want) {
			t.Errorf("ladder lacks %q:\n%s", want, lad.String())
		}
	}
	if len(sessions) != 1 || strings.Join(sessions[0].Points, ",") != "client,server" {
		t.Fatalf("sessions %+v", sessions)
	}
	c := sessions[0].Channels[0]
	if strings.Join(c.Path.LostBetween, ",") != "server,client" || c.Path.Lost != "syn-ack" {
		t.Errorf("lost %s between %q, want the syn-ack between server and client: %s", c.Path.Lost, c.Path.LostBetween, c.Path.Reason)
	}
	if want := "the SYN reached `server` and was answered there; the SYN-ACK never reached `client`"; !strings.Contains(c.Path.Reason, want) {
		t.Errorf("reason %q lacks %q", c.Path.Reason, want)
	}
	sp := sum.CapturePoints.Points[1]
	if sp.ClockOffsetMS == nil || math.Abs(*sp.ClockOffsetMS-5000) > 0.01 || sp.DelayMS == nil || math.Abs(*sp.DelayMS-1) > 0.01 {
		t.Errorf("offset %v ms delay %v ms, want 5000 and 1", deref(sp.ClockOffsetMS), deref(sp.DelayMS))
	}
	if !strings.Contains(stderr, "point `server`'s clock is 5s ahead of the first point's") {
		t.Errorf("stderr does not say the clocks disagree:\n%s", stderr)
	}
	if sp.Order != "confirmed" {
		t.Errorf("order %q, want confirmed", sp.Order)
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// threePoints writes a chain client -> fw -> server with SNAT and an FTP
// helper between client and fw: an EPRT rewritten by the helper, whose
// data connection the server opens and a block between fw and client
// drops; a passive connection that gets through; and a second control
// connection only the client's point sees.
func threePoints(t *testing.T) *pathSim {
	cl, nat, sv := netip.MustParseAddrPort("10.0.1.2:40000"), netip.MustParseAddrPort("198.51.100.1:40000"), netip.MustParseAddrPort("203.0.113.5:21")
	p := newPathSim(t, pathPoint{"client", 0, cl, sv}, pathPoint{"fw", 0, nat, sv}, pathPoint{"server", 0, nat, sv})
	t0 := simT0
	p.dial(t0)
	p.line(t0.Add(10*time.Millisecond), false, same("220 ready\r\n"))
	p.line(t0.Add(20*time.Millisecond), true, same("USER anonymous\r\n"))
	p.line(t0.Add(30*time.Millisecond), false, same("230 ok\r\n"))
	p.line(t0.Add(40*time.Millisecond), true, func(i int) string {
		if i == 0 {
			return "EPRT |1|10.0.1.2|50001|\r\n"
		}
		return "EPRT |1|198.51.100.1|50001|\r\n"
	})
	p.line(t0.Add(50*time.Millisecond), false, same("200 ok\r\n"))
	p.line(t0.Add(60*time.Millisecond), true, same("LIST\r\n"))
	from := netip.MustParseAddrPort("203.0.113.5:20")
	for _, at := range []time.Duration{70 * time.Millisecond, 1070 * time.Millisecond} {
		p.segment(t0.Add(at), false, 2, func(i int) craft.Segment {
			return craft.SYNSegment(from, netip.AddrPortFrom(p.pts[i].client.Addr(), 50001))
		})
	}
	p.line(t0.Add(3*time.Second), false, same("425 Can't open data connection.\r\n"))
	p.line(t0.Add(3010*time.Millisecond), true, same("PASV\r\n"))
	p.line(t0.Add(3020*time.Millisecond), false, same("227 Entering Passive Mode (203,0,113,5,195,80).\r\n"))
	p.line(t0.Add(3030*time.Millisecond), true, same("NLST\r\n"))
	dst := netip.MustParseAddrPort("203.0.113.5:50000")
	dataOf := func(i int) netip.AddrPort { return netip.AddrPortFrom(p.pts[i].client.Addr(), 40001) }
	p.segment(t0.Add(3040*time.Millisecond), true, 3, func(i int) craft.Segment { return craft.SYNSegment(dataOf(i), dst) })
	p.segment(t0.Add(3045*time.Millisecond), false, 3, func(i int) craft.Segment {
		s := craft.SYNSegment(dst, dataOf(i))
		s.Flags, s.Ack = craft.SYN|craft.ACK, craft.SYNSegment(dataOf(i), dst).Seq+1
		return s
	})
	p.line(t0.Add(3060*time.Millisecond), false, same("150 here\r\n"))
	p.line(t0.Add(3070*time.Millisecond), false, same("226 done\r\n"))
	p.line(t0.Add(3080*time.Millisecond), true, same("QUIT\r\n"))
	p.line(t0.Add(3090*time.Millisecond), false, same("221 bye\r\n"))
	p.close(t0.Add(3100 * time.Millisecond))
	// Only the client's point sees this one (it goes another way).
	other := p.ws[0].Dial(t0.Add(4*time.Second), netip.MustParseAddrPort("10.0.1.2:40100"), netip.MustParseAddrPort("192.0.2.99:21"))
	other.Server(t0.Add(4010*time.Millisecond), "220 other\r\n")
	other.Client(t0.Add(4020*time.Millisecond), "QUIT\r\n")
	other.Server(t0.Add(4030*time.Millisecond), "221 bye\r\n")
	other.Close(t0.Add(4040 * time.Millisecond))
	return p
}

// TestPointsThreePointChain: the chain's join, its rewrites and the block
// located between fw and client.
func TestPointsThreePointChain(t *testing.T) {
	p := threePoints(t)
	sessions, sum, stderr := runPointsJSON(t, p.finish()...)
	if len(sessions) != 2 {
		t.Fatalf("%d sessions, want 2", len(sessions))
	}
	s := sessions[0]
	if strings.Join(s.Points, ",") != "client,fw,server" || len(s.Channels) != 2 {
		t.Fatalf("points %q, %d channels", s.Points, len(s.Channels))
	}
	c1, c2 := s.Channels[0], s.Channels[1]
	if strings.Join(c1.Path.LostBetween, ",") != "fw,client" || c1.Path.Lost != "syn" {
		t.Errorf("channel 1 lost %s between %q, want the SYN between fw and client: %s", c1.Path.Lost, c1.Path.LostBetween, c1.Path.Reason)
	}
	if want := "the SYN left `fw` and never reached `client`: the block lies between them"; !strings.Contains(c1.Path.Reason, want) {
		t.Errorf("reason %q lacks %q", c1.Path.Reason, want)
	}
	if c2.Path.LostBetween != nil || len(c2.Path.Points) != 3 {
		t.Errorf("channel 2: lost between %q over %d points: %s", c2.Path.LostBetween, len(c2.Path.Points), c2.Path.Reason)
	}
	var addr, eprt bool
	for _, rw := range s.Rewrites {
		switch {
		case rw.Field == "address" && rw.Side == "client" && rw.From == "10.0.1.2:40000" && rw.To == "198.51.100.1:40000" && strings.Join(rw.Between, ",") == "client,fw":
			addr = true
		case rw.Field == "EPRT" && rw.Channel == 1 && rw.From == "10.0.1.2:50001" && rw.To == "198.51.100.1:50001" && strings.Join(rw.Between, ",") == "client,fw" && rw.Breaks:
			eprt = true
		default:
			t.Errorf("unexpected rewrite %+v", rw)
		}
	}
	if !addr || !eprt {
		t.Errorf("rewrites %+v: want the client's address and the EPRT (breaking) between client and fw", s.Rewrites)
	}
	if o := sessions[1]; strings.Join(o.Points, ",") != "client" || !strings.Contains(o.PointsNote, "seen at `client` only") {
		t.Errorf("second session: points %q, note %q", o.Points, o.PointsNote)
	}
	for _, pt := range sum.CapturePoints.Points[1:] {
		if pt.Order != "confirmed" {
			t.Errorf("point %s: order %q, want confirmed", pt.Name, pt.Order)
		}
	}
	if !strings.Contains(stderr, "1 session was seen at point `client` only") {
		t.Errorf("stderr does not say a session was seen at one point only:\n%s", stderr)
	}
}

// TestPointsOrderWrong: the same chain given server side first is said to
// be in the wrong order.
func TestPointsOrderWrong(t *testing.T) {
	p := threePoints(t)
	args := p.finish()
	rev := []string{}
	for i := len(args) - 2; i >= 0; i -= 2 {
		rev = append(rev, args[i], args[i+1])
	}
	_, sum, stderr := runPointsJSON(t, rev...)
	if sum.CapturePoints.Points[1].Order != "wrong" || !strings.Contains(stderr, "the packets say point `fw` lies before `server` on the path") {
		t.Errorf("order %q; stderr:\n%s", sum.CapturePoints.Points[1].Order, stderr)
	}
}

// TestPointsUsage: what --point refuses.
func TestPointsUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--point", "a=x.pcap"}, "at least two capture points"},
		{[]string{"--point", "a=x.pcap", "--point", "a=y.pcap"}, "at least two capture points"},
		{[]string{"--point", "ax.pcap", "--point", "b=y.pcap"}, "want NAME=FILE"},
		{[]string{"--point", "a=x.pcap", "--point", "b=y.pcap", "-r", "z.pcap"}, "not with -r or -i"},
		{[]string{"--point", "a=-", "--point", "b=y.pcap"}, "standard input"},
		{[]string{"--point", "a=x.pcap", "--point", "b=y.pcap", "--ladder", "-f", "json"}, "--ladder"},
	} {
		var out, errb bytes.Buffer
		if st := run(context.Background(), tc.args, &out, &errb); st != exitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want usage error with %q", tc.args, st, errb.String(), tc.want)
		}
	}
}

// TestPointsTable: the table shows each channel's points, where it was
// lost, the rewrites and the capture points' totals.
func TestPointsTable(t *testing.T) {
	p := threePoints(t)
	var out, errb bytes.Buffer
	if st := run(context.Background(), p.finish(), &out, &errb); st != exitOK {
		t.Fatalf("exit %d: %s", st, errb.String())
	}
	got := out.String()
	for _, want := range []string{
		"  points: client (10.0.1.2:40000 -> 203.0.113.5:21), fw (198.51.100.1:40000 -> 203.0.113.5:21), server (198.51.100.1:40000 -> 203.0.113.5:21)\n",
		"| # | client          | fw              | server          | Lost between      |\n",
		"| 1 | nothing         | SYN x2          | SYN x2          | SYN: fw -> client |\n",
		"| 2 | SYN x1, SYN-ACK | SYN x1, SYN-ACK | SYN x1, SYN-ACK | -                 |\n",
		"  1. path: the SYN left `fw` and never reached `client`: the block lies between them\n",
		"  rewrite: channel 1's EPRT announced 10.0.1.2:50001 at `client` and 198.51.100.1:50001 at `fw`: rewritten on the way (an FTP helper); the rewritten channel never got through: the rewrite breaks it\n",
		"  points: seen at `client` only: no other point's capture holds this control connection\n",
		"Totals at point `client`",
		"Capture points (2 session records, 1 seen at every point)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}

// TestPointsREADMEExample: the README's --point example is this run's
// real output (its first session, and the capture points' totals).
func TestPointsREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Run where the README runs it: the file names are in the table.
	t.Chdir("../../pcaps/05-active-reset")
	var out, errb bytes.Buffer
	if st := run(context.Background(), []string{"--point", "client=client.pcap", "--point", "server=server.pcap"}, &out, &errb); st != exitOK {
		t.Fatalf("exit %d: %s", st, errb.String())
	}
	lines := strings.Split(out.String(), "\n")
	first := strings.Join(lines[:19], "\n") + "\n"
	at := strings.Index(out.String(), "Capture points (")
	if at < 0 {
		t.Fatalf("no capture points totals:\n%s", out.String())
	}
	totals := out.String()[at:]
	for _, want := range []string{first, totals} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README lacks the real output:\n%s", want)
		}
	}
}

// TestPointsFirewall: --report firewall says between which points each
// block lies, in the table and as JSON records.
func TestPointsFirewall(t *testing.T) {
	p := threePoints(t)
	args := append(p.finish(), "--report", "firewall")
	var out, errb bytes.Buffer
	if st := run(context.Background(), args, &out, &errb); st != exitOK {
		t.Fatalf("exit %d: %s", st, errb.String())
	}
	want := "  between `fw` and `client`: 1 active data connection (opened by the server): the SYN from 203.0.113.5 to 198.51.100.1 port 50001 passed `fw` and never reached `client`\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("firewall view lacks %q:\n%s", want, out.String())
	}
	out.Reset()
	if st := run(context.Background(), append(args, "--format", "json"), &out, &errb); st != exitOK {
		t.Fatalf("exit %d: %s", st, errb.String())
	}
	n := 0
	for _, l := range strings.Split(out.String(), "\n") {
		if !strings.HasPrefix(l, `{"type":"block"`) {
			continue
		}
		n++
		var b struct {
			Between     []string `json:"between"`
			Lost, Mode  string
			Connections int
			Ports       []int
		}
		if err := json.Unmarshal([]byte(l), &b); err != nil {
			t.Fatal(err)
		}
		if strings.Join(b.Between, ",") != "fw,client" || b.Lost != "syn" || b.Mode != "active" || b.Connections != 1 || len(b.Ports) != 2 || b.Ports[0] != 50001 {
			t.Errorf("block %s", l)
		}
	}
	if n != 1 {
		t.Errorf("%d block records, want 1:\n%s", n, out.String())
	}
}

// TestPointsLadder: with --ladder a joined session is drawn with one
// lifeline per point, each data connection's SYN ending where it died.
func TestPointsLadder(t *testing.T) {
	p := threePoints(t)
	var out, errb bytes.Buffer
	if st := run(context.Background(), append(p.finish(), "--ladder"), &out, &errb); st != exitOK {
		t.Fatalf("exit %d: %s", st, errb.String())
	}
	got := out.String()
	if os.Getenv("FTPSCOPE_SHOW") != "" {
		t.Log(got)
	}
	for _, want := range []string{
		"Ladder 1 over the points: client 10.0.1.2:40000 -> server 203.0.113.5:21, t=0 at 2026-03-01T09:00:00Z (point `client`'s clock)\n",
		" seconds   client                                fw                                server\n",
		"   0.070      |                 X=================|========================= SYN x2 ==|  #1 SYN lost\n",
		"   3.022      |<----------------------------------|-- 227 Entering Passive Mode ... --|\n",
		"   3.040      |== SYN ============================|==================================>|  #2 ok\n",
		"   3.040      |<==================================|======================== SYN-ACK ==|\n",
		"Ladder 2: client 10.0.1.2:40100 -> server 192.0.2.99:21",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("ladder lacks %q", want)
		}
	}
}
