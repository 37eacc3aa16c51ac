//go:build linux && cgo

package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/sys/unix"
)

func TestOpenAFPacketRefuses(t *testing.T) {
	for _, c := range []struct {
		cfg   LiveConfig
		rings int
		want  string
	}{
		{LiveConfig{}, 1, "no interface"},
		{LiveConfig{Interface: "any"}, 2, `not "any"`},
		{LiveConfig{Interface: "lo"}, 0, "0 rings"},
		{LiveConfig{Interface: "lo"}, MaxAFPacketRings + 1, "rings: want 1 to"},
		{LiveConfig{Interface: "lo", WriteFile: "x.pcap"}, 1, "(-w)"},
		{LiveConfig{Interface: "ftpscope-none0"}, 2, "no such device"},
		{LiveConfig{Interface: "lo", Filter: "tcp port"}, 2, "not valid BPF"},
	} {
		srcs, err := OpenAFPacket(c.cfg, c.rings)
		if err == nil {
			for _, s := range srcs {
				s.Close()
			}
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("OpenAFPacket(%+v, %d) error %v, want one saying %q", c.cfg, c.rings, err, c.want)
		}
	}
}

func TestRingGeometry(t *testing.T) {
	page := os.Getpagesize()
	for _, c := range []struct {
		cfg       LiveConfig
		minBlocks int
	}{
		{LiveConfig{}, 2},
		{LiveConfig{SnapLen: 1600, BufferSize: 4 << 20}, 4},
		{LiveConfig{SnapLen: 262144, BufferSize: 64 << 20}, 64},
		{LiveConfig{SnapLen: 65535, BufferSize: 1}, 2},
	} {
		block, blocks := ringGeometry(c.cfg)
		snap := c.cfg.SnapLen
		if snap == 0 {
			snap = defaultSnapLen
		}
		if block%page != 0 || block&(block-1) != 0 || block < snap+4096 || blocks < c.minBlocks {
			t.Errorf("ringGeometry(%+v) = %d blocks of %d bytes", c.cfg, blocks, block)
		}
	}
}

// ---------------------------------------------------- namespace test

// afpacketLab is a network namespace the test made, with a veth pair fa0-fa1
// in it, and what the test opened inside: the rings on fa0 and a sender on
// each end.
type afpacketLab struct {
	ns    string
	rings []Source
	send  [2]int              // AF_PACKET sockets sending on fa0 and fa1
	mac   [2]net.HardwareAddr // fa0's and fa1's
}

// namespaceGate skips the test unless it may make namespaces (root, the ip
// tool); FTPSCOPE_LIVE_TEST=1 turns a missing prerequisite into a failure,
// as in cmd/ftpscope's live tests.
func namespaceGate(t *testing.T) {
	t.Helper()
	mode := os.Getenv("FTPSCOPE_LIVE_TEST")
	if mode == "0" {
		t.Skip("FTPSCOPE_LIVE_TEST=0")
	}
	if testing.Short() && mode != "1" {
		t.Skip("network namespace test (-short)")
	}
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		missing = append(missing, "the ip tool")
	}
	if len(missing) == 0 {
		return
	}
	if mode == "1" {
		t.Fatalf("FTPSCOPE_LIVE_TEST=1 but missing: %s", strings.Join(missing, ", "))
	}
	t.Skipf("AF_PACKET namespace test needs %s (FTPSCOPE_LIVE_TEST=1 makes this a failure)", strings.Join(missing, ", "))
}

func labRun(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newAFPacketLab makes the namespace and opens rings rings on fa0 with cfg
// (Interface is set here) inside it. The sockets are made by a thread that
// entered the namespace and then dies with it (its goroutine ends locked), so
// no other goroutine ever runs in the namespace; sockets keep the
// namespace they were made in.
func newAFPacketLab(t *testing.T, tag string, cfg LiveConfig, rings int) *afpacketLab {
	t.Helper()
	namespaceGate(t)
	l := &afpacketLab{ns: fmt.Sprintf("fsa%d%s", os.Getpid()%100000, tag), send: [2]int{-1, -1}}
	exec.Command("ip", "netns", "del", l.ns).Run() // a leftover of a killed run
	labRun(t, "ip", "netns", "add", l.ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.ns).Run() })
	// A quiet link: no IPv6 autoconfiguration or router solicitations.
	labRun(t, "ip", "netns", "exec", l.ns, "sh", "-c",
		"echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6")
	labRun(t, "ip", "-n", l.ns, "link", "add", "fa0", "type", "veth", "peer", "name", "fa1")
	for _, dev := range []string{"lo", "fa0", "fa1"} {
		labRun(t, "ip", "-n", l.ns, "link", "set", dev, "up")
	}

	cfg.Interface = "fa0"
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		errc <- l.openInside(cfg, rings)
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, fd := range l.send {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	})
	return l
}

