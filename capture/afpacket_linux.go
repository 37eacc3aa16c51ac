//go:build linux && cgo

package capture

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// OpenAFPacket captures on cfg.Interface through rings AF_PACKET sockets,
// each with a TPACKET_V3 ring of its own, and returns one Source per ring,
// to be read by one goroutine each. With more than one ring the sockets form
// one fanout group (PACKET_FANOUT_CBPF) whose program sends every packet to
// the ring FanoutRing names for its IP addresses, so that all the packets
// between two hosts, an FTP session's control and data connections in both
// directions, are in one ring; frames that are not IP go to ring 0. The
// group's id is the kernel's (PACKET_FANOUT_FLAG_UNIQUEID), so it never
// joins another capture's group.
//
// Each Source behaves as OpenLive's: Next blocks at most cfg.Timeout and
// then returns ErrTimeout, io.EOF after Close; the frames are decoded as
// libpcap's are (VLAN tags the kernel took out are put back, as libpcap
// does); Stats has Live set and the ring's own kernel counters (Received,
// KernelDropped, accumulated over the socket's reset-on-read statistics).
// The totals of a capture are the sum over its rings.
//
// Of LiveConfig it honours Interface (an Ethernet or loopback device; not
// "any"), SnapLen, Promiscuous, Filter (compiled by libpcap for Ethernet and
// attached to each socket; the kernel takes VLAN tags out before the filter
// sees them, so "vlan" primitives match nothing), BufferSize (the size of
// each ring) and Timeout. It refuses WriteFile: the -w file is libpcap
// capture's for now.
//
// While the group is being formed, before OpenAFPacket returns, a ring
// drops everything until it has joined (a socket not yet in the group would
// see every packet); packets of those microseconds may be missed, or be in a
// ring their addresses do not hash to.
func OpenAFPacket(cfg LiveConfig, rings int) ([]Source, error) {
	switch {
	case cfg.Interface == "":
		return nil, errors.New("AF_PACKET capture: no interface given")
	case cfg.Interface == "any":
		return nil, errors.New(`AF_PACKET capture: it reads one interface, not "any" (libpcap capture can)`)
	case rings < 1 || rings > MaxAFPacketRings:
		return nil, fmt.Errorf("AF_PACKET capture on %s: %d rings: want 1 to %d", cfg.Interface, rings, MaxAFPacketRings)
	case cfg.WriteFile != "":
		return nil, fmt.Errorf("AF_PACKET capture on %s: writing the packets (-w) is done by libpcap capture only", cfg.Interface)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultLiveTimeout
	}
	if err := checkEthernet(cfg.Interface); err != nil {
		return nil, err
	}
	filter, err := afpacketFilter(cfg)
	if err != nil {
		return nil, err
	}
	var fanout []unix.SockFilter
	if rings > 1 {
		prog, err := fanoutProgram(rings, skfLLOff)
		if err != nil {
			return nil, err
		}
		raw, err := bpf.Assemble(prog)
		if err != nil {
			return nil, fmt.Errorf("AF_PACKET capture: fanout program: %w", err)
		}
		fanout = sockFilters(raw)
	}

	var out []Source
	var tps []*afpacket.TPacket
	fail := func(err error) ([]Source, error) {
		for _, tp := range tps {
			tp.Close()
		}
		return nil, fmt.Errorf("AF_PACKET capture on %s: %w", cfg.Interface, err)
	}
	var group uint16
	for i := range rings {
		tp, fd, err := openRing(cfg)
		if err != nil {
			return fail(err)
		}
		tps = append(tps, tp)
		if rings > 1 {
			if i == 0 {
				group, err = createFanout(tp, fd, fanout)
			} else {
				err = tp.SetFanout(afpacket.FanoutCBPF, group)
			}
			if err != nil {
				return fail(fmt.Errorf("ring %d: fanout group: %w", i, err))
			}
		}
		// Now that the ring is in the group, its own filter replaces the
		// one that dropped everything while it was not.
		if err := tp.SetBPF(filter); err != nil {
			return fail(fmt.Errorf("ring %d: capture filter: %w", i, err))
		}
	}
	for _, tp := range tps {
		out = append(out, &afpacketSource{liveFrames: newLiveFrames(cfg.Interface), tp: tp, tick: time.Now()})
	}
	return out, nil
}

// checkEthernet makes sure the interface exists and frames on it are
// Ethernet, the one framing the fanout program reads. The ioctl runs on a
// socket of this thread's network namespace, as the rings are.
func checkEthernet(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("AF_PACKET capture on %s: %w", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return fmt.Errorf("AF_PACKET capture on %s: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("AF_PACKET capture on %s: no such device (ftpscope -D lists the interfaces)", name)
		}
		return fmt.Errorf("AF_PACKET capture on %s: %w", name, err)
	}
	// The hardware address's sa_family is the device's ARPHRD type.
	switch t := ifr.Uint16(); t {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK:
		return nil
	default:
		return fmt.Errorf("AF_PACKET capture on %s: the device's frames are not Ethernet (ARPHRD type %d); libpcap capture reads it", name, t)
	}
}

