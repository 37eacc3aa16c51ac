package ftp

import (
	"errors"
	"net/netip"
	"testing"
)

var pasvCases = []addrCase{
	{"RFC 959 form with code", "227 Entering Passive Mode (10,0,0,2,200,10).", "10.0.0.2:51210"},
	{"code already removed", "Entering Passive Mode (10,0,0,2,200,10)", "10.0.0.2:51210"},
	{"cURL test: no parentheses", "227 Entering passive mode. 127,0,0,1,4,51", "127.0.0.1:1075"},
	{"no parentheses, code removed", "Entering passive mode. 127,0,0,1,4,51", "127.0.0.1:1075"},
	{"Wireshark/DJB: equals sign", "227 =10,0,0,2,200,10", "10.0.0.2:51210"},
	{"sys-ftpd#7: bare numbers after the code", "227 10,0,0,2,200,10", "10.0.0.2:51210"},
	{"bare numbers, code removed", "10,0,0,2,200,10", "10.0.0.2:51210"},
	{"aioftp#85: multi-line, text joined", "listen socket created\nEntering Passive Mode (10,0,0,2,200,10)", "10.0.0.2:51210"},
	{"multi-line with the codes kept", "227-listen socket created\n227 (10,0,0,2,200,10)", "10.0.0.2:51210"},
	{"reply code is not the first number", "227 1,2,3,4,5,6", "1.2.3.4:1286"},
	{"continuation code is not the first number", "227-1,2,3,4,5,6", "1.2.3.4:1286"},
	{"code followed by a spaced comma is not an octet", "227 ,10,0,0,2,200,10", "10.0.0.2:51210"},
	{"same on a later line", "227-x\n227 ,10,0,0,2,200,10", "10.0.0.2:51210"},
	{"a code-like number inside a line is not skipped", "227 Entering Passive Mode 10,0,0,2,200,10", "10.0.0.2:51210"},
	{"spaces after commas", "227 Entering Passive Mode (10, 0, 0, 2, 200, 10)", "10.0.0.2:51210"},
	{"vsftpd form", "227 Entering Passive Mode (192,168,56,10,39,17).", "192.168.56.10:10001"},
	{"metasploit#11798: NATed server announces a private address", "227 Entering Passive Mode (192,168,1,5,195,80)", "192.168.1.5:50000"},
	{"seven numbers: the first six are used", "227 (10,0,0,2,200,10,5)", "10.0.0.2:51210"},
	{"run broken by a number above 255 is skipped", "227 version 300,10,0,0,2,200,10", "10.0.0.2:51210"},
	{"numbers before the address that are not a run of six", "227 at 12:30 (10,0,0,2,200,10)", "10.0.0.2:51210"},
	{"leading zeros", "227 (010,000,000,002,200,010)", "10.0.0.2:51210"},
	{"IIS-style period after the parenthesis", "227 Entering Passive Mode (10,0,0,2,4,1).\r", "10.0.0.2:1025"},

	{"pure-ftpd#175: 227 Logout.", "227 Logout.", ""},
	{"empty", "", ""},
	{"code only", "227", ""},
	{"five numbers", "227 Entering Passive Mode (10,0,0,2,200)", ""},
	{"octet 256 in the address", "227 Entering Passive Mode (10,0,0,256,200,10)", ""},
	{"octet 256 in the port", "227 Entering Passive Mode (10,0,0,2,256,10)", ""},
	{"port 0", "227 Entering Passive Mode (10,0,0,2,0,0)", ""},
	{"dotted address", "227 Entering Passive Mode 10.0.0.2:51210", ""},
	{"229 text given to the 227 parser", "229 Entering Extended Passive Mode (|||6446|)", ""},
}

func TestParsePASVReply(t *testing.T) {
	runAddrCases(t, "ParsePASVReply", ParsePASVReply, pasvCases)
}

