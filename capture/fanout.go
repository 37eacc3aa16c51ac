package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"golang.org/x/net/bpf"
)

// Spreading a link over several AF_PACKET rings (OpenAFPacket) must keep an
// FTP session whole: its control connection and every data connection run
// between the same two hosts but on other ports, and the kernel's own fanout
// hash (PACKET_FANOUT_HASH) includes the ports, so it would send them to
// different rings. The rings therefore share a classic-BPF fanout program
// (PACKET_FANOUT_CBPF) that hashes only the two IP addresses, symmetrically,
// and FanoutRing computes the same answer in Go, so that whoever reads a ring
// knows which address pairs it owns.
//
// The hash works on the XOR of the two addresses, word by word, which makes it
// symmetric (a->b and b->a give the same ring): each 32-bit word of a^b is
// folded into the running hash with a xorshift-multiply step, and the result
// goes through MurmurHash3's 32-bit finaliser before the modulo, so that every
// address bit moves the ring, with any number of rings.

// Mixing constants: the xorshift-multiply step folds each address word in,
// the MurmurHash3 fmix32 finaliser spreads the result.
const (
	fanoutStepMul = 0x045d9f3b
	fanoutFinMul1 = 0x85ebca6b
	fanoutFinMul2 = 0xc2b2ae35
)

// FanoutRing is the ring, out of rings, that the fanout program of
// OpenAFPacket sends a packet between addresses a and b to, in either
// direction: FanoutRing(a, b, n) == FanoutRing(b, a, n). The addresses are
// the outermost IP header's (a tunnelled session lands where its tunnel's
// endpoints hash to), except in an ICMP or ICMPv6 error, which goes where
// the packet it quotes goes: the pair is then ICMPError's Src and Dst. They are taken as the packet carries them: an IPv6
// packet's IPv4-mapped address is hashed as IPv6, so do not Unmap it. A pair
// that is not two addresses of one family (a frame that is not IP) gives
// ring 0, as the kernel sends frames that are not IP to the first ring. rings
// below 2 give 0.
func FanoutRing(a, b netip.Addr, rings int) int {
	if rings <= 1 {
		return 0
	}
	h, ok := fanoutHash(a, b)
	if !ok {
		return 0
	}
	return int(h % uint32(rings))
}

// fanoutHash is the hash the fanout program computes before the modulo;
// ok is false when a and b are not an IPv4 or an IPv6 pair.
func fanoutHash(a, b netip.Addr) (uint32, bool) {
	var h uint32
	switch {
	case a.Is4() && b.Is4():
		x, y := a.As4(), b.As4()
		h = fanoutStep(h, binary.BigEndian.Uint32(x[:])^binary.BigEndian.Uint32(y[:]))
	case a.Is6() && b.Is6():
		x, y := a.As16(), b.As16()
		for i := 0; i < 16; i += 4 {
			h = fanoutStep(h, binary.BigEndian.Uint32(x[i:])^binary.BigEndian.Uint32(y[i:]))
		}
	default:
		return 0, false
	}
	return fanoutFinish(h), true
}

// fanoutStep folds one word of the addresses' XOR into the hash h.
func fanoutStep(h, w uint32) uint32 {
	h ^= w
	h ^= h >> 16
	return h * fanoutStepMul
}

// fanoutFinish is MurmurHash3's fmix32.
func fanoutFinish(h uint32) uint32 {
	h ^= h >> 16
	h *= fanoutFinMul1
	h ^= h >> 13
	h *= fanoutFinMul2
	h ^= h >> 16
	return h
}

// skfLLOff is the kernel's SKF_LL_OFF (-0x200000) as a BPF offset: a load
// from skfLLOff+k reads byte k of the frame from its link-layer header.
//
// A fanout program does not run where a socket filter does: on the receive
// path the kernel has already pulled the Ethernet header, so offset 0 is the
// IP header, while on the transmit path it is the Ethernet header. Loads
// relative to the link-layer header mean the same in both. The kernel has
// usually taken a VLAN tag out of the frame by then (hardware offload, or
// skb_vlan_untag on receive, which moves the MAC addresses up so that the
// frame reads as untagged); a tag a device without offload inserted in
// software is still in it, and so is the inner tag of a QinQ frame, so the
// program reads frames with no, one or two tags.
const skfLLOff = 0xffe00000

// Scratch memory of the fanout program.
const (
	fanoutMemL3   = 0 // offset of the IP header in the frame
	fanoutMemWord = 1 // the source address word
	fanoutMemHash = 2 // the running hash
)

