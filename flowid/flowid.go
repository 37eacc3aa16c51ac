// Package flowid names flows the way other tools name them, so that
// ftpscope's records join with theirs: the Community ID (v1, Corelight's
// community-id-spec, which Zeek's package, Suricata and Arkime write) and a
// Zeek-style connection uid. Both are pure functions of what the capture
// holds, so the same capture gives the same names on every run.
package flowid

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
	"time"
)

// IP protocol numbers the Community ID hashes.
const (
	ProtoICMP   = 1
	ProtoTCP    = 6
	ProtoUDP    = 17
	ProtoSCTP   = 132
	ProtoICMPv6 = 58
)

// CommunityID returns the v1 Community ID ("1:" and the base64 of a SHA-1)
// of the flow between a and b over proto, with seed 0, as the spec computes
// it for TCP, UDP and SCTP: the endpoints are ordered (the smaller address,
// then the smaller port, first), so both directions give the same ID.
func CommunityID(a, b netip.AddrPort, proto uint8) string {
	return communityID(0, a, b, proto, true, false)
}

// CommunityIDPorts is CommunityID with the options the spec knows: a seed,
// no ports (a protocol without them), or one-way (an ICMP type without a
// counterpart, whose endpoints keep their order).
func CommunityIDPorts(seed uint16, a, b netip.AddrPort, proto uint8, ports, oneWay bool) string {
	return communityID(seed, a, b, proto, ports, oneWay)
}

func communityID(seed uint16, a, b netip.AddrPort, proto uint8, ports, oneWay bool) string {
	if !oneWay && !less(a, b) {
		a, b = b, a
	}
	buf := make([]byte, 0, 2+16+16+2+4)
	buf = binary.BigEndian.AppendUint16(buf, seed)
	buf = appendAddr(buf, a.Addr())
	buf = appendAddr(buf, b.Addr())
	buf = append(buf, proto, 0)
	if ports {
		buf = binary.BigEndian.AppendUint16(buf, a.Port())
		buf = binary.BigEndian.AppendUint16(buf, b.Port())
	}
	sum := sha1.Sum(buf)
	// One allocation, the string: "1:" and the digest's 28 base64 bytes
	// built on the stack (the report asks for an id per session and per
	// data connection).
	var out [2 + 28]byte
	out[0], out[1] = '1', ':'
	base64.StdEncoding.Encode(out[2:], sum[:])
	return string(out[:])
}

// less orders endpoints as the spec does: by address bytes, then by port.
func less(a, b netip.AddrPort) bool {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c < 0
	}
	return a.Port() < b.Port()
}

// appendAddr appends the address as its packets carry it: 4 bytes for IPv4, 16
// for IPv6 (an IPv4-mapped address came in an IPv6 packet).
func appendAddr(buf []byte, a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		return append(buf, b[:]...)
	}
	b := a.As16()
	return append(buf, b[:]...)
}

// base62 digits in Zeek's order (util.cc's uitoa_n).
const base62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// UID returns a Zeek-style connection uid ("C" and base62 digits, the form
// of Zeek's 96-bit uids, 12 to 18 characters) for the connection from client
// to server whose first packet was seen at start. Zeek draws its uids at
// random; this one is a hash of the connection and its start, so a run
// over the same capture always gives the same uid, and two connections on
// the same four-tuple (port reuse) get two.
func UID(client, server netip.AddrPort, start time.Time) string {
	buf := make([]byte, 0, 16+2+16+2+8)
	return zeekID('C', appendConn(buf, client, server, start))
}

// appendConn appends a connection's identity: both ends (addresses as 16
// bytes, ports big-endian) and the nanosecond of its first packet.
func appendConn(buf []byte, a, b netip.AddrPort, start time.Time) []byte {
	aa, ba := a.Addr().As16(), b.Addr().As16()
	buf = append(buf, aa[:]...)
	buf = binary.BigEndian.AppendUint16(buf, a.Port())
	buf = append(buf, ba[:]...)
	buf = binary.BigEndian.AppendUint16(buf, b.Port())
	return binary.BigEndian.AppendUint64(buf, uint64(start.UnixNano()))
}

// zeekID is prefix and the first 96 bits of the SHA-1 of buf in base62, the
// form of Zeek's uids and fuids.
func zeekID(prefix byte, buf []byte) string {
	sum := sha1.Sum(buf)
	out := make([]byte, 0, 18)
	out = append(out, prefix)
	out = appendBase62(out, binary.BigEndian.Uint64(sum[0:8]))
	out = appendBase62(out, uint64(binary.BigEndian.Uint32(sum[8:12])))
	return string(out)
}

// appendBase62 writes v least significant digit first, as Zeek's uitoa_n.
func appendBase62(dst []byte, v uint64) []byte {
	for {
		dst = append(dst, base62[v%62])
		v /= 62
		if v == 0 {
			return dst
		}
	}
}

// FUID returns a Zeek-style file id ("F" and base62 digits, the form of
// Zeek's 96-bit file ids) for the bytes that one side of a connection
// sent: the connection from orig to resp whose first packet was seen at
// start, and isOrig telling which side sent them. It is the file handle
// Zeek's FTP scripts hash (the data analyzer, the connection's start and
// 4-tuple, the direction) hashed here without Zeek's random seed, so the
// same capture always gives the same id, and no uid collides with a fuid.
func FUID(orig, resp netip.AddrPort, start time.Time, isOrig bool) string {
	buf := make([]byte, 0, 8+16+2+16+2+8+1)
	buf = appendConn(append(buf, "FTP_DATA"...), orig, resp, start)
	if isOrig {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	return zeekID('F', buf)
}

// PairHash hashes the unordered pair of addresses a and b (ports left out,
// IPv4-mapped IPv6 addresses taken as IPv4): the same for both directions
// and for every connection between two hosts, so a control connection and
// its data connections hash alike. It is FNV-1a (64 bits) over the lesser
// address's bytes, then the greater's, and never changes between runs,
// machines or versions: --shard depends on every run agreeing on it.
func PairHash(a, b netip.Addr) uint64 {
	a, b = a.Unmap(), b.Unmap()
	if b.Less(a) {
		a, b = b, a
	}
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for _, x := range [2]netip.Addr{a, b} {
		// As4/As16 into an array on the stack: PairHash runs for every
		// packet of a run with workers, and must not allocate.
		var buf [16]byte
		n := 16
		if x.Is4() {
			v4 := x.As4()
			copy(buf[:], v4[:])
			n = 4
		} else {
			buf = x.As16()
		}
		for _, c := range buf[:n] {
			h ^= uint64(c)
			h *= prime
		}
		// The length separates 4-byte from 16-byte addresses.
		h ^= uint64(n)
		h *= prime
	}
	return h
}
