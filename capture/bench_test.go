package capture

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// mixedFrames is a little of everything an FTP capture holds: control
// traffic, bulk data, bare ACKs, IPv6, VLAN tags, an ICMP error, UDP, ARP.
func mixedFrames(tb testing.TB) [][]byte {
	bulk := seg{src: "198.51.100.7:20", dst: "192.0.2.10:40010", flags: ACK, seq: 77, ack: 1,
		win: 502, payload: bytes.Repeat([]byte{0xab}, 1448), ttl: 64}
	ack := seg{src: "192.0.2.10:40010", dst: "198.51.100.7:20", flags: ACK, seq: 1, ack: 1525, win: 2000, ttl: 64}
	reply := seg{src: "198.51.100.7:21", dst: "192.0.2.10:40000", flags: PSH | ACK, seq: 9001, ack: 5017,
		win: 510, payload: []byte("227 Entering Passive Mode (198,51,100,7,195,80).\r\n"), ttl: 64}
	bulk6 := bulk
	bulk6.src, bulk6.dst = "[2001:db8::21]:20", "[2001:db8::10]:40010"

	udpIP := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{192, 0, 2, 1}, DstIP: net.IP{192, 0, 2, 53}}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 53}
	_ = udp.SetNetworkLayerForChecksum(udpIP)
	icmpQ := syn("192.0.2.10:40020", "198.51.100.7:50000").ipPacket(tb)[:20+8]
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: 1, SourceHwAddress: macA, SourceProtAddress: []byte{192, 0, 2, 1},
		DstHwAddress: make([]byte, 6), DstProtAddress: []byte{192, 0, 2, 2}}
	eth := func(typ layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: typ}
	}
	return [][]byte{
		syn("192.0.2.10:40000", "198.51.100.7:21").ether(tb),
		reply.ether(tb),
		data4.ether(tb),
		bulk.ether(tb), bulk.ether(tb), ack.ether(tb),
		bulk.ether(tb, layers.EthernetTypeDot1Q), ack.ether(tb, layers.EthernetTypeDot1Q),
		bulk6.ether(tb), data6.ether(tb),
		serialize(tb, eth(layers.EthernetTypeIPv4), udpIP, udp, gopacket.Payload("query")),
		serialize(tb, eth(layers.EthernetTypeIPv4),
			&layers.IPv4{Version: 4, TTL: 250, Protocol: layers.IPProtocolICMPv4, SrcIP: net.IP{203, 0, 113, 1}, DstIP: net.IP{192, 0, 2, 10}},
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 13)}, gopacket.Payload(icmpQ)),
		serialize(tb, eth(layers.EthernetTypeARP), arp),
	}
}

// cyclicReader serves a capture file header once, then the file's records
// forever: a source over it never ends, so a benchmark's b.N is packets
// and its allocs/op are allocations per packet in steady state.
type cyclicReader struct {
	head, body []byte
	pos        int
	inBody     bool
}

func (c *cyclicReader) Read(p []byte) (int, error) {
	src := c.head
	if c.inBody {
		src = c.body
	}
	n := copy(p, src[c.pos:])
	c.pos += n
	if c.pos == len(src) {
		c.pos, c.inBody = 0, true
	}
	return n, nil
}

// cyclicCapture returns an endless reader over frames in the given format.
func cyclicCapture(tb testing.TB, format string, frames [][]byte) *cyclicReader {
	rs := recs(t0, frames...)
	switch format {
	case "pcap":
		file := pcapBytes(tb, layers.LinkTypeEthernet, 262144, rs)
		return &cyclicReader{head: file[:24], body: file[24:]}
	case "pcapng":
		head := ngBytes(tb, []layers.LinkType{layers.LinkTypeEthernet}, nil)
		file := ngBytes(tb, []layers.LinkType{layers.LinkTypeEthernet}, rs)
		return &cyclicReader{head: head, body: file[len(head):]}
	}
	tb.Fatalf("unknown format %s", format)
	return nil
}

// TestNextAllocs: reading and decoding allocate nothing per packet once the
// buffers have grown.
func TestNextAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, format := range []string{"pcap", "pcapng"} {
		t.Run(format, func(t *testing.T) {
			src, err := OpenFiles([]string{"-"}, FileOptions{Stdin: cyclicCapture(t, format, mixedFrames(t))})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			next := func() {
				if _, err := src.Next(); err != nil {
					t.Fatal(err)
				}
			}
			for range 1000 {
				next()
			}
			if a := testing.AllocsPerRun(10000, next); a != 0 {
				t.Errorf("%v allocations per packet", a)
			}
			st := src.Stats()
			if st.TCP == 0 || st.ICMP == 0 || st.Other == 0 || st.Undecodable != 0 {
				t.Errorf("the mix did not decode as expected: %+v", st)
			}
		})
	}
}

// BenchmarkNext reads and decodes an endless capture of mixed traffic:
// ns/op is the cost of one packet, allocs/op must be 0.
func BenchmarkNext(b *testing.B) {
	for _, format := range []string{"pcap", "pcapng"} {
		b.Run(format, func(b *testing.B) {
			src, err := OpenFiles([]string{"-"}, FileOptions{Stdin: cyclicCapture(b, format, mixedFrames(b))})
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := src.Next(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}

// BenchmarkRawLoop is the yardstick for BenchmarkNext: the least any
// reader can do with gopacket, a zero-copy read and a DecodingLayerParser
// pass, on the same endless capture.
func BenchmarkRawLoop(b *testing.B) {
	r, err := pcapgo.NewReader(bufio.NewReaderSize(cyclicCapture(b, "pcap", mixedFrames(b)), readBufSize))
	if err != nil {
		b.Fatal(err)
	}
	loop := newRawLoop()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		data, _, err := r.ZeroCopyReadPacketData()
		if err != nil {
			b.Fatal(err)
		}
		loop.decode(data)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

// rawLoop is the yardstick's decoder.
type rawLoop struct {
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	parser  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

func newRawLoop() *rawLoop {
	l := &rawLoop{}
	l.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &l.eth, &l.dot1q, &l.ip4, &l.ip6, &l.tcp)
	l.parser.IgnoreUnsupported = true
	return l
}

func (l *rawLoop) decode(data []byte) {
	_ = l.parser.DecodeLayers(data, &l.decoded)
}

// BenchmarkFile compares the yardstick and Next on a real capture named by
// FTPSCOPE_BENCH_FILE (an Ethernet pcap; the target is 1 GiB, and
// Next must stay within 1.3 times the yardstick). Each op reads the file.
func BenchmarkFile(b *testing.B) {
	name := os.Getenv("FTPSCOPE_BENCH_FILE")
	if name == "" {
		b.Skip("set FTPSCOPE_BENCH_FILE to a pcap file")
	}
	b.Run("raw", func(b *testing.B) {
		var n int
		for range b.N {
			f, err := os.Open(name)
			if err != nil {
				b.Fatal(err)
			}
			r, err := pcapgo.NewReader(bufio.NewReaderSize(f, readBufSize))
			if err != nil {
				b.Fatal(err)
			}
			loop := newRawLoop()
			for {
				data, _, err := r.ZeroCopyReadPacketData()
				if err != nil {
					break
				}
				loop.decode(data)
				n++
			}
			f.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/packet")
	})
	b.Run("next", func(b *testing.B) {
		var n int
		for range b.N {
			src, err := OpenFiles([]string{name}, FileOptions{})
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, err := src.Next(); err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
				n++
			}
			src.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/packet")
	})
}