var lpsvCases = []addrCase{
	{"RFC 1639 IPv4", "228 Entering Long Passive Mode (4,4,132,235,1,2,2,24,131)", "132.235.1.2:6275"},
	{"RFC 1639 IPv6", "228 Entering Long Passive Mode (6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162)", "[1080::8:800:200c:417a]:5282"},
	{"code removed", "Entering Long Passive Mode (4,4,132,235,1,2,2,24,131)", "132.235.1.2:6275"},
	{"no parentheses", "228 4,4,10,0,0,1,2,4,1", "10.0.0.1:1025"},
	{"multi-line joined", "228-ok\n228 Entering Long Passive Mode (4,4,10,0,0,1,2,4,1)", "10.0.0.1:1025"},
	{"pal 1", "228 (4,4,10,0,0,1,1,21)", "10.0.0.1:21"},
	{"reply code not taken as af", "228 (4,4,10,0,0,1,2,4,1)", "10.0.0.1:1025"},
	{"a bad run is skipped", "228 (5,4,1,2,3,4,2,0,1) then (4,4,10,0,0,1,2,4,1)", "10.0.0.1:1025"},

	{"port 0", "228 Entering Long Passive Mode (4,4,132,235,1,2,2,0,0)", ""},
	{"af 5", "228 Entering Long Passive Mode (5,4,132,235,1,2,2,24,131)", ""},
	{"hal does not match af", "228 Entering Long Passive Mode (6,4,132,235,1,2,2,24,131)", ""},
	{"227 text given to the 228 parser", "227 Entering Passive Mode (10,0,0,2,200,10)", ""},
	{"empty", "", ""},
	{"truncated", "228 (6,16,1,2,3)", ""},
}

func TestParseLPSVReply(t *testing.T) {
	runAddrCases(t, "ParseLPSVReply", ParseLPSVReply, lpsvCases)
}

// epsvCase is one 229 reply text and its expected parse (wantErr for a
// *SyntaxError).
type epsvCase struct {
	name    string
	in      string
	want    EPSVReply
	wantErr bool
}

var epsvCases = []epsvCase{
	{"RFC 2428 example", "229 Entering Extended Passive Mode (|||6446|)", EPSVReply{Port: 6446, Parens: true}, false},
	{"code removed", "Entering Extended Passive Mode (|||6446|)", EPSVReply{Port: 6446, Parens: true}, false},
	{"other delimiter !", "229 Entering Extended Passive Mode (!!!6446!)", EPSVReply{Port: 6446, Parens: true}, false},
	{"other delimiter #", "229 (###6446#)", EPSVReply{Port: 6446, Parens: true}, false},
	{"no parentheses", "229 Entering Extended Passive Mode |||6446|", EPSVReply{Port: 6446}, false},
	{"no parentheses, bare", "|||6446|", EPSVReply{Port: 6446}, false},
	{"spaces inside the parentheses", "229 ( |||6446| )", EPSVReply{Port: 6446, Parens: true}, false},
	{"address filled in, IPv4", "229 Entering Extended Passive Mode (|1|192.0.2.7|6446|)", EPSVReply{Port: 6446, Addr: netip.MustParseAddr("192.0.2.7"), Parens: true}, false},
	{"address filled in, IPv6", "229 Entering Extended Passive Mode (|2|::1|6446|)", EPSVReply{Port: 6446, Addr: netip.MustParseAddr("::1"), Parens: true}, false},
	{"address without af", "229 (||192.0.2.7|6446|)", EPSVReply{Port: 6446, Addr: netip.MustParseAddr("192.0.2.7"), Parens: true}, false},
	{"af without address", "229 (|2||6446|)", EPSVReply{Port: 6446, Parens: true}, false},
	{"IPv4-mapped address unmapped", "229 (|2|::ffff:192.0.2.7|6446|)", EPSVReply{Port: 6446, Addr: netip.MustParseAddr("192.0.2.7"), Parens: true}, false},
	{"port 65535", "229 (|||65535|)", EPSVReply{Port: 65535, Parens: true}, false},
	{"cpython#127478: 229 answering PASV, same form", "229 Entering Extended Passive Mode (|||50001|).", EPSVReply{Port: 50001, Parens: true}, false},
	{"multi-line joined", "229-Extended passive\n229 (|||6446|)", EPSVReply{Port: 6446, Parens: true}, false},
	{"parenthesised junk first, bare form later", "229 (see below) |||6446|", EPSVReply{Port: 6446}, false},
	{"bad parenthesised form, good one later", "229 (|||0|) (|||6446|)", EPSVReply{Port: 6446, Parens: true}, false},
	{"leading zeros in the port", "229 (|||006446|)", EPSVReply{Port: 6446, Parens: true}, false},
	// Found by FuzzParseEPSVReply: legal under the RFC 2428 delimiter rule.
	{"comma delimiter", "229 (,,,6446,)", EPSVReply{Port: 6446, Parens: true}, false},
	{"non-hex letter delimiter with an address", "229 XX::1X6446X", EPSVReply{Port: 6446, Addr: netip.MustParseAddr("::1")}, false},
	{"unclosed parenthesis is the bare form", "229 (|||6446|", EPSVReply{Port: 6446}, false},

	{"port 0", "229 Entering Extended Passive Mode (|||0|)", EPSVReply{}, true},
	{"port 65536", "229 Entering Extended Passive Mode (|||65536|)", EPSVReply{}, true},
	{"missing closing delimiter", "229 Entering Extended Passive Mode (|||6446)", EPSVReply{}, true},
	{"two delimiters before the port", "229 Entering Extended Passive Mode (||6446|)", EPSVReply{}, true},
	{"hex-letter delimiter", "229 Entering Extended Passive Mode (aaa6446a)", EPSVReply{}, true},
	{"digit delimiter", "229 Entering Extended Passive Mode (11164461)", EPSVReply{}, true},
	{"dot delimiter", "229 Entering Extended Passive Mode (...6446.)", EPSVReply{}, true},
	{"mixed delimiters", "229 Entering Extended Passive Mode (|||6446!)", EPSVReply{}, true},
	{"af 1 with an IPv6 address", "229 (|1|::1|6446|)", EPSVReply{}, true},
	{"bad address", "229 (|1|999.0.0.1|6446|)", EPSVReply{}, true},
	{"af 3", "229 (|3||6446|)", EPSVReply{}, true},
	{"227 text given to the 229 parser", "227 Entering Passive Mode (10,0,0,2,200,10)", EPSVReply{}, true},
	{"empty", "", EPSVReply{}, true},
	{"text only", "229 Entering Extended Passive Mode", EPSVReply{}, true},
}

