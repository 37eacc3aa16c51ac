// Package craft writes hand-made packets and captures for tests and for the
// capture synthesizer (cmd/ftpsynth): TCP segments, whole TCP connections with
// their own sequence bookkeeping, UDP datagrams and the ICMP errors a firewall
// sends back, framed in any link type ftpscope reads (Ethernet with or without
// VLAN tags, raw IP, Linux SLL and SLL2, BSD null loopback) and written as pcap
// (microsecond or nanosecond) or pcapng.
//
// Everything is deterministic: timestamps come from the caller, initial
// sequence numbers are derived from the endpoints, MAC addresses from the IP
// addresses, IPv4 identifications from a per-writer counter. The same calls
// always give the same bytes, so captures can be golden files.
//
// Packets are built with gopacket's SerializeLayers (FixLengths and
// ComputeChecksums), so lengths and checksums are valid unless a test asks
// for a bad checksum on purpose.
//
// Writers record the first error they meet and keep it: the Conn helpers
// return nothing, and Flush reports what went wrong. A test writes its
// conversation and checks one error at the end.
package craft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Link is the link-layer framing of a capture.
type Link uint8

// The link types a Writer can frame packets in.
const (
	// Ethernet is DLT_EN10MB, optionally with 802.1Q/802.1ad tags (WithVLAN).
	Ethernet Link = iota
	// RawIP is LINKTYPE_RAW (101): the frame starts with the IP header.
	RawIP
	// SLL is Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113).
	SLL
	// SLL2 is Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276), what
	// `tcpdump -i any` writes today.
	SLL2
	// Null is BSD loopback (LINKTYPE_NULL, 0): a 4-byte address family in
	// host (here little-endian) byte order.
	Null
)

// String names the link type.
func (l Link) String() string {
	switch l {
	case Ethernet:
		return "ethernet"
	case RawIP:
		return "raw"
	case SLL:
		return "sll"
	case SLL2:
		return "sll2"
	case Null:
		return "null"
	}
	return fmt.Sprintf("link(%d)", uint8(l))
}

// LinkType is the pcap link type written in the file header for l.
func (l Link) LinkType() layers.LinkType {
	switch l {
	case RawIP:
		return layers.LinkTypeRaw
	case SLL:
		return layers.LinkTypeLinuxSLL
	case SLL2:
		return layers.LinkTypeLinuxSLL2
	case Null:
		return layers.LinkTypeNull
	}
	return layers.LinkTypeEthernet
}

// Flags is a set of TCP control bits. The values are the bits of the TCP
// header's flag byte, the same as capture.TCPFlags, so a test can convert
// with capture.TCPFlags(f).
type Flags uint8

// TCP control bits.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
)

// String writes the flags tcpdump-style: "S", "SA", "FA", "R", "." for none.
func (f Flags) String() string {
	var b []byte
	for _, c := range []struct {
		bit Flags
		ch  byte
	}{{SYN, 'S'}, {FIN, 'F'}, {RST, 'R'}, {PSH, 'P'}, {URG, 'U'}, {ACK, 'A'}} {
		if f&c.bit != 0 {
			b = append(b, c.ch)
		}
	}
	if len(b) == 0 {
		return "."
	}
	return string(b)
}

// Segment describes one TCP segment in full. Writer.TCP covers the common
// case; Segment is for tests that need the rarer knobs.
type Segment struct {
	Src, Dst netip.AddrPort
	Flags    Flags
	Seq, Ack uint32
	// Window is the advertised window; zero means DefaultWindow, except on
	// RST segments, which carry a zero window as real stacks send them.
	Window uint16
	// MSS, when non-zero, adds an MSS option (as SYNs and SYN-ACKs carry).
	MSS     uint16
	Payload []byte
	// TTL is the IPv4 TTL or IPv6 hop limit; zero means 64.
	TTL uint8
	// IPID is the IPv4 identification; zero means a hash of the segment's
	// ports, flags and sequence numbers, so an ICMP error quoting the
	// segment quotes the same header that was sent.
	IPID uint16
	// BadChecksum writes a TCP checksum that is off by one, for tests of
	// hostile or offloaded captures.
	BadChecksum bool
}

// DefaultWindow is the TCP window written when a Segment leaves it zero.
const DefaultWindow = 64240

