package ftp

import (
	"errors"
	"net/netip"
	"testing"
)

// addrCase is one parser input and its expected endpoint ("" = an error).
type addrCase struct {
	name string
	in   string
	want string // netip.AddrPort text, or "" for a *SyntaxError
}

var portCases = []addrCase{
	{"RFC 959 form", "10,0,0,1,4,1", "10.0.0.1:1025"},
	{"cURL-style client", "192,168,1,2,7,138", "192.168.1.2:1930"},
	{"spaces around numbers and commas (tolerated)", " 10 , 0 ,0, 1 ,4 , 1 ", "10.0.0.1:1025"},
	{"TABs tolerated", "10,\t0,0,1,4,1\t", "10.0.0.1:1025"},
	{"leading zeros", "010,000,000,001,004,001", "10.0.0.1:1025"},
	{"all 255", "255,255,255,255,255,255", "255.255.255.255:65535"},
	{"port below 256", "10,0,0,1,0,21", "10.0.0.1:21"},
	{"unspecified address is syntax, not our problem", "0,0,0,0,4,1", "0.0.0.0:1025"},
	{"octet 256 in the address", "256,0,0,1,4,1", ""},
	{"octet 256 in the port", "10,0,0,1,4,256", ""},
	{"huge number does not overflow", "99999999999999999999999,0,0,1,4,1", ""},
	{"port 0", "10,0,0,1,0,0", ""},
	{"five numbers", "10,0,0,1,4", ""},
	{"seven numbers", "10,0,0,1,4,1,7", ""},
	{"trailing comma", "10,0,0,1,4,1,", ""},
	{"empty", "", ""},
	{"empty field", "10,,0,1,4,1", ""},
	{"negative number", "-1,0,0,1,4,1", ""},
	{"trailing garbage", "10,0,0,1,4,1x", ""},
	{"dotted address (a PORT/EPRT mix-up)", "10.0.0.1,4,1", ""},
	{"EPRT argument given to PORT", "|1|10.0.0.1|1025|", ""},
	{"parentheses are a reply form, not a command form", "(10,0,0,1,4,1)", ""},
	{"space inside a number", "1 0,0,0,1,4,1", ""},
}

func TestParsePORT(t *testing.T) { runAddrCases(t, "ParsePORT", ParsePORT, portCases) }

var eprtCases = []addrCase{
	// RFC 2428 section 2 examples.
	{"RFC 2428 IPv4 example", "|1|132.235.1.2|6275|", "132.235.1.2:6275"},
	{"RFC 2428 IPv6 example", "|2|1080::8:800:200C:417A|5282|", "[1080::8:800:200c:417a]:5282"},
	{"IPv6 loopback", "|2|::1|21|", "[::1]:21"},
	{"IPv4-mapped IPv6 is returned as IPv4", "|2|::ffff:10.0.0.1|40001|", "10.0.0.1:40001"},
	{"other delimiter !", "!1!10.0.0.1!40001!", "10.0.0.1:40001"},
	{"other delimiter %", "%2%::1%40001%", "[::1]:40001"},
	{"other delimiter ~", "~1~10.0.0.1~40001~", "10.0.0.1:40001"},
	{"non-hex letter as delimiter", "z1z10.0.0.1z40001z", "10.0.0.1:40001"},
	{"surrounding spaces tolerated", "  |1|10.0.0.1|40001|  ", "10.0.0.1:40001"},
	{"port 65535", "|1|10.0.0.1|65535|", "10.0.0.1:65535"},
	{"port 1", "|1|10.0.0.1|1|", "10.0.0.1:1"},
	{"port with leading zeros", "|1|10.0.0.1|00021|", "10.0.0.1:21"},

	{"hex letter as delimiter (Wireshark rule)", "a1a10.0.0.1a40001a", ""},
	{"digit as delimiter", "0102.0.0.100210", ""},
	{"dot as delimiter", ".1.10.0.0.1.40001.", ""},
	{"colon as delimiter", ":2:::1:40001:", ""},
	{"DEL as delimiter", "\x7f1\x7f10.0.0.1\x7f40001\x7f", ""},
	{"non-ASCII delimiter", "\xa71\xa710.0.0.1\xa740001\xa7", ""},
	{"mixed delimiters", "|1|10.0.0.1!40001|", ""},
	{"port 0", "|1|10.0.0.1|0|", ""},
	{"port 65536", "|1|10.0.0.1|65536|", ""},
	{"huge port does not overflow", "|1|10.0.0.1|99999999999999999999999|", ""},
	{"missing port", "|1|10.0.0.1||", ""},
	{"missing closing delimiter", "|1|10.0.0.1|40001", ""},
	{"trailing text", "|1|10.0.0.1|40001|x", ""},
	{"af 1 with IPv6 address", "|1|::1|40001|", ""},
	{"af 1 with IPv4-mapped IPv6 (dotted quad only)", "|1|::ffff:10.0.0.1|40001|", ""},
	{"af 2 with IPv4 address", "|2|10.0.0.1|40001|", ""},
	{"af 3", "|3|10.0.0.1|40001|", ""},
	{"af 12", "|12|10.0.0.1|40001|", ""},
	{"empty af", "||10.0.0.1|40001|", ""},
	{"empty address", "|1||40001|", ""},
	{"IPv4 with leading zeros is ambiguous (octal?)", "|1|010.0.0.1|40001|", ""},
	{"three-part IPv4", "|1|10.0.1|40001|", ""},
	{"host name", "|1|ftp.example.com|40001|", ""},
	{"zone", "|2|fe80::1%eth0|40001|", ""},
	{"PORT argument given to EPRT", "10,0,0,1,4,1", ""},
	{"empty", "", ""},
	{"delimiter only", "|", ""},
	{"port with sign", "|1|10.0.0.1|+21|", ""},
}

