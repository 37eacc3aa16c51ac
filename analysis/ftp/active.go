package ftp

import (
	"net/netip"
	"strconv"
	"strings"
)

// Address families of RFC 1639 (LPRT, 228) and RFC 2428 (EPRT, 229). RFC 1639
// uses the "Assigned Numbers" values 4 and 6, RFC 2428 the IANA address family
// numbers 1 and 2.
const (
	lprtIPv4 = 4
	lprtIPv6 = 6
	eprtIPv4 = '1'
	eprtIPv6 = '2'
)

// maxAddrText is the longest address text EPRT and 229 can carry:
// "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" has 45 bytes.
const maxAddrText = 45

// ParsePORT parses the argument of an RFC 959 PORT command,
// "h1,h2,h3,h4,p1,p2": six decimal numbers 0..255 giving an IPv4 address and
// the port p1*256+p2. Spaces and TABs around the numbers and commas are
// tolerated; anything else, a missing or extra number, an octet above 255 or
// port 0 gives a *SyntaxError.
func ParsePORT(arg string) (netip.AddrPort, error) {
	var n [6]byte
	s, err := scanOctets(arg, 0, n[:])
	if err != "" {
		return netip.AddrPort{}, syntaxError("PORT: "+err, arg)
	}
	if skipSpace(arg, s) != len(arg) {
		return netip.AddrPort{}, syntaxError("PORT: unexpected text after the sixth number", arg)
	}
	ap, err := sixToAddrPort(n)
	if err != "" {
		return netip.AddrPort{}, syntaxError("PORT: "+err, arg)
	}
	return ap, nil
}

// FormatPORT writes ap as a canonical PORT argument "h1,h2,h3,h4,p1,p2". It
// returns "" when ap is not an IPv4 (or IPv4-mapped IPv6) endpoint, which PORT
// cannot express.
func FormatPORT(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	if !a.Is4() {
		return ""
	}
	var buf [24]byte
	b := buf[:0]
	for _, o := range a.As4() {
		b = strconv.AppendUint(b, uint64(o), 10)
		b = append(b, ',')
	}
	b = strconv.AppendUint(b, uint64(ap.Port()>>8), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(ap.Port()&0xFF), 10)
	return string(b)
}

// ParseEPRT parses the argument of an RFC 2428 EPRT command,
// "<d><af><d><addr><d><port><d>", such as "|1|132.235.1.2|6275|" or
// "|2|1080::8:800:200C:417A|5282|". The delimiter d may be any character from
// 33 to 126 except a digit, a hex letter, '.' or ':' (Wireshark's rule: those
// would be ambiguous inside an address). af 1 needs a dotted-quad IPv4
// address, af 2 an IPv6 address; the port must be 1..65535. Spaces and TABs
// before and after the argument are tolerated. An IPv4-mapped IPv6 address is
// returned as plain IPv4, as it appears on the wire.
func ParseEPRT(arg string) (netip.AddrPort, error) {
	i := skipSpace(arg, 0)
	f, next, err := scanExtended(arg, i)
	if err != "" {
		return netip.AddrPort{}, syntaxError("EPRT: "+err, arg)
	}
	if skipSpace(arg, next) != len(arg) {
		return netip.AddrPort{}, syntaxError("EPRT: unexpected text after the closing delimiter", arg)
	}
	if f.af == "" || f.addr == "" {
		return netip.AddrPort{}, syntaxError("EPRT: missing address family or address", arg)
	}
	addr, err := f.address()
	if err != "" {
		return netip.AddrPort{}, syntaxError("EPRT: "+err, arg)
	}
	return netip.AddrPortFrom(addr, f.port), nil
}

// FormatEPRT writes ap as an EPRT argument with '|' delimiters: "|1|a.b.c.d|port|"
// for IPv4 (IPv4-mapped included) and "|2|v6addr|port|" for IPv6. It returns ""
// for an invalid endpoint or an address with a zone, which EPRT cannot carry.
func FormatEPRT(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	if !a.IsValid() || a.Zone() != "" {
		return ""
	}
	var buf [64]byte
	b := append(buf[:0], '|')
	if a.Is4() {
		b = append(b, eprtIPv4)
	} else {
		b = append(b, eprtIPv6)
	}
	b = append(b, '|')
	b = a.AppendTo(b)
	b = append(b, '|')
	b = strconv.AppendUint(b, uint64(ap.Port()), 10)
	b = append(b, '|')
	return string(b)
}