// ICMP codes for destination-unreachable messages that firewalls send.
const (
	CodeHostUnreachable4 uint8 = 1  // ICMPv4 type 3: host unreachable
	CodePortUnreachable4 uint8 = 3  // ICMPv4 type 3: port unreachable (iptables' default REJECT)
	CodeHostProhibited4  uint8 = 10 // ICMPv4 type 3: host administratively prohibited
	CodeAdminProhibited4 uint8 = 13 // ICMPv4 type 3: communication administratively prohibited
	CodeAdminProhibited6 uint8 = 1  // ICMPv6 type 1: communication administratively prohibited
	CodeAddrUnreachable6 uint8 = 3  // ICMPv6 type 1: address unreachable
	CodePortUnreachable6 uint8 = 4  // ICMPv6 type 1: port unreachable
	CodeRejectRoute6     uint8 = 6  // ICMPv6 type 1: reject route to destination
)

// AdminProhibited returns the "administratively prohibited" code of the
// family of a: 13 for ICMPv4, 1 for ICMPv6. nftables' "reject with
// icmpx admin-prohibited" sends these.
func AdminProhibited(a netip.Addr) uint8 {
	if a.Unmap().Is4() {
		return CodeAdminProhibited4
	}
	return CodeAdminProhibited6
}

// Option configures a Writer.
type Option func(*config) error

type config struct {
	link   Link
	vlans  []uint16
	snap   int
	nanos  bool
	ng     bool
	ifname string
}

// WithLink frames packets in the given link type (default Ethernet).
func WithLink(l Link) Option {
	return func(c *config) error {
		if l > Null {
			return fmt.Errorf("unknown link type %d", l)
		}
		c.link = l
		return nil
	}
}

// WithVLAN adds VLAN tags to Ethernet frames, outermost first. One tag is
// 802.1Q (0x8100); with several, the outer ones use the 802.1ad QinQ type
// (0x88a8) and the innermost 0x8100, as provider bridges do.
func WithVLAN(ids ...uint16) Option {
	return func(c *config) error {
		for _, id := range ids {
			if id > 0xfff {
				return fmt.Errorf("vlan id %d out of range 0-4095", id)
			}
		}
		c.vlans = append([]uint16(nil), ids...)
		return nil
	}
}

// WithSnapLen cuts every frame to n bytes, as `tcpdump -s n` does; the
// original length is kept in the record header. Zero means 262144.
func WithSnapLen(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("negative snap length %d", n)
		}
		c.snap = n
		return nil
	}
}

// WithNanoseconds writes a nanosecond-resolution pcap (magic a1b23c4d).
// pcapng files always carry nanoseconds.
func WithNanoseconds() Option {
	return func(c *config) error { c.nanos = true; return nil }
}

// WithPcapNG writes pcapng instead of pcap. More interfaces, possibly with
// other link types, can be added with Writer.AddInterface.
func WithPcapNG() Option {
	return func(c *config) error { c.ng = true; return nil }
}

// WithInterfaceName names the pcapng interface (default "craft0").
func WithInterfaceName(name string) Option {
	return func(c *config) error { c.ifname = name; return nil }
}

// defaultSnap is tcpdump's default snap length.
const defaultSnap = 262144

// sink is what frames go to: the pcap writer or the shared pcapng writer.
type sink struct {
	pcap   *pcapgo.Writer
	ng     *pcapgo.NgWriter
	err    error // first error met; sticky
	ipid   uint16
	ifaces int // pcapng interfaces so far
	count  int
	bytes  int64
}

// Writer writes hand-made packets into a capture. It is not safe for
// concurrent use. Frames are written straight through to the io.Writer given
// to NewWriter (wrap it in a bufio.Writer for speed, and call Flush at the end;
// pcapng output is buffered by gopacket and also needs Flush).
type Writer struct {
	cfg   config
	s     *sink
	iface int

	buf   gopacket.SerializeBuffer
	qbuf  gopacket.SerializeBuffer // the quoted packet inside ICMP errors
	stack []gopacket.SerializableLayer

	eth   layers.Ethernet
	dot1q [4]layers.Dot1Q
	sll   linuxSLL
	sll2  linuxSLL2
	loop  layers.Loopback
	ip4   layers.IPv4
	ip6   layers.IPv6
	tcp   layers.TCP
	udp   layers.UDP
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6
	mss   [1]layers.TCPOption
	mssb  [2]byte
	a4    [2][4]byte
	a16   [2][16]byte
	mac   [2][6]byte
	pat   []byte // Bulk payload pattern
}