func (l *afpacketLab) openInside(cfg LiveConfig, rings int) error {
	ns, err := os.Open("/run/netns/" + l.ns)
	if err != nil {
		return err
	}
	defer ns.Close()
	if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns %s: %w", l.ns, err)
	}
	for i, name := range []string{"fa0", "fa1"} {
		ifc, err := net.InterfaceByName(name)
		if err != nil {
			return err
		}
		l.mac[i] = ifc.HardwareAddr
		// Protocol 0: the sender receives nothing.
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("sender on %s: %w", name, err)
		}
		l.send[i] = fd
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifc.Index}); err != nil {
			return fmt.Errorf("bind the sender to %s: %w", name, err)
		}
	}
	l.rings, err = OpenAFPacket(cfg, rings)
	return err
}

// inject sends a frame out of fa0 (end 0: the rings see it leave) or fa1
// (end 1: the rings see it arrive); the two are different paths through the
// kernel.
func (l *afpacketLab) inject(t *testing.T, end int, frame []byte) {
	t.Helper()
	if _, err := unix.Write(l.send[end], frame); err != nil {
		t.Fatalf("send on fa%d: %v", end, err)
	}
}

// ringFrame is an Ethernet frame from end (0: fa0, 1: fa1) to the other
// with a TCP segment whose sequence number identifies it, and one 802.1Q
// tag when vlan is not 0.
func (l *afpacketLab) ringFrame(t *testing.T, end int, src, dst netip.AddrPort, seq uint32, vlan uint16, payload int) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: l.mac[end], DstMAC: l.mac[1-end]}
	var ip gopacket.NetworkLayer
	ipType := layers.EthernetTypeIPv4
	if src.Addr().Is4() {
		ip = &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	} else {
		ipType = layers.EthernetTypeIPv6
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()), ACK: true, Seq: seq, Window: 1000}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	ls := []gopacket.SerializableLayer{eth}
	if vlan != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: vlan, Type: ipType})
	} else {
		eth.EthernetType = ipType
	}
	ls = append(ls, ip.(gopacket.SerializableLayer), tcp, gopacket.Payload(make([]byte, payload)))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// seen is a TCP segment one ring handed out.
type seen struct {
	ring     int
	src, dst netip.AddrPort
	seq      uint32
	icmp     bool // an ICMP error: src, dst and seq are the quoted segment's
	capLen   int
	length   int
	snapped  bool
}

// collect reads every ring on a goroutine of its own for d (or until want
// segments came, when want is positive), closes the rings and returns the segments and each
// ring's final Stats. idle counts the read timeouts.
func (l *afpacketLab) collect(t *testing.T, want int, d time.Duration) (got []seen, stats []Stats, idle int) {
	t.Helper()
	var mu sync.Mutex
	done := make(chan struct{})
	var once sync.Once
	deadline := time.After(d)
	stats = make([]Stats, len(l.rings))
	var wg sync.WaitGroup
	for r, src := range l.rings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { stats[r] = src.Stats(); src.Close() }()
			for {
				select {
				case <-done:
					return
				default:
				}
				p, err := src.Next()
				switch {
				case errors.Is(err, ErrTimeout):
					mu.Lock()
					idle++
					mu.Unlock()
					continue
				case err == io.EOF:
					return
				case err != nil:
					t.Errorf("ring %d: %v", r, err)
					return
				}
				sn := seen{ring: r, src: p.Src, dst: p.Dst, seq: p.Seq, capLen: p.CapLen, length: p.Len, snapped: p.PayloadLen > len(p.Payload)}
				switch p.Kind {
				case KindTCP:
				case KindICMP:
					sn.icmp, sn.src, sn.dst, sn.seq = true, p.ICMP.Src, p.ICMP.Dst, p.ICMP.Seq
				default:
					continue
				}
				mu.Lock()
				got = append(got, sn)
				if want > 0 && len(got) >= want {
					once.Do(func() { close(done) })
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-done:
	case <-deadline:
		once.Do(func() { close(done) })
	}
	wg.Wait()
	return got, stats, idle
}

// TestAFPacketFanout opens two rings on one end of a veth pair, sends TCP
// segments of many IPv4 and IPv6 address pairs both ways, half leaving fa0
// and half arriving on it (the kernel's transmit and receive paths show the
// fanout program different things), some with one VLAN tag, some with two, each pair on
// many port pairs, with an ICMP error from a router quoting one of them, and
// checks that every segment arrives once in all, every address pair wholly in
// one ring (the ICMP errors too), the ring FanoutRing names.
func TestAFPacketFanout(t *testing.T) {
	for _, rings := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d rings", rings), func(t *testing.T) { testAFPacketFanout(t, rings) })
	}
}