// ParseLPRT parses the argument of an RFC 1639 LPRT command,
// "af,hal,h1,...,hn,pal,p1,...,pn": af 4 with hal 4 (IPv4) or af 6 with hal 16
// (IPv6), then pal 2 and the port in network byte order. pal 1 (a port below
// 256) is accepted too. Every number is 0..255; spaces and TABs around numbers
// and commas are tolerated; port 0 is refused. An IPv4-mapped IPv6 address is
// returned as plain IPv4.
func ParseLPRT(arg string) (netip.AddrPort, error) {
	ap, end, err := scanLong(arg, 0)
	if err != "" {
		return netip.AddrPort{}, syntaxError("LPRT: "+err, arg)
	}
	if skipSpace(arg, end) != len(arg) {
		return netip.AddrPort{}, syntaxError("LPRT: unexpected text after the port", arg)
	}
	return ap, nil
}

// FormatLPRT writes ap as a canonical LPRT argument: "4,4,h1,h2,h3,h4,2,p1,p2"
// for IPv4 (IPv4-mapped included) and "6,16,h1,...,h16,2,p1,p2" for IPv6. It
// returns "" for an invalid endpoint or an address with a zone.
func FormatLPRT(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	if !a.IsValid() || a.Zone() != "" {
		return ""
	}
	var buf [96]byte
	var b []byte
	if a.Is4() {
		b = append(buf[:0], "4,4,"...)
		for _, o := range a.As4() {
			b = strconv.AppendUint(b, uint64(o), 10)
			b = append(b, ',')
		}
	} else {
		b = append(buf[:0], "6,16,"...)
		for _, o := range a.As16() {
			b = strconv.AppendUint(b, uint64(o), 10)
			b = append(b, ',')
		}
	}
	b = append(b, "2,"...)
	b = strconv.AppendUint(b, uint64(ap.Port()>>8), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(ap.Port()&0xFF), 10)
	return string(b)
}

// skipSpace returns the index of the first byte at or after i in s that is
// not a space or a TAB.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// scanOctet reads one decimal number 0..255 at s[i:] (leading zeros allowed).
// It returns the value, the index after the digits and a problem ("" if none).
func scanOctet(s string, i int) (byte, int, string) {
	start := i
	v := 0
	for i < len(s) && isDigit(s[i]) {
		v = v*10 + int(s[i]-'0')
		if v > 255 {
			return 0, i, "number above 255"
		}
		i++
	}
	if i == start {
		return 0, i, "expected a number"
	}
	return byte(v), i, ""
}

// scanOctets reads len(dst) comma-separated numbers 0..255 starting at s[i:],
// with optional spaces around each number. It returns the index after the
// last number (trailing spaces not consumed) and a problem ("" if none).
func scanOctets(s string, i int, dst []byte) (int, string) {
	for k := range dst {
		if k > 0 {
			i = skipSpace(s, i)
			if i >= len(s) || s[i] != ',' {
				return i, "expected " + countWord[len(dst)] + " comma-separated numbers"
			}
			i++
		}
		i = skipSpace(s, i)
		var problem string
		dst[k], i, problem = scanOctet(s, i)
		if problem != "" {
			return i, problem
		}
	}
	return i, ""
}

// countWord spells the field counts used in messages without fmt.
var countWord = [...]string{2: "two", 4: "four", 6: "six"}

// sixToAddrPort turns the six numbers of PORT or 227 into an IPv4 endpoint.
func sixToAddrPort(n [6]byte) (netip.AddrPort, string) {
	port := uint16(n[4])<<8 | uint16(n[5])
	if port == 0 {
		return netip.AddrPort{}, "port 0"
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{n[0], n[1], n[2], n[3]}), port), ""
}