// NewWriter writes a capture file header to w and returns a Writer for its
// packets.
func NewWriter(w io.Writer, opts ...Option) (*Writer, error) {
	cfg := config{ifname: "craft0"}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if len(cfg.vlans) > 0 && cfg.link != Ethernet {
		return nil, fmt.Errorf("vlan tags need ethernet framing, not %v", cfg.link)
	}
	if len(cfg.vlans) > len((*Writer)(nil).dot1q) {
		return nil, fmt.Errorf("at most %d vlan tags", len((*Writer)(nil).dot1q))
	}
	snap := cfg.snap
	if snap == 0 {
		snap = defaultSnap
	}
	s := &sink{}
	if cfg.ng {
		ng, err := pcapgo.NewNgWriterInterface(w, ngInterface(cfg, snap),
			pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "ftpscope craft"}})
		if err != nil {
			return nil, fmt.Errorf("write pcapng header: %w", err)
		}
		s.ng = ng
		s.ifaces = 1
	} else {
		if cfg.nanos {
			s.pcap = pcapgo.NewWriterNanos(w)
		} else {
			s.pcap = pcapgo.NewWriter(w)
		}
		if err := s.pcap.WriteFileHeader(uint32(snap), cfg.link.LinkType()); err != nil {
			return nil, fmt.Errorf("write pcap header: %w", err)
		}
	}
	return newWriter(cfg, s, 0), nil
}

func ngInterface(cfg config, snap int) pcapgo.NgInterface {
	return pcapgo.NgInterface{
		Name:                cfg.ifname,
		LinkType:            cfg.link.LinkType(),
		SnapLength:          uint32(snap),
		TimestampResolution: 9,
	}
}

func newWriter(cfg config, s *sink, iface int) *Writer {
	w := &Writer{
		cfg:   cfg,
		s:     s,
		iface: iface,
		buf:   gopacket.NewSerializeBufferExpectedSize(128, 2048),
		qbuf:  gopacket.NewSerializeBufferExpectedSize(64, 128),
		stack: make([]gopacket.SerializableLayer, 0, 8),
	}
	w.ip4 = layers.IPv4{Version: 4, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP}
	w.ip6 = layers.IPv6{Version: 6, NextHeader: layers.IPProtocolTCP}
	w.mss[0] = layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: w.mssb[:]}
	return w
}

// AddInterface adds another interface to a pcapng capture and returns a
// Writer for its packets; both Writers share the file, the error and the
// counters. Only the link and VLAN options (and WithInterfaceName, WithSnapLen)
// apply; format options are the file's.
func (w *Writer) AddInterface(opts ...Option) (*Writer, error) {
	if w.s.ng == nil {
		return nil, errors.New("interfaces can only be added to pcapng captures")
	}
	cfg := config{ifname: fmt.Sprintf("craft%d", w.s.ifaces), ng: true}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if len(cfg.vlans) > 0 && cfg.link != Ethernet {
		return nil, fmt.Errorf("vlan tags need ethernet framing, not %v", cfg.link)
	}
	snap := cfg.snap
	if snap == 0 {
		snap = defaultSnap
	}
	id, err := w.s.ng.AddInterface(ngInterface(cfg, snap))
	if err != nil {
		return nil, fmt.Errorf("add pcapng interface: %w", err)
	}
	w.s.ifaces++
	return newWriter(cfg, w.s, id), nil
}

// Flush writes out buffered pcapng data and returns the first error any
// write met. For pcap output it only returns the error: wrap the io.Writer in
// a bufio.Writer and flush that too.
func (w *Writer) Flush() error {
	if w.s.ng != nil {
		if err := w.s.ng.Flush(); err != nil && w.s.err == nil {
			w.s.err = fmt.Errorf("flush pcapng: %w", err)
		}
	}
	return w.s.err
}

// Err returns the first error met so far.
func (w *Writer) Err() error { return w.s.err }

// Packets returns how many frames were written (through all interfaces).
func (w *Writer) Packets() int { return w.s.count }

// Bytes returns how many captured frame bytes were written, without record
// headers.
func (w *Writer) Bytes() int64 { return w.s.bytes }

// Link returns the writer's link type.
func (w *Writer) Link() Link { return w.cfg.link }

// fail records the first error and returns it.
func (w *Writer) fail(err error) error {
	if w.s.err == nil {
		w.s.err = err
	}
	return err
}