func TestParseEPRT(t *testing.T) { runAddrCases(t, "ParseEPRT", ParseEPRT, eprtCases) }

var lprtCases = []addrCase{
	// RFC 1639 "af,hal,h1..hn,pal,p1..pn", endpoints from RFC 2428's examples.
	{"RFC 1639 IPv4", "4,4,132,235,1,2,2,24,131", "132.235.1.2:6275"},
	{"RFC 1639 IPv6", "6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162", "[1080::8:800:200c:417a]:5282"},
	{"pal 1 (port below 256)", "4,4,10,0,0,1,1,21", "10.0.0.1:21"},
	{"spaces tolerated", " 4, 4, 10 ,0,0,1, 2,4,1 ", "10.0.0.1:1025"},
	{"IPv4-mapped IPv6 is returned as IPv4", "6,16,0,0,0,0,0,0,0,0,0,0,255,255,10,0,0,1,2,4,1", "10.0.0.1:1025"},
	{"af 5", "5,4,10,0,0,1,2,4,1", ""},
	{"af 4 with hal 16", "4,16,10,0,0,1,2,4,1", ""},
	{"af 6 with hal 4", "6,4,10,0,0,1,2,4,1", ""},
	{"pal 3", "4,4,10,0,0,1,3,0,4,1", ""},
	{"pal 0", "4,4,10,0,0,1,0", ""},
	{"port 0", "4,4,10,0,0,1,2,0,0", ""},
	{"octet 256", "4,4,10,0,256,1,2,4,1", ""},
	{"address too short", "4,4,10,0,0", ""},
	{"port missing", "4,4,10,0,0,1,2,4", ""},
	{"extra number", "4,4,10,0,0,1,2,4,1,9", ""},
	{"trailing text", "4,4,10,0,0,1,2,4,1)", ""},
	{"PORT argument given to LPRT", "10,0,0,1,4,1", ""},
	{"empty", "", ""},
}

func TestParseLPRT(t *testing.T) { runAddrCases(t, "ParseLPRT", ParseLPRT, lprtCases) }

func runAddrCases(t *testing.T, fn string, parse func(string) (netip.AddrPort, error), cases []addrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.in)
			if tc.want == "" {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("%s(%q): got %v, %v; want a *SyntaxError", fn, tc.in, got, err)
				}
				if got.IsValid() {
					t.Errorf("%s(%q): got %v with an error, want the zero AddrPort", fn, tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s(%q): got error %v, want %s", fn, tc.in, err, tc.want)
			}
			if want := netip.MustParseAddrPort(tc.want); got != want {
				t.Errorf("%s(%q): got %v, want %v", fn, tc.in, got, want)
			}
		})
	}
}

func TestFormatPORT(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"10.0.0.1:1025", "10,0,0,1,4,1"},
		{"255.255.255.255:65535", "255,255,255,255,255,255"},
		{"192.0.2.1:21", "192,0,2,1,0,21"},
		{"[::ffff:10.0.0.1]:1025", "10,0,0,1,4,1"},
		{"[::1]:21", ""},
	} {
		if got := FormatPORT(netip.MustParseAddrPort(tc.in)); got != tc.want {
			t.Errorf("FormatPORT(%s): got %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := FormatPORT(netip.AddrPort{}); got != "" {
		t.Errorf("FormatPORT(zero): got %q, want \"\"", got)
	}
}

func TestFormatEPRT(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"132.235.1.2:6275", "|1|132.235.1.2|6275|"},
		{"[1080::8:800:200c:417a]:5282", "|2|1080::8:800:200c:417a|5282|"},
		{"[::ffff:10.0.0.1]:21", "|1|10.0.0.1|21|"},
		{"[fe80::1%eth0]:21", ""},
	} {
		if got := FormatEPRT(netip.MustParseAddrPort(tc.in)); got != tc.want {
			t.Errorf("FormatEPRT(%s): got %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := FormatEPRT(netip.AddrPort{}); got != "" {
		t.Errorf("FormatEPRT(zero): got %q, want \"\"", got)
	}
}

func TestFormatLPRT(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"132.235.1.2:6275", "4,4,132,235,1,2,2,24,131"},
		{"[1080::8:800:200c:417a]:5282", "6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162"},
		{"[::ffff:10.0.0.1]:21", "4,4,10,0,0,1,2,0,21"},
		{"[fe80::1%eth0]:21", ""},
	} {
		if got := FormatLPRT(netip.MustParseAddrPort(tc.in)); got != tc.want {
			t.Errorf("FormatLPRT(%s): got %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := FormatLPRT(netip.AddrPort{}); got != "" {
		t.Errorf("FormatLPRT(zero): got %q, want \"\"", got)
	}
}

// TestExtDelim pins the delimiter rule shared by EPRT and 229 against its
// definition, byte by byte.
func TestExtDelim(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		want := b >= 33 && b <= 126 && !(b >= '0' && b <= '9') && b != '.' && b != ':' &&
			!(b >= 'a' && b <= 'f') && !(b >= 'A' && b <= 'F')
		if got := isExtDelim(b); got != want {
			t.Errorf("isExtDelim(%q): got %v, want %v", b, got, want)
		}
	}
}
