package reassembly

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// fuzzLines are payloads the fuzzer can pick by number, so that it reaches
// detection (greeting then USER) and line framing without having to guess
// whole commands byte by byte.
var fuzzLines = []string{
	"220 ready\r\n", "220-multi\r\n", "USER anon\r\n", "AUTH TLS\r\n", "331 pass\r\n",
	"PASS x\r\n", "227 Entering Passive Mode (192,0,2,1,4,1)\r\n", "PORT 192,0,2,10,4,1\r\n",
	"EHLO mail\r\n", "a\nb\r\nc", "\r\n", "\n\n\n",
}

// fuzzFlags are the flag combinations the fuzzer picks from.
var fuzzFlags = []capture.TCPFlags{
	capture.ACK | capture.PSH, capture.ACK, capture.SYN, capture.SYN | capture.ACK,
	capture.FIN | capture.ACK, capture.RST, capture.RST | capture.ACK, capture.ACK | capture.PSH | capture.FIN,
}

// FuzzAssembler feeds random segment sequences on a few connections (port 21,
// a second port-21 client, and port 2121 where FTP must be detected) and
// checks the Handler contract: no panic, Open before Line before Close per
// connection, no LF in a line, no line over MaxLineLen, and nothing left in
// any table (or in gopacket) after Close.
func FuzzAssembler(f *testing.F) {
	// Seeds: an in-order detected session, reordering, a gap, a reset.
	f.Add([]byte{0x04, 0, 200, 1, 0x00, 0, 202, 1, 0x04, 11, 204, 1, 0x00, 11, 205, 1})
	f.Add([]byte{0x00, 20, 205, 1, 0x00, 0, 202, 1, 0x04, 0, 200, 255, 0x2c, 10, 0, 1})
	f.Add([]byte{0x01, 0, 200, 1, 0x05, 0, 202, 1, 0x01, 40, 204, 1, 0x01, 11, 10, 255, 0x02, 0, 206, 1})
	f.Add([]byte{0x06, 0, 209, 3, 0x06, 3, 211, 3, 0x32, 0, 0, 1, 0x2a, 0, 0, 1})
	f.Fuzz(fuzzOne)
}

func fuzzOne(t *testing.T, data []byte) {
	{
		var r recorder
		cfg := Config{
			MaxLineLen: 16, MaxStreams: 2, MaxCandidates: 1, MaxPagesPerConn: 4, MaxPagesTotal: 8,
			GapTimeout: time.Second, IdleTimeout: 20 * time.Second, CandidateTimeout: 5 * time.Second,
		}
		a := New(cfg, &r)
		ends := [3][2]netip.AddrPort{
			{netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("198.51.100.1:21")},
			{netip.MustParseAddrPort("192.0.2.2:40000"), netip.MustParseAddrPort("198.51.100.1:2121")},
			{netip.MustParseAddrPort("192.0.2.3:40001"), netip.MustParseAddrPort("198.51.100.1:21")},
		}
		const isn = 0xffffff00 // near the wrap
		now := t0
		var num uint64
		for len(data) >= 4 {
			op, off, pl, dt := data[0], data[1], data[2], data[3]
			data = data[4:]
			if dt == 255 {
				now = now.Add(3 * time.Second)
				a.Advance(now)
				continue
			}
			now = now.Add(time.Duration(dt%32) * 100 * time.Millisecond)
			conn, side := int(op&3)%3, int(op>>2)&1
			src, dst := ends[conn][0], ends[conn][1]
			if side == 1 {
				src, dst = dst, src
			}
			flags := fuzzFlags[int(op>>3)&7]
			seq := uint32(isn) + uint32(side)<<20 + uint32(off)
			if op&0x40 != 0 {
				seq += 1 << 24 // far away: out of window
			}
			var payload []byte
			switch {
			case pl >= 200:
				payload = []byte(fuzzLines[int(pl-200)%len(fuzzLines)])
			default:
				n := min(int(pl%24), len(data))
				payload, data = data[:n], data[n:]
			}
			num++
			a.Packet(makePacket(num, now, src, dst, seq, isn, flags, payload))
		}
		a.Close(now)
		checkOrder(t, r.events, cfg.MaxLineLen)
		checkEmpty(t, a)
	}
}