// fanoutProgram is the fanout program for rings rings (at least 2) on an
// Ethernet interface: the ring FanoutRing gives for the frame's IPv4 or IPv6
// addresses, 0 for a frame that is not IP. base is added to every packet
// offset: skfLLOff for the kernel, 0 to run it on a frame in x/net/bpf's VM,
// which does not know the kernel's negative offsets.
func fanoutProgram(rings int, base uint32) ([]bpf.Instruction, error) {
	if rings < 2 || rings > 1<<16 {
		return nil, fmt.Errorf("fanout program: %d rings: want 2 to 65536", rings)
	}
	var a asm
	a.add(
		bpf.LoadConstant{Dst: bpf.RegA, Val: 0},
		bpf.StoreScratch{Src: bpf.RegA, N: fanoutMemHash},
		bpf.LoadAbsolute{Off: base + 12, Size: 2}, // EtherType or TPID
	)
	// Up to two VLAN tags (802.1Q, 802.1ad, and the 0x9100 older QinQ
	// switches write), as the decoder follows them.
	vlanTPIDs := [...]uint32{0x8100, 0x88a8, 0x9100}
	for _, tpid := range vlanTPIDs {
		a.jumpIf(bpf.JumpEqual, tpid, "tagged")
	}
	a.add(bpf.LoadConstant{Dst: bpf.RegX, Val: 14})
	a.jump("proto")
	a.label("tagged")
	a.add(bpf.LoadAbsolute{Off: base + 16, Size: 2}) // the EtherType or TPID after the tag
	for _, tpid := range vlanTPIDs {
		a.jumpIf(bpf.JumpEqual, tpid, "tagged-twice")
	}
	a.add(bpf.LoadConstant{Dst: bpf.RegX, Val: 18})
	a.jump("proto")
	a.label("tagged-twice")
	a.add(
		bpf.LoadAbsolute{Off: base + 20, Size: 2}, // the EtherType after the second tag
		bpf.LoadConstant{Dst: bpf.RegX, Val: 22},
	)
	a.label("proto")
	a.add(bpf.StoreScratch{Src: bpf.RegX, N: fanoutMemL3})
	a.jumpIf(bpf.JumpEqual, 0x0800, "ipv4")
	a.jumpIf(bpf.JumpEqual, 0x86dd, "ipv6")
	a.add(bpf.RetConstant{Val: 0})

	// step folds the XOR of the words at src and dst (IP header offsets)
	// into the hash. X holds the IP header's offset on entry and on exit.
	step := func(src, dst uint32) {
		a.add(
			bpf.LoadIndirect{Off: base + src, Size: 4},
			bpf.StoreScratch{Src: bpf.RegA, N: fanoutMemWord},
			bpf.LoadIndirect{Off: base + dst, Size: 4},
			bpf.LoadScratch{Dst: bpf.RegX, N: fanoutMemWord},
			bpf.ALUOpX{Op: bpf.ALUOpXor},
			bpf.LoadScratch{Dst: bpf.RegX, N: fanoutMemHash},
			bpf.ALUOpX{Op: bpf.ALUOpXor},
			bpf.TAX{},
			bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: 16},
			bpf.ALUOpX{Op: bpf.ALUOpXor},
			bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: fanoutStepMul},
			bpf.StoreScratch{Src: bpf.RegA, N: fanoutMemHash},
			bpf.LoadScratch{Dst: bpf.RegX, N: fanoutMemL3},
		)
	}
	// An ICMP or ICMPv6 error (the kinds the decoder reads: ICMPError)
	// goes where the packet it quotes goes, so that a firewall's
	// admin-prohibited reaches the ring of the connection it refuses
	// rather than the ring of the firewall and the client: the quoted IP
	// header becomes the one hashed (its offset in M[0]). A fragment is
	// hashed by its own header, as all its datagram's fragments are.
	a.label("ipv4")
	a.add(bpf.LoadIndirect{Off: base + 9, Size: 1}) // protocol
	a.jumpIf(bpf.JumpNotEqual, 1, "ipv4-plain")
	a.add(
		bpf.LoadIndirect{Off: base + 6, Size: 2}, // flags, fragment offset
		bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x3fff},
	)
	a.jumpIf(bpf.JumpNotEqual, 0, "ipv4-plain")
	a.add(
		bpf.LoadIndirect{Off: base + 0, Size: 1}, // version, IHL
		bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f},
		bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2},
		bpf.ALUOpX{Op: bpf.ALUOpAdd},
		bpf.TAX{}, // X: the ICMP header
		bpf.LoadIndirect{Off: base + 0, Size: 1},
	)
	for _, typ := range []uint32{3, 4, 5, 11, 12} { // unreachable, quench, redirect, time exceeded, parameter problem
		a.jumpIf(bpf.JumpEqual, typ, "ipv4-quote")
	}
	a.jump("ipv4-plain")
	a.label("ipv4-quote")
	a.add(
		bpf.TXA{},
		bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 8}, // the quoted header
		bpf.StoreScratch{Src: bpf.RegA, N: fanoutMemL3},
	)
	a.label("ipv4-plain")
	a.add(bpf.LoadScratch{Dst: bpf.RegX, N: fanoutMemL3})
	step(12, 16)
	a.jump("finish")

	a.label("ipv6")
	a.add(bpf.LoadIndirect{Off: base + 6, Size: 1}) // next header
	a.jumpIf(bpf.JumpNotEqual, 58, "ipv6-plain")
	a.add(bpf.LoadIndirect{Off: base + 40, Size: 1}) // ICMPv6 type
	a.jumpIf(bpf.JumpGreaterThan, 4, "ipv6-plain")   // unreachable, too big, time exceeded, parameter problem: 1 to 4
	a.jumpIf(bpf.JumpEqual, 0, "ipv6-plain")
	a.add(
		bpf.TXA{},
		bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 40 + 8}, // the quoted header
		bpf.StoreScratch{Src: bpf.RegA, N: fanoutMemL3},
	)
	a.label("ipv6-plain")
	a.add(bpf.LoadScratch{Dst: bpf.RegX, N: fanoutMemL3})
	for i := uint32(0); i < 16; i += 4 {
		step(8+i, 24+i)
	}
	a.label("finish")
	xorShift := func(n uint32) {
		a.add(bpf.TAX{}, bpf.ALUOpConstant{Op: bpf.ALUOpShiftRight, Val: n}, bpf.ALUOpX{Op: bpf.ALUOpXor})
	}
	a.add(bpf.LoadScratch{Dst: bpf.RegA, N: fanoutMemHash})
	xorShift(16)
	a.add(bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: fanoutFinMul1})
	xorShift(13)
	a.add(bpf.ALUOpConstant{Op: bpf.ALUOpMul, Val: fanoutFinMul2})
	xorShift(16)
	a.add(
		bpf.ALUOpConstant{Op: bpf.ALUOpMod, Val: uint32(rings)},
		bpf.RetA{},
	)
	return a.program()
}