// TCP writes one TCP segment.
func (w *Writer) TCP(t time.Time, src, dst netip.AddrPort, flags Flags, seq, ack uint32, payload []byte) error {
	return w.Segment(t, Segment{Src: src, Dst: dst, Flags: flags, Seq: seq, Ack: ack, Payload: payload})
}

// Segment writes one TCP segment described in full.
func (w *Writer) Segment(t time.Time, s Segment) error {
	if w.s.err != nil {
		return w.s.err
	}
	if err := w.buildTCP(w.buf, s, true); err != nil {
		return w.fail(fmt.Errorf("tcp %v > %v: %w", s.Src, s.Dst, err))
	}
	return w.frame(t, s.Src.Addr().Unmap(), s.Dst.Addr().Unmap())
}

// UDP writes one UDP datagram (background DNS in synthesized captures).
func (w *Writer) UDP(t time.Time, src, dst netip.AddrPort, payload []byte) error {
	if w.s.err != nil {
		return w.s.err
	}
	w.udp = layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	st, err := w.ipLayer(w.stack[:0], src.Addr(), dst.Addr(), layers.IPProtocolUDP, 64, 0)
	if err == nil {
		err = w.udp.SetNetworkLayerForChecksum(st[len(st)-1].(gopacket.NetworkLayer))
	}
	if err == nil {
		st = append(st, &w.udp, gopacket.Payload(payload))
		err = gopacket.SerializeLayers(w.buf, serOpts, st...)
	}
	if err != nil {
		return w.fail(fmt.Errorf("udp %v > %v: %w", src, dst, err))
	}
	return w.frame(t, src.Addr().Unmap(), dst.Addr().Unmap())
}

// ICMPError is an ICMP or ICMPv6 error message quoting a TCP segment.
type ICMPError struct {
	// From sends the message (a firewall, a router, or the destination). The
	// message goes to the quoted segment's source. From and the quoted
	// segment must be of the same family: ICMPv4 for IPv4, ICMPv6 for IPv6.
	From netip.Addr
	// Type and Code are the raw ICMP type and code (for example 3/13 for
	// ICMPv4 admin-prohibited, 1/1 for ICMPv6).
	Type, Code uint8
	// Quoted is the offending segment; its IP header and TCP header are
	// quoted as they were (with valid checksums).
	Quoted Segment
	// QuoteTCPBytes cuts the quoted TCP header to this many bytes; zero
	// quotes it whole. RFC 792 only promises 8 (ports and sequence number,
	// no flags).
	QuoteTCPBytes int
	// TTL of the ICMP packet itself; zero means 64.
	TTL uint8
}

// ICMPUnreachable writes a destination-unreachable message from `from` with
// the given code, quoting the segment quoted: ICMPv4 type 3 for IPv4, ICMPv6
// type 1 for IPv6.
func (w *Writer) ICMPUnreachable(t time.Time, from netip.Addr, code uint8, quoted Segment) error {
	typ := uint8(layers.ICMPv4TypeDestinationUnreachable)
	if !from.Unmap().Is4() {
		typ = layers.ICMPv6TypeDestinationUnreachable
	}
	return w.ICMP(t, ICMPError{From: from, Type: typ, Code: code, Quoted: quoted})
}

// ICMP writes an ICMP or ICMPv6 error message quoting a TCP segment.
func (w *Writer) ICMP(t time.Time, e ICMPError) error {
	if w.s.err != nil {
		return w.s.err
	}
	from := e.From.Unmap()
	to := e.Quoted.Src.Addr().Unmap()
	if from.Is4() != to.Is4() {
		return w.fail(fmt.Errorf("icmp from %v quoting %v: address families differ", from, e.Quoted.Src))
	}
	// The quote: the original IP header and (part of) its TCP header.
	q := e.Quoted
	q.Payload = nil
	if err := w.buildTCP(w.qbuf, q, false); err != nil {
		return w.fail(fmt.Errorf("icmp quote of %v > %v: %w", q.Src, q.Dst, err))
	}
	quote := w.qbuf.Bytes()
	if e.QuoteTCPBytes > 0 {
		ipLen := 20
		if !to.Is4() {
			ipLen = 40
		}
		if n := ipLen + e.QuoteTCPBytes; n < len(quote) {
			quote = quote[:n]
		}
	}
	ttl := e.TTL
	if ttl == 0 {
		ttl = 64
	}
	var err error
	var st []gopacket.SerializableLayer
	if from.Is4() {
		w.icmp4 = layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(e.Type, e.Code)}
		st, err = w.ipLayer(w.stack[:0], from, to, layers.IPProtocolICMPv4, ttl, 0)
		st = append(st, &w.icmp4, gopacket.Payload(quote))
	} else {
		w.icmp6 = layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(e.Type, e.Code)}
		st, err = w.ipLayer(w.stack[:0], from, to, layers.IPProtocolICMPv6, ttl, 0)
		if err == nil {
			err = w.icmp6.SetNetworkLayerForChecksum(&w.ip6)
		}
		// Four unused bytes follow the ICMPv6 header of an error message.
		var unused [4]byte
		st = append(st, &w.icmp6, gopacket.Payload(append(unused[:], quote...)))
	}
	if err == nil {
		err = gopacket.SerializeLayers(w.buf, serOpts, st...)
	}
	if err != nil {
		return w.fail(fmt.Errorf("icmp from %v: %w", from, err))
	}
	return w.frame(t, from, to)
}

