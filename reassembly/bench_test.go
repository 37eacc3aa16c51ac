package reassembly

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// countHandler counts calls and keeps nothing, so that benchmarks measure
// the assembler alone.
type countHandler struct{ opens, lines, gaps, closes int }

func (h *countHandler) Open(ConnKey, time.Time, bool)         { h.opens++ }
func (h *countHandler) Line(Line)                             { h.lines++ }
func (h *countHandler) Gap(ConnKey, Role, time.Time, int)     { h.gaps++ }
func (h *countHandler) Close(ConnKey, time.Time, CloseReason) { h.closes++ }

// BenchmarkNonControl measures the rejection of packets that are not on a
// control port — every packet of the data connections, which are nearly all
// the bytes of a capture. It must stay at a few ns and 0 allocations.
func BenchmarkNonControl(b *testing.B) {
	data := make([]byte, 1448)
	for i := range data {
		data[i] = byte(i*7 + 1) // file bytes, not a greeting
	}
	srv := netip.MustParseAddrPort("198.51.100.20:50000")
	var pkts []*capture.Packet
	for i := range 64 {
		cli := netip.AddrPortFrom(cliAP.Addr(), uint16(40000+i))
		pkts = append(pkts,
			makePacket(uint64(2*i), t0, srv, cli, uint32(i)*1448, 1, fPA, data),
			makePacket(uint64(2*i+1), t0, cli, srv, 1, uint32(i+1)*1448, fA, nil))
	}
	bench := func(b *testing.B, a *Assembler) {
		b.ReportAllocs()
		taken := 0
		for i := 0; b.Loop(); i++ {
			if a.Packet(pkts[i&127]) {
				taken++
			}
		}
		if taken != 0 {
			b.Fatalf("%d data packets taken for control", taken)
		}
	}
	b.Run("detect", func(b *testing.B) { bench(b, New(Config{}, &countHandler{})) })
	b.Run("nodetect", func(b *testing.B) { bench(b, New(Config{NoDetect: true}, &countHandler{})) })
	b.Run("busy-port", func(b *testing.B) {
		// An FTP server detected on the data connection's port: every
		// packet now costs a map lookup (and still must not allocate).
		a := New(Config{}, &countHandler{})
		s := newSession(netip.MustParseAddrPort("192.0.2.99:40000"), srv)
		feed(a, s, []step{S(0, fPA, "220 x\r\n"), C(0, fPA, "USER u\r\n")})
		if a.Open() != 1 {
			b.Fatal("detection failed")
		}
		bench(b, a)
	})
}

// BenchmarkControlLines measures a control connection in steady state: a
// command and its reply, each one line in its own segment, in order.
func BenchmarkControlLines(b *testing.B) {
	h := &countHandler{}
	a := New(Config{}, h)
	s := newSession(cliAP, srvAP)
	feed(a, s, concat(handshake, []step{S(0, fPA, "220 ready\r\n")}))
	cmd := []byte("PORT 192,0,2,10,156,64\r\n")
	rep := []byte("200 PORT command successful. Consider using PASV.\r\n")
	cp := s.pkt(RoleClient, 0, fPA, string(cmd), 0)
	sp := s.pkt(RoleServer, 11, fPA, string(rep), 0)
	cseq, sseq := cp.Seq, sp.Seq
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		cp.Seq = cseq
		sp.Seq = sseq
		cp.Time = cp.Time.Add(time.Millisecond)
		sp.Time = cp.Time
		a.Packet(cp)
		a.Packet(sp)
		cseq += uint32(len(cmd))
		sseq += uint32(len(rep))
		n += 2
	}
	if h.lines < n {
		b.Fatalf("%d lines for %d packets", h.lines, n)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/packet")
}

// BenchmarkControlReordered is BenchmarkControlLines with every pair of
// client segments swapped: the out-of-order path (pages, own contexts).
func BenchmarkControlReordered(b *testing.B) {
	h := &countHandler{}
	a := New(Config{}, h)
	s := newSession(cliAP, srvAP)
	feed(a, s, concat(handshake, []step{S(0, fPA, "220 ready\r\n")}))
	cmd := []byte("NOOP\r\n")
	p1 := s.pkt(RoleClient, 0, fPA, string(cmd), 0)
	p2 := s.pkt(RoleClient, 0, fPA, string(cmd), 0)
	seq := p1.Seq
	b.ReportAllocs()
	for b.Loop() {
		p2.Seq = seq + uint32(len(cmd))
		p1.Seq = seq
		a.Packet(p2)
		a.Packet(p1)
		seq += 2 * uint32(len(cmd))
	}
}

// BenchmarkSYNFlood measures SYNs to the control port from ever new sources
// under a MaxStreams limit: each opens a connection and evicts the least
// recently active one. B/op is what one such connection costs.
func BenchmarkSYNFlood(b *testing.B) {
	a := New(Config{MaxStreams: 10000}, &countHandler{})
	p := makePacket(0, t0, cliAP, srvAP, 1000, 0, fS, nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i%60000))
		p.Src, p.Num = src, uint64(i)
		p.Time = t0.Add(time.Duration(i) * 3 * time.Microsecond)
		a.Packet(p)
		a.Advance(p.Time)
		i++
	}
}
