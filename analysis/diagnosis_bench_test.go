package analysis

import (
	"time"

	"net/netip"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/reassembly"
)

// BenchmarkTraceData measures what Trace adds to every data packet (the
// common case on a large capture): a flag test.
func BenchmarkTraceData(b *testing.B) {
	a := New(Config{}, Sink{})
	p := &capture.Packet{Kind: capture.KindTCP, Src: netip.MustParseAddrPort("10.0.0.1:50000"), Dst: netip.MustParseAddrPort("10.0.0.2:51000"), Flags: capture.ACK, PayloadLen: 1448, TTL: 63}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		a.Trace(p, false)
	}
}

// BenchmarkTraceControl measures Trace on a control segment carrying a
// reply: the session lookup, the TTL record and the helper's pattern search.
func BenchmarkTraceControl(b *testing.B) {
	a := New(Config{}, Sink{})
	key := reassembly.ConnKey{Client: netip.MustParseAddrPort("10.0.0.1:40000"), Server: netip.MustParseAddrPort("10.0.0.2:21")}
	a.Open(key, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), false)
	payload := []byte("227 Entering Passive Mode (10,0,0,2,200,10).\r\n")
	p := &capture.Packet{Kind: capture.KindTCP, Src: key.Server, Dst: key.Client, Flags: capture.ACK | capture.PSH, Payload: payload, PayloadLen: len(payload), TTL: 64}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		// Each time the connection's next segment, not a copy of the last
		// one (which the duplicate filter would turn away).
		p.Seq += uint32(len(payload))
		a.Trace(p, true)
	}
}
