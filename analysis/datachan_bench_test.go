package analysis

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/reassembly"
)

// benchFlows makes n background connections (HTTPS-like: many clients, one
// port on a few servers), each a SYN, SYN-ACK and then data both ways.
func benchFlows(n int) (syn, data []capture.Packet) {
	t0 := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	for i := range n {
		cl := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), uint16(32768+i))
		sv := netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 8)}), 443)
		syn = append(syn,
			capture.Packet{Kind: capture.KindTCP, Time: t0, Src: cl, Dst: sv, Flags: capture.SYN},
			capture.Packet{Kind: capture.KindTCP, Time: t0, Src: sv, Dst: cl, Flags: capture.SYN | capture.ACK})
		data = append(data,
			capture.Packet{Kind: capture.KindTCP, Time: t0, Src: sv, Dst: cl, Flags: capture.ACK, PayloadLen: 1448},
			capture.Packet{Kind: capture.KindTCP, Time: t0, Src: cl, Dst: sv, Flags: capture.ACK})
	}
	return syn, data
}

// BenchmarkDataPacket is the per-packet cost of the non-control path, the
// path of nearly every packet of a large capture: background connections
// whose SYNs were seen recently (so they are followed in case an
// announcement released late claims them), and connections begun before the
// capture, which the port prefilter turns away.
func BenchmarkDataPacket(b *testing.B) {
	for _, tc := range []struct {
		name  string
		flows int
		syns  bool
	}{{"followed-256", 256, true}, {"followed-4096", 4096, true}, {"unfollowed-4096", 4096, false}} {
		b.Run(tc.name, func(b *testing.B) {
			a := New(Config{}, Sink{})
			syn, data := benchFlows(tc.flows)
			if tc.syns {
				for i := range syn {
					a.Packet(&syn[i])
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				p := &data[i%len(data)]
				// Each pass is the flow's next segment, not a copy of the
				// last one (which the duplicate filter would turn away).
				if p.PayloadLen > 0 {
					p.Seq += uint32(p.PayloadLen)
				} else {
					p.Ack += 1448
				}
				a.Packet(p)
			}
		})
	}
}

// BenchmarkExpectationMatch is the cost of one passive announcement and the
// data connection that claims it: the 227, the SYN matched to the waiting
// channel, the handshake, data, FIN and the 226 that settles it, among 1000
// open sessions of 8 transfers each (then they close and new ones open).
func BenchmarkExpectationMatch(b *testing.B) {
	const sessions, transfers = 1000, 8
	a := New(Config{}, Sink{})
	t := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	keys := make([]reassembly.ConnKey, sessions)
	open := func(gen int) {
		for i := range keys {
			if gen > 0 {
				a.Close(keys[i], t, reassembly.CloseFIN)
			}
			keys[i] = reassembly.ConnKey{
				Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), uint16(20000+(gen*sessions+i)%40000)),
				Server: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, byte(i % 16)}), 21),
			}
			a.Open(keys[i], t, false)
		}
	}
	open(0)
	line := func(k reassembly.ConnKey, r reassembly.Role, s string) {
		a.Line(reassembly.Line{Conn: k, From: r, Time: t, Text: []byte(s)})
	}
	// The 227 replies, by server (16) and port (64), written beforehand.
	pasv := make([]string, 16*64)
	for i := range pasv {
		pasv[i] = fmt.Sprintf("227 Entering Passive Mode (198,51,100,%d,200,%d).", i/64, i%64)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i > 0 && i%(sessions*transfers) == 0 {
			open(i / (sessions * transfers))
		}
		t = t.Add(time.Millisecond)
		k := keys[i%sessions]
		srv := netip.AddrPortFrom(k.Server.Addr(), uint16(200*256+i%64))
		cl := netip.AddrPortFrom(k.Client.Addr(), uint16(50000+i%10000))
		line(k, reassembly.RoleClient, "PASV")
		line(k, reassembly.RoleServer, pasv[(i%sessions%16)*64+i%64])
		line(k, reassembly.RoleClient, "RETR f")
		for _, p := range []capture.Packet{
			{Kind: capture.KindTCP, Time: t, Src: cl, Dst: srv, Flags: capture.SYN},
			{Kind: capture.KindTCP, Time: t, Src: srv, Dst: cl, Flags: capture.SYN | capture.ACK},
			{Kind: capture.KindTCP, Time: t, Src: cl, Dst: srv, Flags: capture.ACK},
			{Kind: capture.KindTCP, Time: t, Src: srv, Dst: cl, Flags: capture.ACK, PayloadLen: 1000},
			{Kind: capture.KindTCP, Time: t, Src: srv, Dst: cl, Flags: capture.FIN | capture.ACK},
		} {
			a.Packet(&p)
		}
		line(k, reassembly.RoleServer, "150 here")
		line(k, reassembly.RoleServer, "226 done")
		a.Advance(t)
	}
	b.StopTimer()
	if st := a.Stats(); st.Attempts < uint64(b.N) {
		b.Fatalf("%d attempts matched for %d announcements", st.Attempts, b.N)
	}
}