// Frame writes raw network-layer bytes (an IP packet, possibly malformed)
// framed in the writer's link type, for hostile-input tests; v6 picks the
// EtherType (or address family) of the link header.
func (w *Writer) Frame(t time.Time, ip []byte, v6 bool) error {
	if w.s.err != nil {
		return w.s.err
	}
	src, dst := netip.AddrFrom4([4]byte{192, 0, 2, 1}), netip.AddrFrom4([4]byte{192, 0, 2, 2})
	if v6 {
		src, dst = netip.IPv6Unspecified(), netip.IPv6Unspecified()
	}
	w.buf.Clear()
	b, _ := w.buf.AppendBytes(len(ip))
	copy(b, ip)
	return w.frame(t, src, dst)
}

var serOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

// buildTCP serializes the IP and TCP layers of s into b.
func (w *Writer) buildTCP(b gopacket.SerializeBuffer, s Segment, payload bool) error {
	win := s.Window
	if win == 0 && s.Flags&RST == 0 {
		win = DefaultWindow
	}
	w.tcp = layers.TCP{
		SrcPort: layers.TCPPort(s.Src.Port()),
		DstPort: layers.TCPPort(s.Dst.Port()),
		Seq:     s.Seq,
		Ack:     s.Ack,
		FIN:     s.Flags&FIN != 0,
		SYN:     s.Flags&SYN != 0,
		RST:     s.Flags&RST != 0,
		PSH:     s.Flags&PSH != 0,
		ACK:     s.Flags&ACK != 0,
		URG:     s.Flags&URG != 0,
		Window:  win,
	}
	if s.MSS != 0 {
		binary.BigEndian.PutUint16(w.mssb[:], s.MSS)
		w.tcp.Options = w.mss[:]
	}
	ttl := s.TTL
	if ttl == 0 {
		ttl = 64
	}
	ipid := s.IPID
	if ipid == 0 {
		ipid = segmentID(s)
	}
	st, err := w.ipLayer(w.stack[:0], s.Src.Addr(), s.Dst.Addr(), layers.IPProtocolTCP, ttl, ipid)
	if err != nil {
		return err
	}
	if err := w.tcp.SetNetworkLayerForChecksum(st[len(st)-1].(gopacket.NetworkLayer)); err != nil {
		return err
	}
	st = append(st, &w.tcp)
	if payload && len(s.Payload) > 0 {
		st = append(st, gopacket.Payload(s.Payload))
	}
	if err := gopacket.SerializeLayers(b, serOpts, st...); err != nil {
		return err
	}
	if s.BadChecksum {
		data := b.Bytes()
		off := 20
		if !s.Src.Addr().Unmap().Is4() {
			off = 40
		}
		data[off+16]++ // TCP checksum field
	}
	return nil
}