// asm assembles a classic BPF program with named jump targets, so that
// nobody counts skips by hand.
type asm struct {
	ins    []bpf.Instruction
	labels map[string]int
	// fixups are the jumps to resolve: instruction index and target.
	fixups []asmFixup
}

type asmFixup struct {
	at     int
	target string
}

func (a *asm) add(ins ...bpf.Instruction) { a.ins = append(a.ins, ins...) }

func (a *asm) label(name string) {
	if a.labels == nil {
		a.labels = map[string]int{}
	}
	a.labels[name] = len(a.ins)
}

// jumpIf jumps to target when the condition holds, else falls through.
func (a *asm) jumpIf(cond bpf.JumpTest, val uint32, target string) {
	a.fixups = append(a.fixups, asmFixup{len(a.ins), target})
	a.add(bpf.JumpIf{Cond: cond, Val: val})
}

// jump always jumps to target.
func (a *asm) jump(target string) {
	a.fixups = append(a.fixups, asmFixup{len(a.ins), target})
	a.add(bpf.Jump{})
}

// program resolves the jumps (classic BPF jumps only forward) and returns
// the instructions.
func (a *asm) program() ([]bpf.Instruction, error) {
	for _, f := range a.fixups {
		to, ok := a.labels[f.target]
		if !ok || to <= f.at {
			return nil, fmt.Errorf("fanout program: jump %d to %q: no such label ahead", f.at, f.target)
		}
		skip := uint32(to - f.at - 1)
		switch j := a.ins[f.at].(type) {
		case bpf.JumpIf:
			if skip > 255 {
				return nil, fmt.Errorf("fanout program: conditional jump %d to %q is %d instructions long", f.at, f.target, skip)
			}
			j.SkipTrue = uint8(skip)
			a.ins[f.at] = j
		case bpf.Jump:
			j.Skip = skip
			a.ins[f.at] = j
		}
	}
	return a.ins, nil
}
