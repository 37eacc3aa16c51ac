package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// synth runs the command with args plus --out and --truth in a temporary
// directory and returns the capture and truth file contents.
func synth(t *testing.T, args ...string) (capture, truth []byte) {
	t.Helper()
	dir := t.TempDir()
	out, tr := filepath.Join(dir, "c.pcap"), filepath.Join(dir, "t.jsonl")
	var stdout, stderr bytes.Buffer
	args = append([]string{"--out", out, "--truth", tr}, args...)
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("ftpsynth %v: exit %d: %s", args, code, stderr.String())
	}
	c, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := os.ReadFile(tr)
	if err != nil {
		t.Fatal(err)
	}
	return c, tb
}

// parsedTruth is a truth file read back.
type parsedTruth struct {
	sessions []sessionTruth
	channels []channelTruth
	summary  summaryTruth
}

func parseTruth(t *testing.T, data []byte) parsedTruth {
	t.Helper()
	var p parsedTruth
	var open *sessionTruth
	want := 0
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var head struct{ Type string }
		if err := json.Unmarshal(line, &head); err != nil {
			t.Fatalf("truth line %d: %v", i+1, err)
		}
		var err error
		switch head.Type {
		case "session":
			if want != 0 {
				t.Fatalf("truth line %d: session %d promised %d more channels", i+1, open.Session, want)
			}
			var s sessionTruth
			err = json.Unmarshal(line, &s)
			p.sessions = append(p.sessions, s)
			open, want = &p.sessions[len(p.sessions)-1], s.Channels
		case "channel":
			var c channelTruth
			err = json.Unmarshal(line, &c)
			if want == 0 || c.Session != open.Session || c.Client != open.Client {
				t.Fatalf("truth line %d: channel outside its session", i+1)
			}
			want--
			p.channels = append(p.channels, c)
		case "truth-summary":
			err = json.Unmarshal(line, &p.summary)
		default:
			t.Fatalf("truth line %d: unknown type %q", i+1, head.Type)
		}
		if err != nil {
			t.Fatalf("truth line %d: %v", i+1, err)
		}
	}
	if p.summary.Type != "truth-summary" {
		t.Fatal("truth has no summary")
	}
	return p
}

// seen is what a capture holds, indexed for the truth checks.
type seen struct {
	packets   int
	stamps    []time.Time
	vlanTags  int
	syn       map[[2]netip.AddrPort]int    // SYNs from, to
	synack    map[[2]netip.AddrPort]int    // SYN-ACKs from, to
	rst       map[[2]netip.AddrPort]int    // RSTs from, to
	payload   map[[2]netip.AddrPort]int    // payload bytes from, to
	stream    map[[2]netip.AddrPort][]byte // payload of port-21 connections, by direction
	icmp      map[[2]netip.AddrPort]uint8  // quoted src, dst -> code
	udp, tcp6 int
	// answerFirst counts SYN-ACKs and RSTs seen before any SYN they could
	// answer: the capture order would contradict causality.
	answerFirst int
}

func addrPort(ip []byte, port uint16) netip.AddrPort {
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a.Unmap(), port)
}

