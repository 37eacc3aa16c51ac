package main

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Background traffic makes FTP a small share of the capture, as in real
// forensics: HTTPS downloads, plain HTTP, and DNS lookups. In
// --small-packets mode it is mostly DNS and tiny HTTP responses.

// buildBackground writes one background conversation starting at start.
func (g *gen) buildBackground(start time.Time, rng *rand.Rand) *flow {
	f := &flow{steps: g.takeSteps()}
	b := &builder{f: f, now: start, rng: rng, overhead: g.overhead}
	v6 := rng.Float64() < g.cfg.ipv6Share
	cl := g.hosts.client(rng, v6)
	rtt := time.Duration(logUniform(rng, float64(500*time.Microsecond), float64(150*time.Millisecond)))
	gap := time.Duration(float64(time.Second) * 1500 / logUniform(rng, 1e6/8, 1e9/8))
	n := rng.IntN(10)
	if g.cfg.small {
		n = rng.IntN(4) * 3 // DNS or tiny HTTP
	}
	switch {
	case n < 3:
		g.dnsFlow(b, cl, v6)
	case n < 5:
		g.httpFlow(b, cl, v6, rtt, gap)
	default:
		g.tlsFlow(b, cl, v6, rtt, gap)
	}
	return f
}

// respSize draws a background response size.
func (g *gen) respSize(rng *rand.Rand) int {
	if g.cfg.small {
		return rng.IntN(1200)
	}
	return int(logUniform(rng, 300, 8<<20))
}

func (g *gen) tlsFlow(b *builder, cl *host, v6 bool, rtt, gap time.Duration) {
	rng := b.rng
	sv := g.hosts.webServer(rng, v6)
	c := b.dial(netip.AddrPortFrom(cl.addr, cl.port()), netip.AddrPortFrom(sv.addr, 443), rtt, -1, false)
	c.send(cli, g.tlsRecord(0x16, 512+rng.IntN(200)))
	b.wait(rtt / 2)
	c.sendSplit(srv, g.tlsRecord(0x16, 2000+rng.IntN(3000)))
	b.wait(rtt / 2)
	c.send(cli, g.tlsRecord(0x14, 64))
	for i, k := 0, 1+rng.IntN(3); i < k; i++ {
		b.wait(b.jitter(5 * time.Millisecond))
		c.send(cli, g.tlsRecord(0x17, 200+rng.IntN(600)))
		b.wait(rtt / 2)
		c.bulk(srv, g.respSize(rng), gap)
	}
	b.wait(b.jitter(50 * time.Millisecond))
	c.close(cli)
}

func (g *gen) httpFlow(b *builder, cl *host, v6 bool, rtt, gap time.Duration) {
	rng := b.rng
	sv := g.hosts.webServer(rng, v6)
	c := b.dial(netip.AddrPortFrom(cl.addr, cl.port()), netip.AddrPortFrom(sv.addr, 80), rtt, -1, false)
	for i, k := 0, 1+rng.IntN(3); i < k; i++ {
		n := g.respSize(rng)
		b.wait(b.jitter(5 * time.Millisecond))
		c.send(cli, fmt.Appendf(nil, "GET /assets/%d.js HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n", rng.IntN(1e6)))
		b.wait(rtt / 2)
		c.send(srv, fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Length: %d\r\n\r\n", n))
		c.bulk(srv, n, gap)
	}
	b.wait(b.jitter(50 * time.Millisecond))
	c.close(srv)
}

var dnsNames = []string{"www.example.com", "cdn.example.net", "ftp.example.org", "mail.example.com",
	"api.example.net", "static.example.org", "updates.example.com", "time.example.net"}

func (g *gen) dnsFlow(b *builder, cl *host, v6 bool) {
	rng := b.rng
	res := g.hosts.dns4
	if v6 {
		res = g.hosts.dns6
	}
	src := netip.AddrPortFrom(cl.addr, cl.port())
	for i, k := 0, 1+rng.IntN(4); i < k; i++ {
		name := dnsNames[rng.IntN(len(dnsNames))]
		id := uint16(rng.Uint32())
		for _, qt := range []layers.DNSType{layers.DNSTypeA, layers.DNSTypeAAAA} {
			b.add(pkt{kind: pkUDP, seg: segUDP(src, res, dnsMessage(id, name, qt, false)), ch: -1})
			b.wait(time.Duration(logUniform(rng, float64(200*time.Microsecond), float64(40*time.Millisecond))))
			b.add(pkt{kind: pkUDP, seg: segUDP(res, src, dnsMessage(id, name, qt, true)), ch: -1})
			b.wait(b.jitter(100 * time.Microsecond))
			id++
		}
		b.wait(b.jitter(100 * time.Millisecond))
	}
}

// dnsMessage builds a query, or its answer, with gopacket's DNS layer.
func dnsMessage(id uint16, name string, qt layers.DNSType, answer bool) []byte {
	d := &layers.DNS{ID: id, RD: true, OpCode: layers.DNSOpCodeQuery,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: qt, Class: layers.DNSClassIN}}}
	if answer {
		d.QR, d.RA = true, true
		rr := layers.DNSResourceRecord{Name: []byte(name), Type: qt, Class: layers.DNSClassIN, TTL: 300}
		if qt == layers.DNSTypeA {
			rr.IP = netip.MustParseAddr("203.0.113.100").AsSlice()
		} else {
			rr.IP = netip.MustParseAddr("2001:db8:80::1").AsSlice()
		}
		d.Answers = []layers.DNSResourceRecord{rr}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := d.SerializeTo(buf, gopacket.SerializeOptions{FixLengths: true}); err != nil {
		// The message is built from constants; failing here is a bug.
		panic(fmt.Sprintf("dns message: %v", err))
	}
	return buf.Bytes()
}
