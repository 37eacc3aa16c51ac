package capture

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// fanoutFrame serializes an Ethernet frame (with one 802.1Q tag when vlan is
// not 0) carrying a TCP segment from src to dst, with gopacket, so that the
// header offsets come from somewhere else than the program under test.
func fanoutFrame(t testing.TB, src, dst netip.Addr, vlan uint16) []byte {
	t.Helper()
	eth := &layers.Ethernet{
		SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
	}
	var ip gopacket.NetworkLayer
	ipType := layers.EthernetTypeIPv4
	if src.Is4() {
		ip = &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	} else {
		ipType = layers.EthernetTypeIPv6
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
	}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 21, SYN: true, Seq: 1, Window: 1000}
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
	ls = append(ls, ip.(gopacket.SerializableLayer), tcp, gopacket.Payload("USER x\r\n"))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fanoutVM(t testing.TB, rings int) *bpf.VM {
	t.Helper()
	prog, err := fanoutProgram(rings, 0)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

func runVM(t testing.TB, vm *bpf.VM, frame []byte) int {
	t.Helper()
	got, err := vm.Run(frame)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestFanoutProgramMatchesFanoutRing(t *testing.T) {
	pairs := []struct{ a, b string }{
		{"192.0.2.10", "198.51.100.20"},
		{"10.0.0.1", "10.0.0.2"},
		{"10.0.0.1", "10.0.0.1"},
		{"0.0.0.0", "255.255.255.255"},
		{"2001:db8::1", "2001:db8::2"},
		{"2001:db8:1::10", "fe80::1"},
		{"::ffff:192.0.2.1", "2001:db8::1"}, // IPv4-mapped in an IPv6 header: hashed as IPv6
		{"::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
	}
	for _, rings := range []int{2, 3, 4, 7, 16, 64} {
		vm := fanoutVM(t, rings)
		for _, p := range pairs {
			a, b := netip.MustParseAddr(p.a), netip.MustParseAddr(p.b)
			want := FanoutRing(a, b, rings)
			if rev := FanoutRing(b, a, rings); rev != want {
				t.Errorf("rings %d: FanoutRing(%v, %v) = %d but the other way round %d", rings, a, b, want, rev)
			}
			if want < 0 || want >= rings {
				t.Errorf("rings %d: FanoutRing(%v, %v) = %d, out of range", rings, a, b, want)
			}
			for _, vlan := range []uint16{0, 100} {
				for _, dir := range [][2]netip.Addr{{a, b}, {b, a}} {
					if got := runVM(t, vm, fanoutFrame(t, dir[0], dir[1], vlan)); got != want {
						t.Errorf("rings %d, vlan %d: program gives %d for %v -> %v, FanoutRing %d", rings, vlan, got, dir[0], dir[1], want)
					}
				}
			}
		}
	}
}

// withTags puts VLAN tags with the given TPIDs, outermost first, into an
// untagged Ethernet frame.
func withTags(frame []byte, tpids ...uint16) []byte {
	out := append([]byte(nil), frame[:12]...)
	for i, tpid := range tpids {
		out = append(out, byte(tpid>>8), byte(tpid), 0, byte(10+i))
	}
	return append(out, frame[12:]...)
}

// TestFanoutProgramTwoTags checks QinQ frames (the kernel shows the inner tag
// of a received one, and both tags of one sent without offload) against
// FanoutRing of the addresses the decoder reads from them.
func TestFanoutProgramTwoTags(t *testing.T) {
	dec := newFrameDecoder()
	for _, rings := range []int{2, 3, 8} {
		vm := fanoutVM(t, rings)
		for _, pair := range [][2]string{{"192.0.2.10", "198.51.100.20"}, {"2001:db8::1", "2001:db8:1::2"}} {
			a, b := netip.MustParseAddr(pair[0]), netip.MustParseAddr(pair[1])
			for _, tags := range [][]uint16{{0x88a8, 0x8100}, {0x9100, 0x8100}, {0x8100, 0x8100}, {0x9100}} {
				f := withTags(fanoutFrame(t, b, a, 0), tags...)
				var p Packet
				dec.decode(&p, f, layers.LinkTypeEthernet)
				if p.Kind != KindTCP {
					t.Fatalf("tags %x: decoded as %v", tags, p.Kind)
				}
				want := FanoutRing(p.Src.Addr(), p.Dst.Addr(), rings)
				if got := runVM(t, vm, f); got != want || want != FanoutRing(a, b, rings) {
					t.Errorf("%d rings, tags %x, %v -> %v: program %d, FanoutRing %d", rings, tags, b, a, got, want)
				}
			}
		}
	}
}

func TestFanoutProgramNotIP(t *testing.T) {
	vm := fanoutVM(t, 4)
	arp := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(arp, gopacket.SerializeOptions{FixLengths: true},
		&layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: []byte{2, 0, 0, 0, 0, 1}, SourceProtAddress: []byte{10, 0, 0, 1},
			DstHwAddress: make([]byte, 6), DstProtAddress: []byte{10, 0, 0, 2}}); err != nil {
		t.Fatal(err)
	}
	v4 := fanoutFrame(t, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.99"), 0)
	v6 := fanoutFrame(t, netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::99"), 7)
	three := withTags(fanoutFrame(t, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.99"), 0), 0x88a8, 0x8100, 0x8100)
	for _, c := range []struct {
		name  string
		frame []byte
	}{
		{"arp", arp.Bytes()},
		{"empty", nil},
		{"ethernet header only", v4[:14]},
		{"ipv4 cut before the destination", v4[:14+18]},
		{"ipv6 cut in the source", v6[:18+20]},
		{"three tags", three},
	} {
		if got := runVM(t, vm, c.frame); got != 0 {
			t.Errorf("%s: ring %d, want 0", c.name, got)
		}
	}
	if got := FanoutRing(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), 4); got != 0 {
		t.Errorf("FanoutRing of a mixed pair = %d, want 0", got)
	}
	if got := FanoutRing(netip.Addr{}, netip.Addr{}, 4); got != 0 {
		t.Errorf("FanoutRing of no addresses = %d, want 0", got)
	}
	if got := FanoutRing(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), 1); got != 0 {
		t.Errorf("FanoutRing with one ring = %d, want 0", got)
	}
}

// TestFanoutSpread checks the rings share address pairs evenly: the load of a
// worker follows, and an unmixed hash (the XOR alone, modulo a power of two)
// would put all of a /24's clients of one server that differ only in high
// bits on one ring.
func TestFanoutSpread(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	server := netip.MustParseAddr("203.0.113.21")
	for _, c := range []struct {
		name   string
		client func(i int) netip.Addr
	}{
		{"random", func(int) netip.Addr {
			var b [4]byte
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			return netip.AddrFrom4(b)
		}},
		{"first octet", func(i int) netip.Addr { return netip.AddrFrom4([4]byte{byte(i), 0, 0, 1}) }},
		{"last octet", func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}) }},
		{"ipv6 interface id", func(i int) netip.Addr {
			a := netip.MustParseAddr("2001:db8::").As16()
			a[14], a[15] = byte(i>>8), byte(i)
			return netip.AddrFrom16(a)
		}},
	} {
		for _, rings := range []int{2, 4, 8} {
			n := 256
			count := make([]int, rings)
			for i := range n {
				a := c.client(i)
				s := server
				if a.Is6() {
					s = netip.MustParseAddr("2001:db8:ffff::21")
				}
				count[FanoutRing(a, s, rings)]++
			}
			for r, k := range count {
				if want := n / rings; k < want/2 || k > want*3/2 {
					t.Errorf("%s, %d rings: ring %d has %d of %d pairs (%v)", c.name, rings, r, k, n, count)
				}
			}
		}
	}
}

// TestFanoutProgramKernelOffsets checks that the kernel's program is the
// VM's with every packet offset moved by SKF_LL_OFF, and that both assemble.
func TestFanoutProgramKernelOffsets(t *testing.T) {
	vmProg, err := fanoutProgram(3, 0)
	if err != nil {
		t.Fatal(err)
	}
	kernel, err := fanoutProgram(3, skfLLOff)
	if err != nil {
		t.Fatal(err)
	}
	if len(vmProg) != len(kernel) {
		t.Fatalf("%d and %d instructions", len(vmProg), len(kernel))
	}
	loads := 0
	for i := range kernel {
		k, v := kernel[i], vmProg[i]
		switch ki := k.(type) {
		case bpf.LoadAbsolute:
			ki.Off -= skfLLOff
			k = ki
			loads++
		case bpf.LoadIndirect:
			ki.Off -= skfLLOff
			k = ki
			loads++
		}
		if k != v {
			t.Errorf("instruction %d: kernel %v, VM %v", i, kernel[i], vmProg[i])
		}
	}
	if loads != 3+(4+2)+(2+4*2) { // three EtherTypes; IPv4: 4 for ICMP, one step of two words; IPv6: 2 for ICMPv6, four steps
		t.Errorf("%d packet loads, want 19", loads)
	}
	raw, err := bpf.Assemble(kernel)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 255 {
		t.Errorf("%d instructions", len(raw))
	}
	for _, rings := range []int{0, 1, 1<<16 + 1} {
		if _, err := fanoutProgram(rings, skfLLOff); err == nil {
			t.Errorf("fanoutProgram(%d) gave no error", rings)
		}
	}
}

// FuzzFanoutRing checks, on arbitrary address pairs, that the BPF program and
// FanoutRing agree, in both directions, with no, one or two VLAN tags.
func FuzzFanoutRing(f *testing.F) {
	f.Add([]byte{192, 0, 2, 1}, []byte{198, 51, 100, 2}, uint8(2), uint8(0))
	f.Add(make([]byte, 16), []byte("0123456789abcdef"), uint8(5), uint8(2))
	vms := map[int]*bpf.VM{}
	f.Fuzz(func(t *testing.T, a, b []byte, rings, tags uint8) {
		n := int(rings)%31 + 2
		vm := vms[n]
		if vm == nil {
			vm = fanoutVM(t, n)
			vms[n] = vm
		}
		var x, y netip.Addr
		switch {
		case len(a) >= 16 && len(b) >= 16:
			x, y = netip.AddrFrom16([16]byte(a[:16])), netip.AddrFrom16([16]byte(b[:16]))
		case len(a) >= 4 && len(b) >= 4:
			x, y = netip.AddrFrom4([4]byte(a[:4])), netip.AddrFrom4([4]byte(b[:4]))
		default:
			return
		}
		tpids := [][]uint16{nil, {0x8100}, {0x88a8, 0x8100}}[tags%3]
		want := FanoutRing(x, y, n)
		if rev := FanoutRing(y, x, n); rev != want {
			t.Fatalf("FanoutRing(%v, %v, %d) = %d, reversed %d", x, y, n, want, rev)
		}
		for _, d := range [][2]netip.Addr{{x, y}, {y, x}} {
			if got := runVM(t, vm, withTags(fanoutFrame(t, d[0], d[1], 0), tpids...)); got != want {
				t.Fatalf("%v -> %v, %d rings, tags %x: program %d, FanoutRing %d", d[0], d[1], n, tpids, got, want)
			}
		}
	})
}

// icmpFrame is an ICMP (or ICMPv6) message of type typ from router to the
// quoted segment's source, quoting the first bytes of quoted (an Ethernet
// frame from fanoutFrame). options adds IPv4 options to the outer header;
// moreFragments makes it the first fragment of a datagram.
func icmpFrame(t testing.TB, router netip.Addr, quoted []byte, typ uint8, vlan uint16, options, moreFragments bool) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 3}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}}
	var ls []gopacket.SerializableLayer
	ipType := layers.EthernetTypeIPv4
	if router.Is4() {
		q := quoted[14:]
		to := netip.AddrFrom4([4]byte(q[12:16]))
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: router.AsSlice(), DstIP: to.AsSlice()}
		if options {
			ip.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
		}
		if moreFragments {
			ip.Flags = layers.IPv4MoreFragments
		}
		ls = append(ls, ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 13)}, gopacket.Payload(q[:20+8]))
	} else {
		ipType = layers.EthernetTypeIPv6
		q := quoted[14:]
		to := netip.AddrFrom16([16]byte(q[8:24]))
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv6, SrcIP: router.AsSlice(), DstIP: to.AsSlice()}
		ic := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 1)}
		if err := ic.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		ls = append(ls, ip, ic, gopacket.Payload(append(make([]byte, 4), q[:40+8]...)))
	}
	if vlan != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append([]gopacket.SerializableLayer{eth, &layers.Dot1Q{VLANIdentifier: vlan, Type: ipType}}, ls...)
	} else {
		eth.EthernetType = ipType
		ls = append([]gopacket.SerializableLayer{eth}, ls...)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFanoutProgramICMP checks that an ICMP error goes to the ring of the
// connection it quotes, which is FanoutRing of the decoded ICMPError's
// endpoints, and that other ICMP goes by its own addresses.
func TestFanoutProgramICMP(t *testing.T) {
	c4, s4, r4 := netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("198.51.100.20"), netip.MustParseAddr("203.0.113.1")
	c6, s6, r6 := netip.MustParseAddr("2001:db8::10"), netip.MustParseAddr("2001:db8:1::20"), netip.MustParseAddr("2001:db8:ff::1")
	syn4, syn6 := fanoutFrame(t, c4, s4, 0), fanoutFrame(t, c6, s6, 0)
	dec := newFrameDecoder()
	for _, rings := range []int{2, 3, 5, 8} {
		vm := fanoutVM(t, rings)
		for _, c := range []struct {
			name  string
			frame []byte
			want  int  // the ring
			error bool // decoded as an ICMPError
		}{
			{"unreachable", icmpFrame(t, r4, syn4, 3, 0, false, false), FanoutRing(c4, s4, rings), true},
			{"unreachable, header options", icmpFrame(t, r4, syn4, 3, 0, true, false), FanoutRing(c4, s4, rings), true},
			{"time exceeded, tagged", icmpFrame(t, r4, syn4, 11, 9, false, false), FanoutRing(c4, s4, rings), true},
			{"parameter problem", icmpFrame(t, r4, syn4, 12, 0, false, false), FanoutRing(c4, s4, rings), true},
			{"echo reply", icmpFrame(t, r4, syn4, 0, 0, false, false), FanoutRing(r4, c4, rings), false},
			{"fragment", icmpFrame(t, r4, syn4, 3, 0, false, true), FanoutRing(r4, c4, rings), false},
			{"v6 unreachable", icmpFrame(t, r6, syn6, 1, 0, false, false), FanoutRing(c6, s6, rings), true},
			{"v6 too big, tagged", icmpFrame(t, r6, syn6, 2, 9, false, false), FanoutRing(c6, s6, rings), true},
			{"v6 time exceeded", icmpFrame(t, r6, syn6, 3, 0, false, false), FanoutRing(c6, s6, rings), true},
			{"v6 parameter problem", icmpFrame(t, r6, syn6, 4, 0, false, false), FanoutRing(c6, s6, rings), true},
			{"v6 echo request", icmpFrame(t, r6, syn6, 128, 0, false, false), FanoutRing(r6, c6, rings), false},
		} {
			if got := runVM(t, vm, c.frame); got != c.want {
				t.Errorf("%d rings, %s: ring %d, want %d", rings, c.name, got, c.want)
			}
			var p Packet
			dec.decode(&p, c.frame, layers.LinkTypeEthernet)
			if (p.Kind == KindICMP) != c.error {
				t.Errorf("%s: decoded as %v", c.name, p.Kind)
			} else if c.error {
				if got := FanoutRing(p.ICMP.Src.Addr(), p.ICMP.Dst.Addr(), rings); got != c.want {
					t.Errorf("%d rings, %s: FanoutRing of the decoded quote %v -> %v is %d, the program's %d", rings, c.name, p.ICMP.Src, p.ICMP.Dst, got, c.want)
				}
			}
		}
	}
}
