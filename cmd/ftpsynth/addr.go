package main

import (
	"math/rand/v2"
	"net/netip"
)

// Hosts live in the documentation ranges (RFC 5737, RFC 3849); private
// addresses behind NAT in 10.0.0.0/8. Every host hands out its own ports in
// turn, as a kernel does, so no two connections open at the same time share
// a 4-tuple.
//
//	clients       192.0.2.1-200, 198.51.100.1-200   2001:db8:c::1-400
//	FTP servers   203.0.113.1-40                      2001:db8:21::1-40
//	web servers   203.0.113.100-249                   2001:db8:80::1-150
//	DNS resolver  203.0.113.53                        2001:db8:53::53
//	firewalls     192.0.2.254, 198.51.100.254, 203.0.113.254, 2001:db8:fe::1
//	private       10.1.0.x (servers behind NAT), 10.2.x.y (clients behind NAT)

// host is an address with its port counters.
type host struct {
	addr netip.Addr
	// private is the host's address behind NAT (IPv4 only).
	private netip.Addr
	// next is the next ephemeral port (32768-60999, Linux's default range);
	// pasv the next passive-mode data port (40000-49999).
	next, pasv uint16
}

// port returns the host's next ephemeral port.
func (h *host) port() uint16 {
	p := h.next
	h.next++
	if h.next > 60999 {
		h.next = 32768
	}
	return p
}

// passivePort returns the server's next passive data port.
func (h *host) passivePort() uint16 {
	p := h.pasv
	h.pasv++
	if h.pasv > 49999 {
		h.pasv = 40000
	}
	return p
}

// hosts holds every address pool.
type hosts struct {
	clients4, clients6 []*host
	ftp4, ftp6         []*host
	web4, web6         []*host
	dns4, dns6         netip.AddrPort
	fw4                []netip.Addr
	fw6                netip.Addr
}

func newHosts(seed uint64) *hosts {
	rng := rand.New(rand.NewPCG(seed, 0x686f737473))
	mk := func(a netip.Addr) *host {
		// Start the counters at a seed-dependent place, as kernels do.
		return &host{addr: a, next: 32768 + uint16(rng.IntN(28000)), pasv: 40000 + uint16(rng.IntN(10000))}
	}
	h := &hosts{
		dns4: netip.MustParseAddrPort("203.0.113.53:53"),
		dns6: netip.MustParseAddrPort("[2001:db8:53::53]:53"),
		fw4: []netip.Addr{netip.MustParseAddr("192.0.2.254"), netip.MustParseAddr("198.51.100.254"),
			netip.MustParseAddr("203.0.113.254")},
		fw6: netip.MustParseAddr("2001:db8:fe::1"),
	}
	for i := 1; i <= 200; i++ {
		for _, net := range [][3]byte{{192, 0, 2}, {198, 51, 100}} {
			c := mk(netip.AddrFrom4([4]byte{net[0], net[1], net[2], byte(i)}))
			c.private = netip.AddrFrom4([4]byte{10, 2, net[2], byte(i)})
			h.clients4 = append(h.clients4, c)
		}
	}
	for i := 1; i <= 400; i++ {
		h.clients6 = append(h.clients6, mk(v6(0xc, i)))
	}
	for i := 1; i <= 40; i++ {
		s := mk(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}))
		s.private = netip.AddrFrom4([4]byte{10, 1, 0, byte(i)})
		h.ftp4 = append(h.ftp4, s)
		h.ftp6 = append(h.ftp6, mk(v6(0x21, i)))
	}
	for i := 100; i < 250; i++ {
		if i == 113 || i == 53 {
			continue
		}
		h.web4 = append(h.web4, mk(netip.AddrFrom4([4]byte{203, 0, 113, byte(i)})))
		h.web6 = append(h.web6, mk(v6(0x80, i-99)))
	}
	return h
}

// v6 returns 2001:db8:<sub>::<i>.
func v6(sub uint16, i int) netip.Addr {
	var a [16]byte
	a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
	a[4], a[5] = byte(sub>>8), byte(sub)
	a[14], a[15] = byte(i>>8), byte(i)
	return netip.AddrFrom16(a)
}

func pick(rng *rand.Rand, hs []*host) *host { return hs[rng.IntN(len(hs))] }

// client, ftpServer and webServer pick a host of the family.
func (h *hosts) client(rng *rand.Rand, v6 bool) *host {
	if v6 {
		return pick(rng, h.clients6)
	}
	return pick(rng, h.clients4)
}

func (h *hosts) ftpServer(rng *rand.Rand, v6 bool) *host {
	if v6 {
		return pick(rng, h.ftp6)
	}
	return pick(rng, h.ftp4)
}

func (h *hosts) webServer(rng *rand.Rand, v6 bool) *host {
	if v6 {
		return pick(rng, h.web6)
	}
	return pick(rng, h.web4)
}

// firewall picks the address a firewall sends ICMP errors from.
func (h *hosts) firewall(rng *rand.Rand, v6 bool) netip.Addr {
	if v6 {
		return h.fw6
	}
	return h.fw4[rng.IntN(len(h.fw4))]
}