func testAFPacketFanout(t *testing.T, rings int) {
	l := newAFPacketLab(t, fmt.Sprintf("f%d", rings), LiveConfig{Promiscuous: true, BufferSize: 4 << 20, Timeout: 100 * time.Millisecond}, rings)
	rng := rand.New(rand.NewPCG(16, 2))
	type pair struct{ a, b netip.Addr }
	var pairs []pair
	for i := range 96 {
		if i%2 == 0 {
			var a, b [4]byte
			for j := range 4 {
				a[j], b[j] = byte(rng.Uint32()), byte(rng.Uint32())
			}
			pairs = append(pairs, pair{netip.AddrFrom4(a), netip.AddrFrom4(b)})
		} else {
			a, b := netip.MustParseAddr("2001:db8::").As16(), netip.MustParseAddr("2001:db8:1::").As16()
			for j := 8; j < 16; j++ {
				a[j], b[j] = byte(rng.Uint32()), byte(rng.Uint32())
			}
			pairs = append(pairs, pair{netip.AddrFrom16(a), netip.AddrFrom16(b)})
		}
	}
	const perPair = 8
	sent := map[uint32]pair{}
	seq := uint32(1000)
	for _, p := range pairs {
		for k := range perPair {
			seq++
			src := netip.AddrPortFrom(p.a, uint16(20000+rng.IntN(40000)))
			dst := netip.AddrPortFrom(p.b, 21)
			if k%2 == 1 { // the other direction
				src, dst = dst, src
			}
			var vlan uint16
			if k%4 >= 2 {
				vlan = 100
			}
			end := (k / 2) % 2 // both directions through both kernel paths
			if k >= 4 {
				end = 1 - end
			}
			f := l.ringFrame(t, end, src, dst, seq, vlan, 40)
			if k == 5 || k == 7 { // QinQ, arriving and leaving
				f = withTags(l.ringFrame(t, end, src, dst, seq, 0, 40), 0x88a8, 0x8100)
			}
			l.inject(t, end, f)
			sent[seq] = p
		}
		// A router refuses a connection of the pair.
		seq++
		router := netip.MustParseAddr("203.0.113.1")
		if p.a.Is6() {
			router = netip.MustParseAddr("2001:db8:ff::1")
		}
		end := int(seq % 2)
		quoted := l.ringFrame(t, end, netip.AddrPortFrom(p.a, 40000), netip.AddrPortFrom(p.b, 21), seq, 0, 0)
		l.inject(t, end, icmpFrame(t, router, quoted, map[bool]uint8{false: 3, true: 1}[p.a.Is6()], uint16(end*5), false, false))
		sent[seq] = p
	}
	// All of it, and then a while, to catch a segment arriving twice.
	got, stats, _ := l.collect(t, 0, 3*time.Second)

	count := map[uint32]int{}
	ringOf := map[pair]map[int]int{}
	perRing := make([]int, rings)
	icmps := 0
	for _, s := range got {
		p, ours := sent[s.seq]
		if !ours {
			continue
		}
		count[s.seq]++
		perRing[s.ring]++
		if s.icmp {
			icmps++
		}
		if (s.src.Addr() != p.a || s.dst.Addr() != p.b) && (s.src.Addr() != p.b || s.dst.Addr() != p.a) {
			t.Errorf("segment %d: %v -> %v, sent between %v and %v", s.seq, s.src, s.dst, p.a, p.b)
		}
		if ringOf[p] == nil {
			ringOf[p] = map[int]int{}
		}
		ringOf[p][s.ring]++
	}
	for sq := range sent {
		if count[sq] != 1 {
			t.Errorf("segment %d arrived %d times, want once", sq, count[sq])
		}
	}
	for _, p := range pairs {
		want := FanoutRing(p.a, p.b, rings)
		if rs := ringOf[p]; len(rs) != 1 || rs[want] != perPair+1 {
			t.Errorf("pair %v-%v: rings %v, want all %d segments and the ICMP error in ring %d", p.a, p.b, rs, perPair, want)
		}
	}
	if icmps != len(pairs) {
		t.Errorf("%d ICMP errors decoded, %d sent", icmps, len(pairs))
	}
	for r, st := range stats {
		t.Logf("ring %d: %d of our %d segments and ICMP errors; Stats: %d packets, %d received, %d dropped by the kernel", r, perRing[r], len(sent), st.Packets, st.Received, st.KernelDropped)
		if perRing[r] == 0 {
			t.Errorf("ring %d got none of %d pairs", r, len(pairs))
		}
		if !st.Live || st.Packets < uint64(perRing[r]) || st.Received < st.Packets || st.KernelDropped != 0 {
			t.Errorf("ring %d: Stats %+v, after %d segments", r, st, perRing[r])
		}
	}
}