// scanLong reads an RFC 1639 long address ("af,hal,h...,pal,p...") at s[i:],
// with optional spaces around numbers and commas. It returns the endpoint, the
// index after the last port byte and a problem ("" if none).
func scanLong(s string, i int) (netip.AddrPort, int, string) {
	var hdr [2]byte
	i, problem := scanOctets(s, i, hdr[:])
	if problem != "" {
		return netip.AddrPort{}, i, problem
	}
	var hal int
	switch hdr[0] {
	case lprtIPv4:
		hal = 4
	case lprtIPv6:
		hal = 16
	default:
		return netip.AddrPort{}, i, "address family not 4 or 6"
	}
	if int(hdr[1]) != hal {
		return netip.AddrPort{}, i, "address length does not match the address family"
	}
	var ab [16]byte
	for k := range hal {
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != ',' {
			return netip.AddrPort{}, i, "address shorter than its length"
		}
		var p string
		ab[k], i, p = scanOctet(s, skipSpace(s, i+1))
		if p != "" {
			return netip.AddrPort{}, i, p
		}
	}
	i = skipSpace(s, i)
	if i >= len(s) || s[i] != ',' {
		return netip.AddrPort{}, i, "missing port length"
	}
	pal, i, p := scanOctet(s, skipSpace(s, i+1))
	if p != "" {
		return netip.AddrPort{}, i, p
	}
	if pal != 1 && pal != 2 {
		return netip.AddrPort{}, i, "port length not 1 or 2"
	}
	var port uint16
	for range int(pal) {
		i = skipSpace(s, i)
		if i >= len(s) || s[i] != ',' {
			return netip.AddrPort{}, i, "port shorter than its length"
		}
		var o byte
		o, i, p = scanOctet(s, skipSpace(s, i+1))
		if p != "" {
			return netip.AddrPort{}, i, p
		}
		port = port<<8 | uint16(o)
	}
	if port == 0 {
		return netip.AddrPort{}, i, "port 0"
	}
	var addr netip.Addr
	if hal == 4 {
		addr = netip.AddrFrom4([4]byte(ab[:4]))
	} else {
		addr = netip.AddrFrom16(ab).Unmap()
	}
	return netip.AddrPortFrom(addr, port), i, ""
}

// isExtDelim reports whether c may delimit an RFC 2428 EPRT argument or 229
// reply: printable ASCII 33..126 except what could be part of an address or a
// number (digits, hex letters, '.' and ':'), which is Wireshark's rule.
func isExtDelim(c byte) bool {
	if c < 33 || c > 126 || isDigit(c) || c == '.' || c == ':' {
		return false
	}
	l := c | 0x20
	return l < 'a' || l > 'f'
}

// extFields holds the fields of "<d><af><d><addr><d><port><d>".
type extFields struct {
	af   string // "", "1" or "2"
	addr string // as written; may be empty in a 229 reply
	port uint16 // 1..65535
}

// scanExtended reads "<d><af><d><addr><d><port><d>" at s[i:]. af must be
// empty, "1" or "2"; addr is not checked here; port must be 1..65535. It
// returns the fields, the index after the closing delimiter and a problem
// ("" if none).
func scanExtended(s string, i int) (extFields, int, string) {
	var f extFields
	if i >= len(s) {
		return f, i, "missing delimiter"
	}
	d := s[i]
	if !isExtDelim(d) {
		return f, i, "bad delimiter"
	}
	i++
	// af: empty, "1" or "2". Looking no further than one byte (and no further
	// than maxAddrText for the address) keeps a scan over a long reply linear.
	switch {
	case i < len(s) && s[i] == d:
	case i+1 < len(s) && s[i+1] == d && (s[i] == eprtIPv4 || s[i] == eprtIPv6):
		f.af = s[i : i+1]
		i++
	default:
		return f, i, "address family not 1 or 2"
	}
	i++
	j := indexByteFrom(s[:min(len(s), i+maxAddrText+1)], i, d)
	if j < 0 {
		return f, i, "missing delimiter after the address"
	}
	f.addr = s[i:j]
	i = j + 1
	start := i
	v := 0
	for i < len(s) && isDigit(s[i]) {
		v = v*10 + int(s[i]-'0')
		if v > 65535 {
			return f, i, "port above 65535"
		}
		i++
	}
	if i == start {
		return f, i, "missing port"
	}
	if v == 0 {
		return f, i, "port 0"
	}
	if i >= len(s) || s[i] != d {
		return f, i, "missing delimiter after the port"
	}
	f.port = uint16(v)
	return f, i + 1, ""
}

// address parses f.addr and checks it against f.af: af 1 takes only a
// dotted quad, af 2 only an IPv6 address; without af either is accepted.
// IPv4-mapped results are unmapped.
func (f extFields) address() (netip.Addr, string) {
	a, err := netip.ParseAddr(f.addr)
	if err != nil {
		return netip.Addr{}, "bad address"
	}
	if a.Zone() != "" {
		return netip.Addr{}, "address with a zone"
	}
	switch f.af {
	case "1":
		if !a.Is4() {
			return netip.Addr{}, "address family 1 with a non-IPv4 address"
		}
	case "2":
		if !a.Is6() {
			return netip.Addr{}, "address family 2 with a non-IPv6 address"
		}
	}
	return a.Unmap(), ""
}

// indexByteFrom is strings.IndexByte on s[i:], returning an index into s.
func indexByteFrom(s string, i int, c byte) int {
	if j := strings.IndexByte(s[i:], c); j >= 0 {
		return i + j
	}
	return -1
}