// readCapture reads a pcap or pcapng capture (gzip-compressed or not).
func readCapture(t *testing.T, data []byte) *seen {
	t.Helper()
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	type reader interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var r reader
	if binary.LittleEndian.Uint32(data) == 0x0a0d0d0a {
		ng, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		r = ng
	} else {
		pr, err := pcapgo.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		r = pr
	}
	s := &seen{
		syn: map[[2]netip.AddrPort]int{}, synack: map[[2]netip.AddrPort]int{}, rst: map[[2]netip.AddrPort]int{},
		payload: map[[2]netip.AddrPort]int{}, stream: map[[2]netip.AddrPort][]byte{}, icmp: map[[2]netip.AddrPort]uint8{},
	}
	var (
		eth   layers.Ethernet
		dot1q layers.Dot1Q
		ip4   layers.IPv4
		ip6   layers.IPv6
		tcp   layers.TCP
		udp   layers.UDP
		ic4   layers.ICMPv4
		ic6   layers.ICMPv6
		pl    gopacket.Payload
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &udp, &ic4, &ic6, &pl)
	parser.IgnoreUnsupported = true
	var decoded []gopacket.LayerType
	for {
		d, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", s.packets+1, err)
		}
		s.packets++
		s.stamps = append(s.stamps, ci.Timestamp)
		if err := parser.DecodeLayers(d, &decoded); err != nil {
			t.Fatalf("packet %d: %v", s.packets, err)
		}
		var src, dst []byte
		for _, lt := range decoded {
			switch lt {
			case layers.LayerTypeDot1Q:
				s.vlanTags++
			case layers.LayerTypeIPv4:
				src, dst = ip4.SrcIP, ip4.DstIP
			case layers.LayerTypeIPv6:
				src, dst = ip6.SrcIP, ip6.DstIP
			case layers.LayerTypeUDP:
				s.udp++
			case layers.LayerTypeTCP:
				k := [2]netip.AddrPort{addrPort(src, uint16(tcp.SrcPort)), addrPort(dst, uint16(tcp.DstPort))}
				if len(src) == 16 {
					s.tcp6++
				}
				switch {
				case tcp.SYN && tcp.ACK:
					s.synack[k]++
				case tcp.SYN:
					s.syn[k]++
				case tcp.RST:
					s.rst[k]++
				}
				if (tcp.SYN && tcp.ACK || tcp.RST) && s.syn[[2]netip.AddrPort{k[1], k[0]}] == 0 {
					s.answerFirst++
				}
				s.payload[k] += len(tcp.Payload)
				if tcp.SrcPort == 21 || tcp.DstPort == 21 {
					s.stream[k] = append(s.stream[k], tcp.Payload...)
				}
			case layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
				q, code, hl := ic4.Payload, ic4.TypeCode.Code(), 20
				if lt == layers.LayerTypeICMPv6 {
					q, code, hl = ic6.Payload[4:], ic6.TypeCode.Code(), 40
				}
				qs, qd := q[12:16], q[16:20]
				if hl == 40 {
					qs, qd = q[8:24], q[24:40]
				}
				k := [2]netip.AddrPort{addrPort(qs, binary.BigEndian.Uint16(q[hl:])), addrPort(qd, binary.BigEndian.Uint16(q[hl+2:]))}
				s.icmp[k] = code
			}
		}
	}
	return s
}

// wireText returns the text a channel's announcement put on the wire,
// and which direction carried it.
func wireText(t *testing.T, c channelTruth) (string, bool) {
	t.Helper()
	ap := netip.MustParseAddrPort(c.Announced)
	switch c.Method {
	case "PORT":
		return "PORT " + encodeHostPort(ap) + "\r\n", true
	case "EPRT":
		return "EPRT " + encodeActive("EPRT", ap) + "\r\n", true
	case "PASV":
		return " " + encodeHostPort(ap), false // with or without parentheses
	case "EPSV":
		return fmt.Sprintf("(|||%d|)", ap.Port()), false
	}
	t.Fatalf("unknown method %q", c.Method)
	return "", false
}

// checkTruth holds every channel of a loss-free capture against the packets.
func checkTruth(t *testing.T, s *seen, tr parsedTruth) {
	t.Helper()
	for _, c := range tr.channels {
		id := fmt.Sprintf("session %d %s %s", c.Session, c.Method, c.Announced)
		cl, sv := netip.MustParseAddrPort(c.Client), netip.MustParseAddrPort(c.Server)
		text, fromClient := wireText(t, c)
		dir := [2]netip.AddrPort{sv, cl}
		if fromClient {
			dir = [2]netip.AddrPort{cl, sv}
		}
		if !bytes.Contains(s.stream[dir], []byte(text)) && !bytes.Contains(s.stream[dir], []byte("("+text[1:]+")")) {
			t.Errorf("%s: announcement %q not in the control connection", id, text)
		}
		if c.Reply != 0 && !bytes.Contains(s.stream[[2]netip.AddrPort{sv, cl}], fmt.Appendf(nil, "\n%d ", c.Reply)) {
			t.Errorf("%s: reply %d not in the control connection", id, c.Reply)
		}
		ann := netip.MustParseAddrPort(c.Announced)
		if c.Connection == nil {
			// Nothing may have tried the announced endpoint.
			for k, n := range s.syn {
				if k[1] == ann {
					t.Errorf("%s: verdict %s but %d SYNs from %v to the announced endpoint", id, c.Verdict, n, k[0])
				}
			}
			if c.Verdict != "not-seen" && c.Verdict != "unused" {
				t.Errorf("%s: verdict %s without a connection", id, c.Verdict)
			}
			continue
		}
		k := [2]netip.AddrPort{netip.MustParseAddrPort(c.Connection.From), netip.MustParseAddrPort(c.Connection.To)}
		back := [2]netip.AddrPort{k[1], k[0]}
		if s.syn[k] != c.SYN {
			t.Errorf("%s: %d SYNs %v -> %v, truth says %d", id, s.syn[k], k[0], k[1], c.SYN)
		}
		switch c.Verdict {
		case "ok":
			if s.synack[back] != 1 || s.payload[k]+s.payload[back] != int(c.Bytes) {
				t.Errorf("%s: ok but %d SYN-ACKs, %d bytes (truth %d)", id, s.synack[back], s.payload[k]+s.payload[back], c.Bytes)
			}
		case "dropped":
			if s.synack[back]+s.rst[back] != 0 {
				t.Errorf("%s: dropped but answered", id)
			}
		case "refused":
			if s.rst[back] != 1 {
				t.Errorf("%s: refused but %d RSTs", id, s.rst[back])
			}
		case "icmp":
			code, ok := s.icmp[k]
			if !ok || c.ICMPCode == nil || int(code) != *c.ICMPCode {
				t.Errorf("%s: icmp but quote found %v code %d", id, ok, code)
			}
		default:
			t.Errorf("%s: verdict %s with a connection", id, c.Verdict)
		}
		if (c.Connection.To != c.Announced) != (c.Matched == "control") {
			t.Errorf("%s: connection to %s, matched %q", id, c.Connection.To, c.Matched)
		}
	}
}