// TestAFPacketOneRing checks what one ring makes of LiveConfig: the filter
// (compiled by libpcap) and snap length apply, tags the kernel took out are
// put back (the frame's length is what was sent, and the tag is on top of the
// snap length, as with libpcap), and an idle ring times out.
func TestAFPacketOneRing(t *testing.T) {
	l := newAFPacketLab(t, "o", LiveConfig{Filter: "tcp dst port 2121", SnapLen: 80, Timeout: 100 * time.Millisecond}, 1)
	a := netip.MustParseAddrPort("192.0.2.1:40000")
	b := netip.MustParseAddrPort("198.51.100.2:2121")
	other := netip.MustParseAddrPort("198.51.100.2:21")
	// The frames the filter passes: their captured lengths and lengths.
	type lens struct{ capLen, length int }
	want := map[uint32]lens{}
	for i, c := range []struct {
		end  int
		dst  netip.AddrPort
		vlan uint16
		pass bool
	}{
		{0, b, 0, true},
		{1, b, 0, true},
		{0, other, 0, false},
		// Arriving, the tag is out of the frame before the filter runs.
		{1, b, 7, true},
		{1, other, 7, false},
		// Leaving with the tag in the frame (no offload), the filter
		// sees it and, saying nothing of VLANs, does not match: libpcap's
		// does the same.
		{0, b, 7, false},
	} {
		f := l.ringFrame(t, c.end, a, c.dst, uint32(i+1), c.vlan, 200)
		if c.pass {
			w := lens{80, len(f)}
			if c.vlan != 0 {
				w.capLen += 4
			}
			want[uint32(i+1)] = w
		}
		l.inject(t, c.end, f)
	}
	// A while past the last frame, for the idle ring to time out.
	got, stats, idle := l.collect(t, 0, 1500*time.Millisecond)
	if len(got) != len(want) {
		t.Fatalf("%d segments, want %d: %+v", len(got), len(want), got)
	}
	var bytes uint64
	for _, s := range got {
		if w := want[s.seq]; s.dst != b || s.capLen != w.capLen || s.length != w.length || !s.snapped {
			t.Errorf("segment %+v: want to %v, %d of %d bytes captured, payload cut", s, b, w.capLen, w.length)
		}
		bytes += uint64(s.capLen)
	}
	st := stats[0]
	if st.Packets != uint64(len(want)) || st.Bytes != bytes || st.Snapped != uint64(len(want)) || !st.Live {
		t.Errorf("Stats %+v", st)
	}
	if idle == 0 {
		t.Errorf("no read timeout on an idle ring")
	}
}

// TestAFPacketKernelDrops fills a small ring before reading it: the kernel
// drops what does not fit, and Stats counts it, across the socket's
// statistics resetting every time they are read.
func TestAFPacketKernelDrops(t *testing.T) {
	cfg := LiveConfig{SnapLen: 1600, BufferSize: 1, Timeout: 100 * time.Millisecond}
	l := newAFPacketLab(t, "d", cfg, 1)
	block, blocks := ringGeometry(cfg)
	a := netip.MustParseAddrPort("192.0.2.1:40000")
	b := netip.MustParseAddrPort("198.51.100.2:21")
	const sent = 2000
	var early Stats
	for i := range sent {
		l.inject(t, 1, l.ringFrame(t, 1, a, b, uint32(i+1), 0, 300))
		if i == sent/2 {
			early = l.rings[0].Stats() // read, and so reset, the socket's counters
		}
	}
	got, stats, _ := l.collect(t, 0, time.Second)
	st := stats[0]
	t.Logf("%d sent into a ring of %d blocks of %d bytes: %d read, %d received, %d dropped by the kernel (%d dropped when half was sent)",
		sent, blocks, block, len(got), st.Received, st.KernelDropped, early.KernelDropped)
	if early.KernelDropped == 0 || st.KernelDropped <= early.KernelDropped {
		t.Errorf("kernel drops %d half-way, %d at the end: want some, growing", early.KernelDropped, st.KernelDropped)
	}
	if st.Packets != uint64(len(got)) || st.Received != st.Packets+st.KernelDropped || st.Received < sent {
		t.Errorf("Stats: %d packets, %d received, %d dropped; %d read of %d sent", st.Packets, st.Received, st.KernelDropped, len(got), sent)
	}
}
