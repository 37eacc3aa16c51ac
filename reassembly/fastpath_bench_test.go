package reassembly

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// BenchmarkSession is one whole control connection, as on a real link:
// handshake, a login and a transfer's commands and replies, each in its own
// segment and in order, then the FIN exchange. "fast" is the assembler as
// it runs; "gopacket" has the fast path off, every segment through
// gopacket's reassembly.
func BenchmarkSession(b *testing.B) {
	steps := concat(handshake, []step{
		S(0, fPA, "220 ready\r\n"),
		C(0, fPA, "USER anonymous\r\n"), S(11, fPA, "331 Please specify the password.\r\n"),
		C(16, fPA, "PASS guest@\r\n"), S(45, fPA, "230 Login successful.\r\n"),
		C(29, fPA, "PASV\r\n"), S(68, fPA, "227 Entering Passive Mode (198,51,100,20,156,64).\r\n"),
		C(35, fPA, "RETR file\r\n"), S(119, fPA, "150 Opening BINARY mode data connection.\r\n"),
		S(161, fPA, "226 Transfer complete.\r\n"),
		C(46, fPA, "QUIT\r\n"), S(185, fPA, "221 Goodbye.\r\n"),
		C(52, fFA, ""), S(199, fFA, ""), C(53, fA, ""),
	})
	for _, slow := range []bool{false, true} {
		name := "fast"
		if slow {
			name = "gopacket"
		}
		b.Run(name, func(b *testing.B) {
			h := &countHandler{}
			a := New(Config{}, h)
			a.slowOnly = slow
			// The packets are made once; each session gets its own client.
			s := newSession(cliAP, srvAP)
			var pkts []*capture.Packet
			var isCli []bool
			for _, st := range steps {
				pkts = append(pkts, s.pkt(st.from, st.off, st.flags, st.data, 10*time.Millisecond))
				isCli = append(isCli, st.from == RoleClient)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), uint16(1024+i%60000))
				for j, p := range pkts {
					if isCli[j] {
						p.Src = cli
					} else {
						p.Dst = cli
					}
					p.Time = t0.Add(time.Duration(i)*time.Second + time.Duration(j)*10*time.Millisecond)
					a.Packet(p)
				}
				a.Advance(pkts[len(pkts)-1].Time)
				i++
			}
			if h.closes != i || h.lines != 12*i {
				b.Fatalf("%d sessions: %d closes, %d lines", i, h.closes, h.lines)
			}
		})
	}
}