// afpacketFilter is the socket filter every ring gets: cfg.Filter compiled
// by libpcap for Ethernet, or, without one, a program that keeps the first
// SnapLen bytes of every frame (a socket filter's return value is how much
// of the packet the ring keeps). Nil keeps everything.
func afpacketFilter(cfg LiveConfig) ([]bpf.RawInstruction, error) {
	snap := cfg.SnapLen
	if cfg.Filter == "" {
		if snap <= 0 {
			return nil, nil
		}
		return bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: uint32(snap)}})
	}
	if snap <= 0 {
		snap = defaultSnapLen
	}
	ins, err := pcap.CompileBPFFilter(layers.LinkTypeEthernet, snap, cfg.Filter)
	if err != nil {
		return nil, fmt.Errorf("capture filter %q is not valid BPF for %s: %w", cfg.Filter, cfg.Interface, err)
	}
	out := make([]bpf.RawInstruction, len(ins))
	for i, in := range ins {
		out[i] = bpf.RawInstruction{Op: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	return out, nil
}

// defaultSnapLen is libpcap's default snap length, also the size a ring's
// blocks are made for when LiveConfig leaves SnapLen zero.
const defaultSnapLen = 262144

// defaultRingSize is a ring's size when LiveConfig leaves BufferSize zero:
// libpcap's default buffer on Linux.
const defaultRingSize = 2 << 20

// ringGeometry chooses a TPACKET_V3 ring's blocks for cfg: blocks of a
// power of two pages that hold a whole snap length (a packet does not span
// blocks), as many as BufferSize holds, at least two so that the kernel
// fills one while the reader reads the other.
func ringGeometry(cfg LiveConfig) (blockSize, blocks int) {
	snap := cfg.SnapLen
	if snap <= 0 {
		snap = defaultSnapLen
	}
	blockSize = os.Getpagesize()
	for blockSize < snap+4096 { // the block and packet headers
		blockSize <<= 1
	}
	size := cfg.BufferSize
	if size <= 0 {
		size = defaultRingSize
	}
	return blockSize, max(size/blockSize, 2)
}

// dropAll is the socket filter a ring has until it is in its fanout group:
// before it joins, the socket receives every packet of the interface, which
// would repeat what the group's rings get.
var dropAll = []bpf.RawInstruction{{Op: 0x06, K: 0}} // ret #0

// openRing opens one AF_PACKET socket with a TPACKET_V3 ring on
// cfg.Interface and returns it with its file descriptor.
func openRing(cfg LiveConfig) (*afpacket.TPacket, int, error) {
	blockSize, blocks := ringGeometry(cfg)
	// A V3 ring retires a block that is not full after the block timeout;
	// it must be shorter than the read timeout, or an idle link's last
	// packets would wait for the next read to be seen.
	blockTimeout := min(max(cfg.Timeout/4, time.Millisecond), 64*time.Millisecond)
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(cfg.Interface),
		afpacket.TPacketVersion3,
		afpacket.OptBlockSize(blockSize),
		afpacket.OptFrameSize(afpacket.DefaultFrameSize),
		afpacket.OptNumBlocks(blocks),
		afpacket.OptBlockTimeout(blockTimeout),
		afpacket.OptPollTimeout(cfg.Timeout),
		afpacket.OptAddVLANHeader(true), // as libpcap does: the decoder sees the frame as sent
	)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			msg += " (AF_PACKET capture needs root or CAP_NET_RAW)"
		}
		return nil, -1, fmt.Errorf("open a TPACKET_V3 ring (%d blocks of %d bytes): %s", blocks, blockSize, msg)
	}
	fd, err := tpacketFD(tp)
	if err == nil {
		err = tp.SetBPF(dropAll)
	}
	if err == nil && cfg.Promiscuous {
		err = tp.SetPromiscuous(true)
		if err != nil {
			err = fmt.Errorf("promiscuous mode: %w", err)
		}
	}
	if err != nil {
		tp.Close()
		return nil, -1, err
	}
	return tp, fd, nil
}

// tpacketFD returns the socket of an afpacket.TPacket. gopacket (v1.7.7)
// keeps it in an unexported field and has no accessor, and the fanout
// program can only be given to the kernel with setsockopt on a member of the
// group, so it is read by reflection; the socket is then checked to be an
// AF_PACKET socket speaking TPACKET_V3, so that a gopacket that changed its
// fields gives an error, never a wrong descriptor.
func tpacketFD(tp *afpacket.TPacket) (int, error) {
	f := reflect.ValueOf(tp).Elem().FieldByName("fd")
	if !f.IsValid() || f.Kind() != reflect.Int {
		return -1, errors.New("gopacket's afpacket.TPacket has no fd field to set the fanout program with")
	}
	fd := int(f.Int())
	dom, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil || dom != unix.AF_PACKET {
		return -1, fmt.Errorf("gopacket's afpacket.TPacket fd %d is not an AF_PACKET socket (domain %d, %v)", fd, dom, err)
	}
	ver, err := unix.GetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION)
	if err != nil || ver != unix.TPACKET_V3 {
		return -1, fmt.Errorf("AF_PACKET socket %d speaks TPACKET version %d, not 3 (%v)", fd, ver, err)
	}
	return fd, nil
}

