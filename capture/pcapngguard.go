package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// pcapng block types the guard looks into.
const (
	ngBlockSection     = 0x0a0d0d0a
	ngBlockInterface   = 0x00000001
	ngBlockPacket      = 0x00000002 // obsolete Packet Block
	ngBlockSimple      = 0x00000003
	ngBlockNames       = 0x00000004
	ngBlockEnhanced    = 0x00000006
	ngBlockSecrets     = 0x0000000a
	ngByteOrderMagic   = 0x1a2b3c4d
	ngMinBlockLen      = 12
	ngPacketHeaderLen  = 28 // type, length, interface, timestamp (2), captured, original length
	ngSimpleHeaderLen  = 12 // type, length, original length
	ngSectionHeaderLen = 12 // type, length, byte-order magic
)

// Limits on what a pcapng file may make the reader keep. pcapgo keeps every
// interface description of a section (about 830 bytes each), with their
// option strings, and reads a packet block's options (comments included)
// into memory; a tiny compressed file can claim millions of either.
const (
	// maxNgInterfaces is the most interface description blocks one section
	// may hold. Real captures have a handful; the block's interface number
	// is 32 bits only in theory.
	maxNgInterfaces = 4096
	// maxNgInterfaceBytes bounds the interface description blocks of one
	// section together, options included.
	maxNgInterfaceBytes = 4 << 20
	// maxNgOptionBytes bounds the options of one packet or section header
	// block (flags, hashes, comments).
	maxNgOptionBytes = 64 << 10
)

// ngGuard checks the pcapng block stream before pcapgo reads it, block by
// block: a packet block must hold the bytes it claims, within the
// interface's snap length and maxRecordLen; interface descriptions are
// bounded in number and bytes per section. It also leaves out the name
// resolution and decryption secrets blocks, which ftpscope never uses and
// pcapgo would keep in memory whatever their size. A violation is an error
// (an *ngBlockError) that pcapgo returns when it reaches the block, so every
// packet before it is delivered.
type ngGuard struct {
	br   *bufio.Reader // the input, at a block boundary when left is 0
	left int64         // bytes of the current block still to pass
	big  bool          // the current section's byte order

	snaplens   []uint32 // the current section's interfaces, in order
	ifaceBytes int64    // their blocks' bytes

	block       uint64 // number of the current block in the file (1-based)
	packetBlock uint64 // number of the last packet block passed
	err         error
}

// ngBlockError is damage found in one block: its number in the file and
// what is wrong with it.
type ngBlockError struct {
	block uint64
	kind  string
	msg   string
}

func (e *ngBlockError) Error() string {
	return fmt.Sprintf("pcapng block %d (%s): %s", e.block, e.kind, e.msg)
}

func newNgGuard(br *bufio.Reader) *ngGuard { return &ngGuard{br: br} }

func (g *ngGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	for g.left == 0 {
		hide, err := g.next()
		if err != nil {
			g.err = err
			return 0, err
		}
		if g.left == 0 {
			// Fewer than a block header's bytes are left: pass them (or
			// the end) on for pcapgo to judge.
			return g.br.Read(p)
		}
		if hide {
			n, err := g.br.Discard(int(g.left))
			g.left -= int64(n)
			if err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				g.err = err
				return 0, err
			}
		}
	}
	n, err := g.br.Read(p[:min(int64(len(p)), g.left)])
	g.left -= int64(n)
	return n, err
}

