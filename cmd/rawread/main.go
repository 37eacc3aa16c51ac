// Command rawread is the yardstick ftpscope is measured against: the least any
// Go reader of a capture can do with gopacket. It reads a pcap file with
// pcapgo's zero-copy reader through the same 128 KiB buffer ftpscope uses,
// decodes every frame with one DecodingLayerParser over Ethernet, 802.1Q,
// IPv4, IPv6 and TCP, and counts packets and TCP segments. It keeps nothing,
// so its time is the read limit that `make bench` compares ftpscope with.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// readBufSize matches capture's read buffer, so both read the file alike.
const readBufSize = 128 << 10

// counts is what the loop learns: enough to prove every frame was decoded.
type counts struct {
	packets, bytes, tcp, payload uint64
}

// loop is the decoder: one instance of each layer, reused for every frame.
type loop struct {
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	parser  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

func newLoop() *loop {
	l := &loop{decoded: make([]gopacket.LayerType, 0, 8)}
	l.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &l.eth, &l.dot1q, &l.ip4, &l.ip6, &l.tcp)
	// UDP, ARP, ICMP: not an error, just where decoding stops.
	l.parser.IgnoreUnsupported = true
	return l
}

// run reads r to its end.
func (l *loop) run(r io.Reader) (counts, error) {
	var c counts
	pr, err := pcapgo.NewReader(bufio.NewReaderSize(r, readBufSize))
	if err != nil {
		return c, fmt.Errorf("pcap header: %w", err)
	}
	for {
		data, ci, err := pr.ZeroCopyReadPacketData()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return c, nil
			}
			return c, fmt.Errorf("after packet %d: %w", c.packets, err)
		}
		c.packets++
		c.bytes += uint64(ci.CaptureLength)
		_ = l.parser.DecodeLayers(data, &l.decoded)
		if n := len(l.decoded); n > 0 && l.decoded[n-1] == layers.LayerTypeTCP {
			c.tcp++
			c.payload += uint64(len(l.tcp.Payload))
		}
	}
}

func main() {
	if len(os.Args) != 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Fprintln(os.Stderr, "usage: rawread FILE.pcap\n\nReads and decodes every frame (zero-copy pcapgo + DecodingLayerParser) and prints the counts:\nthe baseline `make bench` measures ftpscope against.")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "rawread: %v\n", err)
		os.Exit(1)
	}
	defer f.Close()
	c, err := newLoop().run(f)
	if err != nil {
		fmt.Fprintf(os.Stderr, "rawread: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	fmt.Printf("packets %d bytes %d tcp %d tcp-payload-bytes %d\n", c.packets, c.bytes, c.tcp, c.payload)
}