func TestSmallCaptureMatchesTruth(t *testing.T) {
	capture, truth := synth(t, "--sessions", "300", "--max-transfer", "40KB", "--concurrency", "32", "--seed", "7")
	tr := parseTruth(t, truth)
	s := readCapture(t, capture)

	sum := tr.summary
	if len(tr.sessions) != 300 || sum.Sessions != 300 || sum.Channels != len(tr.channels) {
		t.Errorf("%d session objects, summary %d sessions %d channels; %d channel objects", len(tr.sessions), sum.Sessions, sum.Channels, len(tr.channels))
	}
	if int64(s.packets) != sum.Packets || int64(len(capture)) != sum.Bytes {
		t.Errorf("capture holds %d packets in %d bytes; summary says %d, %d", s.packets, len(capture), sum.Packets, sum.Bytes)
	}
	for i := 1; i < len(s.stamps); i++ {
		if s.stamps[i].Before(s.stamps[i-1]) {
			t.Fatalf("packet %d goes back in time", i+1)
		}
	}
	// Every recipe shows up in a few hundred sessions.
	scen := map[string]int{}
	for _, c := range tr.channels {
		scen[c.Scenario]++
	}
	for _, name := range outcomeNames {
		if scen[name] == 0 {
			t.Errorf("no channel of scenario %s", name)
		}
	}
	for _, v := range []string{"ok", "dropped", "refused", "icmp", "not-seen", "unused"} {
		if sum.Verdicts[v] == 0 {
			t.Errorf("no %s channel", v)
		}
	}
	methods := map[string]int{}
	for _, c := range tr.channels {
		methods[c.Method]++
	}
	for _, m := range []string{"PORT", "EPRT", "PASV", "EPSV"} {
		if methods[m] == 0 {
			t.Errorf("no %s channel", m)
		}
	}
	if sum.NAT == 0 || sum.TLSSessions == 0 || sum.IPv6Sessions == 0 || s.tcp6 == 0 || s.udp == 0 {
		t.Errorf("nat %d, tls %d, ipv6 sessions %d, ipv6 segments %d, udp %d: want all > 0", sum.NAT, sum.TLSSessions, sum.IPv6Sessions, s.tcp6, s.udp)
	}
	if sum.FTPPackets*2 > sum.Packets {
		t.Errorf("FTP is %d of %d packets; background should dominate", sum.FTPPackets, sum.Packets)
	}
	// Control connections: one handshake each.
	for _, se := range tr.sessions {
		k := [2]netip.AddrPort{netip.MustParseAddrPort(se.Client), netip.MustParseAddrPort(se.Server)}
		if s.syn[k] != 1 {
			t.Errorf("session %d: %d SYNs on the control connection", se.Session, s.syn[k])
		}
		if se.TLS && !bytes.Contains(s.stream[[2]netip.AddrPort{k[1], k[0]}], []byte("\r\n234 ")) &&
			!bytes.HasPrefix(s.stream[[2]netip.AddrPort{k[1], k[0]}], []byte("234 ")) {
			if !bytes.Contains(s.stream[[2]netip.AddrPort{k[1], k[0]}], []byte("234 ")) {
				t.Errorf("session %d: TLS without a 234", se.Session)
			}
		}
	}
	checkTruth(t, s, tr)
}