// createFanout makes the first ring a new fanout group with an id the
// kernel chooses, gives the group its program, and returns the id for the
// other rings. The program goes in at once: until it does, a CBPF group
// sends everything to its first member.
func createFanout(tp *afpacket.TPacket, fd int, prog []unix.SockFilter) (uint16, error) {
	if err := tp.SetFanout(afpacket.FanoutCBPF|unix.PACKET_FANOUT_FLAG_UNIQUEID, 0); err != nil {
		return 0, fmt.Errorf("create a CBPF fanout group (Linux 4.5 or later): %w", err)
	}
	// PACKET_FANOUT reads back id | type<<16 | flags<<24.
	v, err := unix.GetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT)
	if err != nil {
		return 0, fmt.Errorf("read the fanout group's id: %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_PACKET, unix.PACKET_FANOUT_DATA, &fprog); err != nil {
		return 0, fmt.Errorf("attach the fanout program (PACKET_FANOUT_DATA): %w", err)
	}
	return uint16(v), nil
}

// sockFilters converts assembled BPF to the kernel's struct sock_filter.
func sockFilters(raw []bpf.RawInstruction) []unix.SockFilter {
	out := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out
}

// afpacketSource reads one ring. Frames are read zero-copy: the Packet
// aliases the ring until the next call to Next, as the Source contract
// allows. Next, Stats and Close must be called from one goroutine.
type afpacketSource struct {
	// liveFrames decodes, reassembles and counts the frames read.
	liveFrames
	tp *afpacket.TPacket
	// The socket's statistics reset when read; gopacket accumulates them
	// in 32-bit counters, which are folded into 64-bit totals here.
	recv, drop wrap32
	tick       time.Time // wall time of the last look at the counters
	closed     bool
}

// Next implements Source.
func (s *afpacketSource) Next() (*Packet, error) {
	if s.closed {
		return nil, io.EOF
	}
	for {
		data, ci, err := s.tp.ZeroCopyReadPacketData()
		switch {
		case err == nil:
		case errors.Is(err, afpacket.ErrTimeout):
			s.housekeep(time.Now())
			return nil, ErrTimeout
		default:
			// The interface went away or went down: like a damaged file,
			// this ends the input without losing what was learned.
			s.stats.Damage = append(s.stats.Damage, Damage{File: s.name, AfterPacket: s.stats.Packets, Offset: -1, Err: fmt.Errorf("live read: %w", err)})
			s.finish()
			return nil, io.EOF
		}
		// The interface index is the kernel's; Packet.Interface counts
		// interfaces within the input, and a ring has one.
		ci.InterfaceIndex = 0
		p := s.frame(data, ci, layers.LinkTypeEthernet)
		if p == nil {
			continue // a fragment kept until its datagram is whole
		}
		if s.stats.Packets%housekeepEvery == 0 {
			if now := time.Now(); now.Sub(s.tick) >= writeFlushInterval {
				s.housekeep(now)
			}
		}
		return p, nil
	}
}

// housekeep folds the socket's counters into the totals before gopacket's
// 32-bit sums can wrap.
func (s *afpacketSource) housekeep(now time.Time) {
	s.tick = now
	s.pollCounters()
}

func (s *afpacketSource) pollCounters() {
	if s.closed {
		return
	}
	_, v3, err := s.tp.SocketStats()
	if err != nil {
		return // keep the last counters; they only grow
	}
	// tp_packets counts the drops too, as libpcap's ps_recv does.
	s.stats.Received = s.recv.update(uint32(v3.Packets()))
	s.stats.KernelDropped = s.drop.update(uint32(v3.Drops()))
}

// Stats implements Source. While the ring is open it asks the kernel for
// fresh counters.
func (s *afpacketSource) Stats() Stats {
	s.pollCounters()
	st := s.stats
	st.Damage = slices.Clone(st.Damage)
	st.FragmentsIncomplete = uint64(s.defrag.pending())
	return st
}

func (s *afpacketSource) finish() {
	if s.closed {
		return
	}
	s.pollCounters()
	s.closed = true
	s.tp.Close()
}

// Close implements Source: it closes the ring's socket (leaving the fanout
// group). Next returns io.EOF afterwards; Stats keeps the last counters.
func (s *afpacketSource) Close() error {
	s.finish()
	return nil
}