// ipLayer appends the IPv4 or IPv6 layer for src > dst to st.
func (w *Writer) ipLayer(st []gopacket.SerializableLayer, src, dst netip.Addr, proto layers.IPProtocol, ttl uint8, ipid uint16) ([]gopacket.SerializableLayer, error) {
	src, dst = src.Unmap(), dst.Unmap()
	if !src.IsValid() || !dst.IsValid() {
		return st, fmt.Errorf("invalid address %v or %v", src, dst)
	}
	if src.Is4() != dst.Is4() {
		return st, fmt.Errorf("address families of %v and %v differ", src, dst)
	}
	if src.Is4() {
		if ipid == 0 {
			w.s.ipid++
			ipid = w.s.ipid
		}
		w.a4[0], w.a4[1] = src.As4(), dst.As4()
		w.ip4.SrcIP, w.ip4.DstIP = w.a4[0][:], w.a4[1][:]
		w.ip4.Protocol = proto
		w.ip4.TTL = ttl
		w.ip4.Id = ipid
		return append(st, &w.ip4), nil
	}
	w.a16[0], w.a16[1] = src.As16(), dst.As16()
	w.ip6.SrcIP, w.ip6.DstIP = w.a16[0][:], w.a16[1][:]
	w.ip6.NextHeader = proto
	w.ip6.HopLimit = ttl
	return append(st, &w.ip6), nil
}

// MAC returns the deterministic MAC address craft gives a host: a locally
// administered address (02:...) holding a hash of the IP address.
func MAC(a netip.Addr) [6]byte {
	h := fnv32(a.Unmap().AsSlice())
	return [6]byte{0x02, 0x00, byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}
}

// frame prepends the link layer to the IP packet in w.buf and writes the
// record.
func (w *Writer) frame(t time.Time, src, dst netip.Addr) error {
	v6 := !src.Is4()
	b := w.buf
	var err error
	switch w.cfg.link {
	case Ethernet:
		et := layers.EthernetTypeIPv4
		if v6 {
			et = layers.EthernetTypeIPv6
		}
		for i := len(w.cfg.vlans) - 1; i >= 0; i-- {
			d := &w.dot1q[i]
			*d = layers.Dot1Q{VLANIdentifier: w.cfg.vlans[i], Type: et}
			if err = d.SerializeTo(b, serOpts); err != nil {
				break
			}
			// What precedes tag i: 0x8100 for the innermost, 802.1ad outside it.
			et = layers.EthernetTypeDot1Q
			if i < len(w.cfg.vlans)-1 {
				et = layers.EthernetTypeQinQ
			}
		}
		if err == nil {
			w.mac[0], w.mac[1] = MAC(src), MAC(dst)
			w.eth = layers.Ethernet{SrcMAC: w.mac[0][:], DstMAC: w.mac[1][:], EthernetType: et}
			err = w.eth.SerializeTo(b, serOpts)
		}
	case RawIP:
	case SLL:
		w.sll = linuxSLL{proto: layers.EthernetTypeIPv4, addr: MAC(src)}
		if v6 {
			w.sll.proto = layers.EthernetTypeIPv6
		}
		err = w.sll.SerializeTo(b, serOpts)
	case SLL2:
		w.sll2 = linuxSLL2{proto: layers.EthernetTypeIPv4, ifindex: 2, addr: MAC(src)}
		if v6 {
			w.sll2.proto = layers.EthernetTypeIPv6
		}
		err = w.sll2.SerializeTo(b, serOpts)
	case Null:
		w.loop = layers.Loopback{Family: layers.ProtocolFamilyIPv4}
		if v6 {
			w.loop.Family = layers.ProtocolFamilyIPv6BSD
		}
		err = w.loop.SerializeTo(b, serOpts)
	}
	if err != nil {
		return w.fail(fmt.Errorf("link layer %v: %w", w.cfg.link, err))
	}
	data := b.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: t, Length: len(data), CaptureLength: len(data), InterfaceIndex: w.iface}
	snap := w.cfg.snap
	if snap > 0 && len(data) > snap {
		data = data[:snap]
		ci.CaptureLength = snap
	}
	if w.s.ng != nil {
		err = w.s.ng.WritePacket(ci, data)
	} else {
		err = w.s.pcap.WritePacket(ci, data)
	}
	if err != nil {
		return w.fail(fmt.Errorf("write packet %d: %w", w.s.count+1, err))
	}
	w.s.count++
	w.s.bytes += int64(len(data))
	return nil
}

// segmentID derives a non-zero IPv4 identification from a segment.
func segmentID(s Segment) uint16 {
	h := s.Seq*2654435761 ^ s.Ack*40503 ^ uint32(s.Src.Port())<<16 ^ uint32(s.Dst.Port()) ^ uint32(s.Flags)<<8
	id := uint16(h>>16) ^ uint16(h)
	if id == 0 {
		id = 1
	}
	return id
}

// fnv32 is FNV-1a, used to derive MACs and initial sequence numbers.
func fnv32(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}