func TestDeterministic(t *testing.T) {
	args := []string{"--sessions", "60", "--max-transfer", "20KB", "--loss", "0.01", "--reorder", "0.01", "--seed", "3"}
	c1, t1 := synth(t, args...)
	c2, t2 := synth(t, args...)
	if !bytes.Equal(c1, c2) || !bytes.Equal(t1, t2) {
		t.Error("same seed, different output")
	}
	c3, _ := synth(t, append(args[:len(args)-1:len(args)-1], "4")...)
	if bytes.Equal(c1, c3) {
		t.Error("different seeds, same capture")
	}
}

func TestLossAndReorder(t *testing.T) {
	base := []string{"--sessions", "100", "--max-transfer", "20KB", "--seed", "5"}
	c0, t0 := synth(t, base...)
	clean := parseTruth(t, t0).summary
	if n := readCapture(t, c0).packets; int64(n) != clean.Packets {
		t.Fatalf("clean capture: %d packets, summary %d", n, clean.Packets)
	}

	c1, t1 := synth(t, append(base, "--loss", "0.01")...)
	lossy := parseTruth(t, t1)
	if lossy.summary.Lost == 0 || lossy.summary.Packets+lossy.summary.Lost != clean.Packets {
		t.Errorf("loss: %d written + %d lost, want %d in all", lossy.summary.Packets, lossy.summary.Lost, clean.Packets)
	}
	if n := readCapture(t, c1).packets; int64(n) != lossy.summary.Packets {
		t.Errorf("lossy capture holds %d packets, summary %d", n, lossy.summary.Packets)
	}
	lost, marked := 0, 0
	for _, s := range lossy.sessions {
		lost += s.Lost
		if s.Lossy {
			marked++
		}
	}
	for _, c := range lossy.channels {
		var sess sessionTruth
		for _, s := range lossy.sessions {
			if s.Session == c.Session {
				sess = s
			}
		}
		if c.Lossy != sess.Lossy || c.Lost > sess.Lost {
			t.Errorf("session %d: channel lossy %v lost %d, session lossy %v lost %d", c.Session, c.Lossy, c.Lost, sess.Lossy, sess.Lost)
		}
	}
	if marked == 0 || marked != lossy.summary.LossySessions || int64(lost) > lossy.summary.Lost {
		t.Errorf("%d sessions marked lossy (summary %d), %d packets lost in sessions of %d", marked, lossy.summary.LossySessions, lost, lossy.summary.Lost)
	}
	// The decisions do not depend on the loss: same sessions and verdicts.
	cleanTruth := parseTruth(t, t0)
	if len(cleanTruth.channels) != len(lossy.channels) {
		t.Fatalf("%d channels with loss, %d without", len(lossy.channels), len(cleanTruth.channels))
	}
	for i := range lossy.channels {
		if lossy.channels[i].Announced != cleanTruth.channels[i].Announced || lossy.channels[i].Verdict != cleanTruth.channels[i].Verdict {
			t.Fatalf("channel %d differs with loss", i)
		}
	}

	c2, t2 := synth(t, append(base, "--reorder", "0.05")...)
	re := parseTruth(t, t2).summary
	s := readCapture(t, c2)
	if re.Reordered == 0 || re.Packets != clean.Packets || int64(s.packets) != re.Packets {
		t.Errorf("reorder: %d swapped, %d packets (capture %d), want >0, %d", re.Reordered, re.Packets, s.packets, clean.Packets)
	}
	for i := 1; i < len(s.stamps); i++ {
		if s.stamps[i].Before(s.stamps[i-1]) {
			t.Fatalf("reordered capture: packet %d goes back in time", i+1)
		}
	}
	// Reordering is network reordering: a packet is overtaken by the next
	// one its sender sends, never by the answer to it.
	if s.answerFirst != 0 {
		t.Errorf("reordered capture: %d SYN-ACKs or RSTs before the SYN they answer", s.answerFirst)
	}
	if bytes.Equal(c0, c2) {
		t.Error("reordering changed nothing")
	}
}

func TestFormats(t *testing.T) {
	capture, truth := synth(t, "--sessions", "40", "--max-transfer", "10KB", "--vlan", "100,200", "--pcapng", "--gzip")
	if capture[0] != 0x1f || capture[1] != 0x8b {
		t.Fatal("--gzip wrote no gzip stream")
	}
	s := readCapture(t, capture)
	sum := parseTruth(t, truth).summary
	if int64(s.packets) != sum.Packets || s.vlanTags != 2*s.packets {
		t.Errorf("%d packets (summary %d), %d VLAN tags (want two each)", s.packets, sum.Packets, s.vlanTags)
	}
}