// next looks at the block that starts here and sets left to its length.
// It reports whether the block is to be left out, and the damage when the
// block must not be read.
func (g *ngGuard) next() (hide bool, err error) {
	hdr, _ := g.br.Peek(ngSectionHeaderLen)
	if len(hdr) < 8 {
		return false, nil
	}
	g.block++
	typ := binary.BigEndian.Uint32(hdr) // the section header's type reads the same either way
	if typ == ngBlockSection {
		if len(hdr) < ngSectionHeaderLen {
			g.left = int64(len(hdr))
			return false, nil
		}
		switch uint32(ngByteOrderMagic) {
		case binary.BigEndian.Uint32(hdr[8:12]):
			g.big = true
		case binary.LittleEndian.Uint32(hdr[8:12]):
			g.big = false
		default:
			// pcapgo says what is wrong with it.
			g.left = int64(len(hdr))
			return false, nil
		}
		g.snaplens, g.ifaceBytes = g.snaplens[:0], 0
	} else {
		typ = g.u32(hdr[0:4])
	}
	length := g.u32(hdr[4:8])
	bad := func(format string, args ...any) (bool, error) {
		return false, &ngBlockError{block: g.block, kind: ngBlockName(typ), msg: fmt.Sprintf(format, args...)}
	}
	if length < ngMinBlockLen || length%4 != 0 {
		return bad("block length %d is not a multiple of 4 of at least %d", length, ngMinBlockLen)
	}
	g.left = int64(length)
	switch typ {
	case ngBlockSection:
		if length > ngSectionHeaderLen+16+maxNgOptionBytes {
			return bad("%d bytes of options, over the limit of %d", length-ngSectionHeaderLen-16, maxNgOptionBytes)
		}
	case ngBlockInterface:
		if len(g.snaplens) >= maxNgInterfaces {
			return bad("more than %d interface description blocks in one section (ftpscope's limit)", maxNgInterfaces)
		}
		if g.ifaceBytes += int64(length); g.ifaceBytes > maxNgInterfaceBytes {
			return bad("the section's interface description blocks take more than %d bytes (ftpscope's limit)", maxNgInterfaceBytes)
		}
		b, _ := g.br.Peek(16)
		if len(b) < 16 {
			return false, nil
		}
		g.snaplens = append(g.snaplens, g.u32(b[12:16]))
	case ngBlockEnhanced, ngBlockPacket:
		if length < ngPacketHeaderLen+4 {
			return bad("block length %d is too short for a packet block", length)
		}
		b, _ := g.br.Peek(ngPacketHeaderLen)
		if len(b) < ngPacketHeaderLen {
			return false, nil
		}
		g.packetBlock = g.block
		iface := g.u32(b[8:12])
		if typ == ngBlockPacket {
			iface = uint32(g.u16(b[8:10]))
		}
		caplen := g.u32(b[20:24])
		room := length - ngPacketHeaderLen - 4 // the trailing length
		switch {
		case caplen > room:
			return bad("captured length %d exceeds the block's %d bytes of packet data", caplen, room)
		case iface < uint32(len(g.snaplens)) && g.snaplens[iface] != 0 && caplen > g.snaplens[iface]:
			return bad("captured length %d exceeds interface %d's snap length %d", caplen, iface, g.snaplens[iface])
		case caplen > maxRecordLen:
			return bad("%v: %d", errRecordTooLong, caplen)
		case room-(caplen+3)&^3 > maxNgOptionBytes:
			return bad("%d bytes of options, over the limit of %d", room-(caplen+3)&^3, maxNgOptionBytes)
		}
	case ngBlockSimple:
		if length < ngSimpleHeaderLen+4 {
			return bad("block length %d is too short for a simple packet block", length)
		}
		b, _ := g.br.Peek(ngSimpleHeaderLen)
		if len(b) < ngSimpleHeaderLen {
			return false, nil
		}
		g.packetBlock = g.block
		// pcapgo reads the original length, cut to interface 0's snap
		// length: the block must hold that much.
		caplen := g.u32(b[8:12])
		if len(g.snaplens) > 0 && g.snaplens[0] != 0 {
			caplen = min(caplen, g.snaplens[0])
		}
		room := length - ngSimpleHeaderLen - 4
		switch {
		case caplen > room:
			return bad("packet length %d exceeds the block's %d bytes of packet data", caplen, room)
		case caplen > maxRecordLen:
			return bad("%v: %d", errRecordTooLong, caplen)
		}
	case ngBlockNames, ngBlockSecrets:
		return true, nil
	}
	return false, nil
}

func (g *ngGuard) u32(b []byte) uint32 {
	if g.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (g *ngGuard) u16(b []byte) uint16 {
	if g.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

// ngBlockName names a block type in messages.
func ngBlockName(typ uint32) string {
	switch typ {
	case ngBlockSection:
		return "section header"
	case ngBlockInterface:
		return "interface description"
	case ngBlockPacket:
		return "packet"
	case ngBlockSimple:
		return "simple packet"
	case ngBlockNames:
		return "name resolution"
	case ngBlockEnhanced:
		return "enhanced packet"
	case 5:
		return "interface statistics"
	case ngBlockSecrets:
		return "decryption secrets"
	}
	return fmt.Sprintf("type 0x%08x", typ)
}