func TestParseEPSVReply(t *testing.T) {
	for _, tc := range epsvCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEPSVReply(tc.in)
			if tc.wantErr {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("ParseEPSVReply(%q): got %+v, %v; want a *SyntaxError", tc.in, got, err)
				}
				if got != (EPSVReply{}) {
					t.Errorf("ParseEPSVReply(%q): got %+v with an error, want the zero EPSVReply", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEPSVReply(%q): got error %v, want %+v", tc.in, err, tc.want)
			}
			if got != tc.want {
				t.Errorf("ParseEPSVReply(%q): got %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

// TestPassiveFromReplyReader runs real multi-line replies through the
// ReplyReader and then the parsers, the way the analysis package uses them.
func TestPassiveFromReplyReader(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"aioftp#85 multi-line 227", []string{"227-listen socket created", "227 Entering Passive Mode (10,0,0,2,200,10)"}, "10.0.0.2:51210"},
		{"ProFTPD-style repeated prefix", []string{"227-Entering", "227-Passive Mode", "227 (10,0,0,2,200,10)"}, "10.0.0.2:51210"},
		{"address on the first line", []string{"227-Entering Passive Mode (10,0,0,2,200,10)", "227 OK"}, "10.0.0.2:51210"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r ReplyReader
			var rep Reply
			var done bool
			for _, l := range tc.lines {
				var err error
				rep, done, err = r.Feed([]byte(l))
				if err != nil {
					t.Fatalf("Feed(%q): %v", l, err)
				}
			}
			if !done || rep.Code != 227 {
				t.Fatalf("got done=%v code=%v, want a complete 227", done, rep.Code)
			}
			got, err := ParsePASVReply(rep.Text())
			if err != nil {
				t.Fatalf("ParsePASVReply(%q): %v", rep.Text(), err)
			}
			if want := netip.MustParseAddrPort(tc.want); got != want {
				t.Errorf("ParsePASVReply(%q): got %v, want %v", rep.Text(), got, want)
			}
		})
	}
}

// TestPassiveAllocs guards the per-reply cost: a successful parse of a
// well-formed reply allocates nothing.
func TestPassiveAllocs(t *testing.T) {
	pasv := "227 Entering Passive Mode (10,0,0,2,200,10)."
	epsv := "229 Entering Extended Passive Mode (|2|::1|6446|)"
	lpsv := "228 Entering Long Passive Mode (4,4,132,235,1,2,2,24,131)"
	if n := testing.AllocsPerRun(100, func() { ParsePASVReply(pasv) }); n != 0 {
		t.Errorf("ParsePASVReply: got %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { ParseEPSVReply(epsv) }); n != 0 {
		t.Errorf("ParseEPSVReply: got %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { ParseLPSVReply(lpsv) }); n != 0 {
		t.Errorf("ParseLPSVReply: got %v allocations, want 0", n)
	}
}