func TestSmallPackets(t *testing.T) {
	capture, truth := synth(t, "--small-packets", "--sessions", "400", "--concurrency", "64")
	tr := parseTruth(t, truth)
	s := readCapture(t, capture)
	if tr.summary.Sessions != 400 || int64(s.packets) != tr.summary.Packets {
		t.Fatalf("%d sessions, %d packets (summary %d)", tr.summary.Sessions, s.packets, tr.summary.Packets)
	}
	if avg := tr.summary.Bytes / tr.summary.Packets; avg > 400 {
		t.Errorf("average packet %d bytes: not small-packet heavy", avg)
	}
	if tr.summary.FTPPackets*2 < tr.summary.Packets {
		t.Errorf("FTP is only %d of %d packets", tr.summary.FTPPackets, tr.summary.Packets)
	}
	for _, c := range tr.channels {
		if c.Bytes > 1500 {
			t.Fatalf("transfer of %d bytes in small-packet mode", c.Bytes)
		}
	}
	checkTruth(t, s, tr)
}

func TestSizeTarget(t *testing.T) {
	capture, truth := synth(t, "--size", "8MB", "--max-transfer", "100KB", "--concurrency", "16")
	sum := parseTruth(t, truth).summary
	if n := len(capture); n < 8e6*0.95 || n > 8e6*1.5 {
		t.Errorf("--size 8MB wrote %d bytes", n)
	}
	if sum.Sessions == 0 || sum.FTPPackets == 0 {
		t.Errorf("no FTP in a size-driven capture: %+v", sum)
	}
	share := float64(sum.FTPPackets) / float64(sum.Packets)
	if share > 0.6 {
		t.Errorf("FTP is %.0f%% of packets; want a small share", 100*share)
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"1GiB", "1.5G", "500MB", "4096", "", "-1", "1e400K", "NaNB", " 7 KB "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && n < 0 {
			t.Errorf("parseSize(%q) = %d", s, n)
		}
	})
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"1GiB": 1 << 30, "1G": 1 << 30, "1GB": 1e9, "500MB": 500e6, "1.5KiB": 1536, "4096": 4096, "10B": 10, " 2 MiB ": 2 << 20,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "-1G", "1XB", "1e30G"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--help"}, 0, "Usage: ftpsynth"},
		{[]string{}, 2, "--out is required"},
		{[]string{"--out", "x", "--loss", "2"}, 2, "--loss"},
		{[]string{"--out", "x", "--vlan", "5000"}, 2, "5000"},
		{[]string{"--out", "x", "--size", "lots"}, 2, "--size"},
		{[]string{"--out", "x", "extra"}, 2, "unexpected argument"},
		{[]string{"--bogus"}, 2, "unknown flag"},
		{[]string{"--out", filepath.Join(t.TempDir(), "no", "such", "dir.pcap"), "--sessions", "1"}, 1, "no such file"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.msg)
		}
	}
}

func TestStdout(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--out", "-", "--sessions", "5", "--max-transfer", "1KB"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if s := readCapture(t, stdout.Bytes()); s.packets == 0 {
		t.Error("nothing written to standard output")
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stderr bytes.Buffer
	code := run(ctx, []string{"--out", filepath.Join(t.TempDir(), "c.pcap"), "--size", "1GiB"}, io.Discard, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "canceled") {
		t.Errorf("canceled run: exit %d, %q", code, stderr.String())
	}
}

// BenchmarkGenerate measures generation speed (bytes of capture per second)
// for the default mix and for small-packet traffic, written to io.Discard.
// MB/cpu-s divides by the CPU time used (both goroutines), which a busy
// machine does not distort.
func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  config
	}{
		{"mixed", config{size: 64 << 20, ftpShare: 0.1, maxTransfer: 1 << 20}},
		{"small-packets", config{sessions: 5000, ftpShare: 0.9, maxTransfer: 1 << 20, small: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := bc.cfg
			cfg.seed, cfg.concurrency, cfg.ipv6Share, cfg.tlsShare = 1, 256, 0.2, 0.05
			cfg.start = time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
			var bytes int64
			cpu0 := cpuTime(b)
			for b.Loop() {
				sum, err := generate(context.Background(), cfg, "-", "", false, false, bufio.NewWriter(io.Discard))
				if err != nil {
					b.Fatal(err)
				}
				bytes = sum.Bytes
			}
			b.SetBytes(bytes)
			b.ReportMetric(float64(bytes)*float64(b.N)/1e6/(cpuTime(b)-cpu0).Seconds(), "MB/cpu-s")
		})
	}
}
