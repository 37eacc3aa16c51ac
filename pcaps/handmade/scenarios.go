// Package handmade holds the hand-made captures of FTP cases that real
// software will not produce on demand (odd reply forms, split and multi-line
// replies, reordering, gaps, mid-session starts, link types), the code that
// writes them, and what ftpscope must report for each. The captures are
// committed beside this file; `go run ./pcaps/handmade/gen` rewrites them and
// a test checks the committed files are exactly what the code writes.
package handmade

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// Channel is what ftpscope must report for one data channel.
type Channel struct {
	Method, Mode, Announced, Verdict string
	Blocked, NAT                     bool
}

// Scenario is one hand-made capture (or a set of files read together).
type Scenario struct {
	// Name identifies the scenario; Files are its capture files, read together.
	Name  string
	Files []string
	// Doc says what the capture shows.
	Doc string
	// Args are extra ftpscope flags the scenario needs.
	Args []string
	// Sessions is the number of sessions ftpscope must report.
	Sessions int
	// Channels are the channels of all sessions, in output order.
	Channels []Channel
	// TLS, Midstream and Truncated are facts the report must state.
	TLS, Midstream, Truncated bool
	write                     func(files []io.Writer) error
}

var (
	base   = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	cli4   = netip.MustParseAddr("192.0.2.10")
	srv4   = netip.MustParseAddr("198.51.100.20")
	fw4    = netip.MustParseAddr("198.51.100.1")
	cli6   = netip.MustParseAddr("2001:db8::10")
	srv6   = netip.MustParseAddr("2001:db8::20")
	fw6    = netip.MustParseAddr("2001:db8::1")
	pubSrv = netip.MustParseAddr("203.0.113.20")
)

func ap(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }

func at(sec float64) time.Time { return base.Add(time.Duration(sec * float64(time.Second))) }

// session writes a login on a new control connection and returns it.
func session(w *craft.Writer, t float64, client, server netip.AddrPort) *craft.Conn {
	c := w.Dial(at(t), client, server)
	c.Server(at(t+0.01), "220 (vsFTPd 3.0.3)\r\n")
	c.Client(at(t+0.02), "USER anonymous\r\n")
	c.Server(at(t+0.03), "331 Please specify the password.\r\n")
	c.Client(at(t+0.04), "PASS guest@example.org\r\n")
	c.Server(at(t+0.05), "230 Login successful.\r\n")
	return c
}

// passiveRETR connects from the client to ep and moves n bytes back.
func transfer(w *craft.Writer, t float64, from, to netip.AddrPort, n int, sender craft.Side) {
	d := w.Dial(at(t), from, to)
	end := d.Bulk(at(t+0.01), sender, n, time.Millisecond)
	d.CloseFrom(end, sender)
}

func quit(c *craft.Conn, t float64) {
	c.Client(at(t), "QUIT\r\n")
	c.Server(at(t+0.01), "221 Goodbye.\r\n")
	c.Close(at(t + 0.02))
}

func one(f func(w *craft.Writer) error, opts ...craft.Option) func([]io.Writer) error {
	return func(ws []io.Writer) error {
		w, err := craft.NewWriter(ws[0], opts...)
		if err != nil {
			return err
		}
		if err := f(w); err != nil {
			return err
		}
		return w.Flush()
	}
}

// Scenarios lists every hand-made capture.
var Scenarios = []Scenario{
	{
		Name: "odd-227-forms", Files: []string{"odd-227-forms.pcap"},
		Doc:      "227 replies without parentheses, with '=' and bare numbers (cURL/DJB forms); each used by a LIST",
		Sessions: 1,
		Channels: []Channel{
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51201", Verdict: "ok"},
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51202", Verdict: "ok"},
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51203", Verdict: "ok"},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40000), ap(srv4, 21))
			for i, form := range []string{
				"227 Entering passive mode. 198,51,100,20,200,1\r\n",
				"227 =198,51,100,20,200,2\r\n",
				"227 198,51,100,20,200,3\r\n",
			} {
				t := 1 + float64(i)
				c.Client(at(t), "PASV\r\n")
				c.Server(at(t+0.01), form)
				transfer(w, t+0.02, ap(cli4, uint16(50000+i)), ap(srv4, uint16(51201+i)), 300, craft.FromServer)
				c.Client(at(t+0.03), "LIST\r\n")
				c.Server(at(t+0.04), "150 Here comes the directory listing.\r\n")
				c.Server(at(t+0.2), "226 Directory send OK.\r\n")
			}
			quit(c, 5)
			return nil
		}),
	},
	{
		Name: "multiline-split-227", Files: []string{"multiline-split-227.pcap"},
		Doc:      "a multi-line 227 in one segment, then a 227 split across two segments (both defeat Wireshark and the Linux FTP helper)",
		Sessions: 1,
		Channels: []Channel{
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51204", Verdict: "ok"},
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51205", Verdict: "ok"},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40001), ap(srv4, 21))
			c.Client(at(1), "PASV\r\n")
			c.Server(at(1.01), "227-Entering Passive Mode\r\n227-listen socket created\r\n227 (198,51,100,20,200,4)\r\n")
			transfer(w, 1.02, ap(cli4, 50010), ap(srv4, 51204), 2000, craft.FromServer)
			c.Client(at(1.03), "RETR a.txt\r\n")
			c.Server(at(1.04), "150 Opening BINARY mode data connection.\r\n")
			c.Server(at(1.3), "226 Transfer complete.\r\n")
			c.Client(at(2), "PASV\r\n")
			c.ServerSegments(at(2.01), "227 Entering Pass", "ive Mode (198,51,100,20,200,5)\r\n")
			transfer(w, 2.02, ap(cli4, 50011), ap(srv4, 51205), 2000, craft.FromServer)
			c.Client(at(2.03), "RETR b.txt\r\n")
			c.Server(at(2.04), "150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n")
			quit(c, 3)
			return nil
		}),
	},
	{
		Name: "cross-replies", Files: []string{"cross-replies.pcap"},
		Doc:      "229 with '!' delimiters, a 229 answering PASV and a 227 answering EPSV; all used",
		Sessions: 1,
		Channels: []Channel{
			{Method: "EPSV", Mode: "passive", Announced: "198.51.100.20:6446", Verdict: "ok"},
			{Method: "EPSV", Mode: "passive", Announced: "198.51.100.20:6447", Verdict: "ok"},
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51206", Verdict: "ok"},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40002), ap(srv4, 21))
			for i, x := range []struct{ cmd, rep string }{
				{"EPSV\r\n", "229 Entering Extended Passive Mode (!!!6446!)\r\n"},
				{"PASV\r\n", "229 Entering Extended Passive Mode (|||6447|)\r\n"},
				{"EPSV\r\n", "227 Entering Passive Mode (198,51,100,20,200,6).\r\n"},
			} {
				t := 1 + float64(i)
				port := []uint16{6446, 6447, 51206}[i]
				c.Client(at(t), x.cmd)
				c.Server(at(t+0.01), x.rep)
				transfer(w, t+0.02, ap(cli4, uint16(50020+i)), ap(srv4, port), 100, craft.FromServer)
				c.Client(at(t+0.03), "NLST\r\n")
				c.Server(at(t+0.04), "150 Here comes the directory listing.\r\n")
				c.Server(at(t+0.1), "226 Directory send OK.\r\n")
			}
			quit(c, 5)
			return nil
		}),
	},
	{
		Name: "lprt-lpsv", Files: []string{"lprt-lpsv.pcap"},
		Doc:      "RFC 1639 long addresses: LPRT (server connects from port 20) and LPSV answered by 228",
		Sessions: 1,
		Channels: []Channel{
			{Method: "LPRT", Mode: "active", Announced: "192.0.2.10:40001", Verdict: "ok"},
			{Method: "LPSV", Mode: "passive", Announced: "198.51.100.20:51207", Verdict: "ok"},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40003), ap(srv4, 21))
			c.Client(at(1), "LPRT 4,4,192,0,2,10,2,156,65\r\n")
			c.Server(at(1.01), "200 LPRT command successful.\r\n")
			c.Client(at(1.02), "RETR a\r\n")
			transfer(w, 1.03, ap(srv4, 20), ap(cli4, 40001), 500, craft.FromClient)
			c.Server(at(1.04), "150 Opening data connection.\r\n")
			c.Server(at(1.2), "226 Transfer complete.\r\n")
			c.Client(at(2), "LPSV\r\n")
			c.Server(at(2.01), "228 Entering Long Passive Mode (4,4,198,51,100,20,2,200,7)\r\n")
			transfer(w, 2.02, ap(cli4, 50030), ap(srv4, 51207), 500, craft.FromServer)
			c.Client(at(2.03), "RETR b\r\n")
			c.Server(at(2.04), "150 Opening data connection.\r\n")
			c.Server(at(2.2), "226 Transfer complete.\r\n")
			quit(c, 3)
			return nil
		}),
	},
	{
		Name: "refused-port-epsv-all", Files: []string{"refused-port-epsv-all.pcap"},
		Doc:      "a PORT the server refuses (500) predicts nothing (reported unused); EPSV ALL, a PORT after it (refused), then EPSV used",
		Sessions: 1,
		Channels: []Channel{
			{Method: "PORT", Mode: "active", Announced: "10.9.9.9:40001", Verdict: "unused", NAT: true},
			{Method: "PORT", Mode: "active", Announced: "192.0.2.10:40002", Verdict: "unused"},
			{Method: "EPSV", Mode: "passive", Announced: "198.51.100.20:6448", Verdict: "ok"},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40004), ap(srv4, 21))
			c.Client(at(1), "PORT 10,9,9,9,156,65\r\n")
			c.Server(at(1.01), "500 Illegal PORT command.\r\n")
			c.Client(at(1.5), "EPSV ALL\r\n")
			c.Server(at(1.51), "200 EPSV ALL ok.\r\n")
			c.Client(at(2), "PORT 192,0,2,10,156,66\r\n")
			c.Server(at(2.01), "500 PORT not allowed after EPSV ALL.\r\n")
			c.Client(at(3), "EPSV\r\n")
			c.Server(at(3.01), "229 Entering Extended Passive Mode (|||6448|)\r\n")
			transfer(w, 3.02, ap(cli4, 50040), ap(srv4, 6448), 100, craft.FromServer)
			c.Client(at(3.03), "LIST\r\n")
			c.Server(at(3.04), "150 Here comes the directory listing.\r\n226 Directory send OK.\r\n")
			quit(c, 4)
			return nil
		}),
	},
	{
		Name: "auth-tls", Files: []string{"auth-tls.pcap"},
		Doc:      "AUTH TLS accepted with 234: the control channel is opaque afterwards; nothing may be predicted",
		Sessions: 1, TLS: true,
		write: one(func(w *craft.Writer) error {
			c := w.Dial(at(0), ap(cli4, 40005), ap(srv4, 21))
			c.Server(at(0.01), "220 (vsFTPd 3.0.3)\r\n")
			c.Client(at(0.02), "AUTH TLS\r\n")
			c.Server(at(0.03), "234 Proceed with negotiation.\r\n")
			c.Client(at(0.04), "\x16\x03\x01\x00\x50\x01\x00\x00\x4c\x03\x03 client hello bytes\r\n227 (1,2,3,4,5,6)\r\n")
			c.Server(at(0.05), "\x16\x03\x03\x00\x40\x02\x00 server hello 227 Entering Passive Mode (198,51,100,20,200,9)\r\n")
			transfer(w, 1, ap(cli4, 50050), ap(srv4, 51209), 1000, craft.FromServer)
			c.Close(at(2))
			return nil
		}),
	},
	{
		Name: "midsession", Files: []string{"midsession.pcap"},
		Doc:      "the capture starts after login (no SYN, no greeting): the session and its PASV transfer are still reported",
		Sessions: 1, Midstream: true,
		Channels: []Channel{{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51210", Verdict: "ok"}},
		write: one(func(w *craft.Writer) error {
			c := w.Established(ap(cli4, 40006), ap(srv4, 21))
			c.Client(at(1), "PASV\r\n")
			c.Server(at(1.01), "227 Entering Passive Mode (198,51,100,20,200,10).\r\n")
			transfer(w, 1.02, ap(cli4, 50060), ap(srv4, 51210), 800, craft.FromServer)
			c.Client(at(1.03), "RETR x\r\n")
			c.Server(at(1.04), "150 Opening BINARY mode data connection.\r\n")
			c.Server(at(1.2), "226 Transfer complete.\r\n")
			quit(c, 2)
			return nil
		}),
	},
	{
		Name: "reorder-retransmit-gap", Files: []string{"reorder-retransmit-gap.pcap"},
		Doc:      "control segments out of order and retransmitted (still parsed), then a lost client segment hides the command that would have used a PASV: unknown, never guessed",
		Sessions: 1,
		Channels: []Channel{
			{Method: "PORT", Mode: "active", Announced: "192.0.2.10:40010", Verdict: "ok"},
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51211", Verdict: "unknown"},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40007), ap(srv4, 21))
			// The PORT command is retransmitted.
			seq := c.NextSeq(craft.FromClient)
			c.Client(at(1), "PORT 192,0,2,10,156,74\r\n")
			c.SendAt(at(1.2), craft.FromClient, seq, []byte("PORT 192,0,2,10,156,74\r\n"))
			c.Server(at(1.21), "200 PORT command successful.\r\n")
			c.Client(at(1.22), "RETR r\r\n")
			transfer(w, 1.23, ap(srv4, 20), ap(cli4, 40010), 700, craft.FromClient)
			// The server's 150 and 226 arrive in reverse order.
			s150 := c.NextSeq(craft.FromServer)
			l150 := "150 Opening BINARY mode data connection.\r\n"
			c.Skip(craft.FromServer, len(l150))
			c.Server(at(1.3), "226 Transfer complete.\r\n")
			c.SendAt(at(1.31), craft.FromServer, s150, []byte(l150))
			// A PASV whose transfer command is lost to the capture.
			c.Client(at(2), "PASV\r\n")
			c.Server(at(2.01), "227 Entering Passive Mode (198,51,100,20,200,11).\r\n")
			c.Skip(craft.FromClient, len("RETR lost\r\n"))
			c.Client(at(9), "NOOP\r\n")
			c.Server(at(9.01), "200 NOOP ok.\r\n")
			quit(c, 10)
			return nil
		}),
	},
	{
		Name: "detected-port-2121", Files: []string{"detected-port-2121.pcap"},
		Doc:      "FTP on port 2121, recognised from the conversation (220 greeting answered by USER) with no --control-ports",
		Sessions: 1,
		Channels: []Channel{{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51212", Verdict: "ok"}},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40008), ap(srv4, 2121))
			c.Client(at(1), "PASV\r\n")
			c.Server(at(1.01), "227 Entering Passive Mode (198,51,100,20,200,12).\r\n")
			transfer(w, 1.02, ap(cli4, 50080), ap(srv4, 51212), 100, craft.FromServer)
			c.Client(at(1.03), "LIST\r\n")
			c.Server(at(1.04), "150 Here comes the directory listing.\r\n226 Directory send OK.\r\n")
			quit(c, 2)
			return nil
		}),
	},
	{
		Name: "blocked-v4", Files: []string{"blocked-v4.pcap"},
		Doc:      "IPv4 data connections broken three ways: active SYNs dropped then 425; active SYN reset; passive SYN answered by an ICMP admin-prohibited from the firewall 198.51.100.1",
		Sessions: 1,
		Channels: []Channel{
			{Method: "PORT", Mode: "active", Announced: "192.0.2.10:40020", Verdict: "dropped", Blocked: true},
			{Method: "EPRT", Mode: "active", Announced: "192.0.2.10:40021", Verdict: "refused", Blocked: true},
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51213", Verdict: "icmp", Blocked: true},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40009), ap(srv4, 21))
			c.Client(at(1), "PORT 192,0,2,10,156,84\r\n")
			c.Server(at(1.01), "200 PORT command successful. Consider using PASV.\r\n")
			c.Client(at(1.02), "LIST\r\n")
			w.SYNUnanswered(at(1.03), ap(srv4, 20), ap(cli4, 40020), 5)
			c.Server(at(61), "425 Failed to establish connection.\r\n")
			c.Client(at(62), "EPRT |1|192.0.2.10|40021|\r\n")
			c.Server(at(62.01), "200 EPRT command successful.\r\n")
			c.Client(at(62.02), "RETR f\r\n")
			w.Refused(at(62.03), ap(srv4, 20), ap(cli4, 40021))
			c.Server(at(62.05), "425 Failed to establish connection.\r\n")
			c.Client(at(63), "PASV\r\n")
			c.Server(at(63.01), "227 Entering Passive Mode (198,51,100,20,200,13).\r\n")
			w.Unreachable(at(63.02), ap(cli4, 50090), ap(srv4, 51213), fw4, craft.AdminProhibited(fw4))
			c.Client(at(63.03), "LIST\r\n")
			quit(c, 70)
			return nil
		}),
	},
	{
		Name: "blocked-v6", Files: []string{"blocked-v6.pcap"},
		Doc:      "IPv6: EPSV answered by ICMPv6 admin-prohibited from the firewall; EPRT whose SYNs are dropped, then 425",
		Sessions: 1,
		Channels: []Channel{
			{Method: "EPSV", Mode: "passive", Announced: "[2001:db8::20]:6450", Verdict: "icmp", Blocked: true},
			{Method: "EPRT", Mode: "active", Announced: "[2001:db8::10]:40030", Verdict: "dropped", Blocked: true},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli6, 40010), ap(srv6, 21))
			c.Client(at(1), "EPSV\r\n")
			c.Server(at(1.01), "229 Entering Extended Passive Mode (|||6450|)\r\n")
			w.Unreachable(at(1.02), ap(cli6, 50100), ap(srv6, 6450), fw6, craft.AdminProhibited(fw6))
			c.Client(at(1.03), "NLST\r\n")
			c.Client(at(5), "EPRT |2|2001:db8::10|40030|\r\n")
			c.Server(at(5.01), "200 EPRT command successful.\r\n")
			c.Client(at(5.02), "STOR up.bin\r\n")
			w.SYNUnanswered(at(5.03), ap(srv6, 20), ap(cli6, 40030), 4)
			c.Server(at(65), "425 Failed to establish connection.\r\n")
			quit(c, 66)
			return nil
		}),
	},
	{
		Name: "nat-227", Files: []string{"nat-227.pcap"},
		Doc:      "server 203.0.113.20 behind NAT announces its private 10.1.1.20 in 227: a client that follows the address gets no answer; one that ignores it connects to the control address",
		Sessions: 1,
		Channels: []Channel{
			{Method: "PASV", Mode: "passive", Announced: "10.1.1.20:51214", Verdict: "dropped", Blocked: true, NAT: true},
			{Method: "PASV", Mode: "passive", Announced: "10.1.1.20:51215", Verdict: "ok", NAT: true},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40011), ap(pubSrv, 21))
			c.Client(at(1), "PASV\r\n")
			c.Server(at(1.01), "227 Entering Passive Mode (10,1,1,20,200,14).\r\n")
			w.SYNUnanswered(at(1.02), ap(cli4, 50110), netip.MustParseAddrPort("10.1.1.20:51214"), 4)
			c.Client(at(1.03), "LIST\r\n")
			c.Server(at(40), "425 Failed to establish connection.\r\n")
			c.Client(at(41), "PASV\r\n")
			c.Server(at(41.01), "227 Entering Passive Mode (10,1,1,20,200,15).\r\n")
			transfer(w, 41.02, ap(cli4, 50111), ap(pubSrv, 51215), 300, craft.FromServer)
			c.Client(at(41.03), "LIST\r\n")
			c.Server(at(41.04), "150 Here comes the directory listing.\r\n226 Directory send OK.\r\n")
			quit(c, 42)
			return nil
		}),
	},
	{
		Name: "not-seen-unused", Files: []string{"not-seen-unused.pcap"},
		Doc:      "outcomes without any SYN: a PASV superseded by another; a transfer the server reports done (226) whose data path this capture does not see; a STOR answered 425 with no SYN (blocked upstream); a PASV nobody used",
		Sessions: 1,
		Channels: []Channel{
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51216", Verdict: "unused"},
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51217", Verdict: "not-seen"},
			{Method: "PORT", Mode: "active", Announced: "192.0.2.10:40040", Verdict: "not-seen", Blocked: true},
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51218", Verdict: "unused"},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40012), ap(srv4, 21))
			c.Client(at(1), "PASV\r\n")
			c.Server(at(1.01), "227 Entering Passive Mode (198,51,100,20,200,16).\r\n")
			c.Client(at(2), "PASV\r\n")
			c.Server(at(2.01), "227 Entering Passive Mode (198,51,100,20,200,17).\r\n")
			c.Client(at(2.02), "RETR a\r\n")
			c.Server(at(2.03), "150 Opening BINARY mode data connection.\r\n")
			c.Server(at(2.5), "226 Transfer complete.\r\n")
			c.Client(at(3), "PORT 192,0,2,10,156,104\r\n")
			c.Server(at(3.01), "200 PORT command successful.\r\n")
			c.Client(at(3.02), "STOR b\r\n")
			c.Server(at(63), "425 Failed to establish connection.\r\n")
			c.Client(at(64), "PASV\r\n")
			c.Server(at(64.01), "227 Entering Passive Mode (198,51,100,20,200,18).\r\n")
			quit(c, 65)
			return nil
		}),
	},
	{
		Name: "rotated", Files: []string{"rotated-1.pcap", "rotated-2.pcap"},
		Doc:      "one session across two files of a rotated capture (tcpdump -C): read together they are one timeline",
		Sessions: 1,
		Channels: []Channel{{Method: "EPSV", Mode: "passive", Announced: "198.51.100.20:6452", Verdict: "ok"}},
		write: func(ws []io.Writer) error {
			w1, err := craft.NewWriter(ws[0])
			if err != nil {
				return err
			}
			c := session(w1, 0, ap(cli4, 40013), ap(srv4, 21))
			c.Client(at(1), "EPSV\r\n")
			if err := w1.Flush(); err != nil {
				return err
			}
			w2, err := craft.NewWriter(ws[1])
			if err != nil {
				return err
			}
			c2 := w2.Established(c.ClientAddr(), c.ServerAddr())
			c2.Skip(craft.FromClient, int(c.NextSeq(craft.FromClient)-c2.NextSeq(craft.FromClient)))
			c2.Skip(craft.FromServer, int(c.NextSeq(craft.FromServer)-c2.NextSeq(craft.FromServer)))
			c2.Server(at(1.01), "229 Entering Extended Passive Mode (|||6452|)\r\n")
			transfer(w2, 1.02, ap(cli4, 50130), ap(srv4, 6452), 400, craft.FromServer)
			c2.Client(at(1.03), "RETR z\r\n")
			c2.Server(at(1.04), "150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n")
			quit(c2, 2)
			return w2.Flush()
		},
	},
	{
		Name: "sll2-pcapng-gzip", Files: []string{"sll2.pcapng.gz"},
		Doc:      "gzip-compressed pcapng with Linux cooked v2 framing (tcpdump -i any), IPv6 EPSV transfer",
		Sessions: 1,
		Channels: []Channel{{Method: "EPSV", Mode: "passive", Announced: "[2001:db8::20]:6453", Verdict: "ok"}},
		write: func(ws []io.Writer) error {
			zw := gzip.NewWriter(ws[0])
			zw.ModTime = base
			w, err := craft.NewWriter(zw, craft.WithPcapNG(), craft.WithLink(craft.SLL2), craft.WithInterfaceName("any"))
			if err != nil {
				return err
			}
			c := session(w, 0, ap(cli6, 40014), ap(srv6, 21))
			c.Client(at(1), "EPSV\r\n")
			c.Server(at(1.01), "229 Entering Extended Passive Mode (|||6453|)\r\n")
			transfer(w, 1.02, ap(cli6, 50140), ap(srv6, 6453), 400, craft.FromServer)
			c.Client(at(1.03), "RETR z\r\n")
			c.Server(at(1.04), "150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n")
			quit(c, 2)
			if err := w.Flush(); err != nil {
				return err
			}
			return zw.Close()
		},
	},
	{
		Name: "vlan-qinq", Files: []string{"vlan-qinq.pcap"},
		Doc:      "Ethernet with QinQ VLAN tags (802.1ad outer 100, 802.1Q inner 200), active PORT transfer",
		Sessions: 1,
		Channels: []Channel{{Method: "PORT", Mode: "active", Announced: "192.0.2.10:40050", Verdict: "ok"}},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40015), ap(srv4, 21))
			c.Client(at(1), "PORT 192,0,2,10,156,114\r\n")
			c.Server(at(1.01), "200 PORT command successful.\r\n")
			c.Client(at(1.02), "LIST\r\n")
			transfer(w, 1.03, ap(srv4, 20), ap(cli4, 40050), 100, craft.FromClient)
			c.Server(at(1.04), "150 Here comes the directory listing.\r\n226 Directory send OK.\r\n")
			quit(c, 2)
			return nil
		}, craft.WithVLAN(100, 200)),
	},
	{
		Name: "helper-lint", Files: []string{"helper-lint.pcap"},
		Doc:      "traffic that defeats the Linux FTP helper: a 227 whose first segment is retransmitted twice (as when a helper drops it), a 229 without parentheses, a PORT pipelined behind TYPE in one segment, an IPv6 EPRT on an IPv4 control connection (refused)",
		Sessions: 1,
		Channels: []Channel{
			{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51220", Verdict: "ok"},
			{Method: "EPSV", Mode: "passive", Announced: "198.51.100.20:6460", Verdict: "ok"},
			{Method: "PORT", Mode: "active", Announced: "192.0.2.10:40060", Verdict: "ok"},
			{Method: "EPRT", Mode: "active", Announced: "[2001:db8::10]:40061", Verdict: "unused", NAT: true},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40017), ap(srv4, 21))
			c.Client(at(1), "PASV\r\n")
			head, tail := "227 Entering Pass", "ive Mode (198,51,100,20,200,20).\r\n"
			seq := c.NextSeq(craft.FromServer)
			c.SendAt(at(1.01), craft.FromServer, seq, []byte(head))
			c.SendAt(at(1.21), craft.FromServer, seq, []byte(head))
			c.ServerSegments(at(1.61), head, tail)
			transfer(w, 1.7, ap(cli4, 50170), ap(srv4, 51220), 200, craft.FromServer)
			c.Client(at(1.71), "LIST\r\n")
			c.Server(at(1.72), "150 Here comes the directory listing.\r\n226 Directory send OK.\r\n")
			c.Client(at(2), "EPSV\r\n")
			c.Server(at(2.01), "229 Entering Extended Passive Mode |||6460|\r\n")
			transfer(w, 2.02, ap(cli4, 50171), ap(srv4, 6460), 200, craft.FromServer)
			c.Client(at(2.03), "NLST\r\n")
			c.Server(at(2.04), "150 Here comes the directory listing.\r\n226 Directory send OK.\r\n")
			c.Client(at(3), "TYPE I\r\nPORT 192,0,2,10,156,124\r\n")
			c.Server(at(3.01), "200 Switching to Binary mode.\r\n200 PORT command successful.\r\n")
			c.Client(at(3.02), "RETR a.bin\r\n")
			transfer(w, 3.03, ap(srv4, 20), ap(cli4, 40060), 300, craft.FromClient)
			c.Server(at(3.04), "150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n")
			c.Client(at(4), "EPRT |2|2001:db8::10|40061|\r\n")
			c.Server(at(4.01), "522 Network protocol not supported, use (1)\r\n")
			quit(c, 5)
			return nil
		}),
	},
	{
		Name: "reset-origin", Files: []string{"reset-origin.pcap"},
		Doc:      "two active connections answered by a TCP reset: one from the client itself (TTL 64, like its control packets), one forged by a firewall two routers away (TTL 62)",
		Sessions: 1,
		Channels: []Channel{
			{Method: "PORT", Mode: "active", Announced: "192.0.2.10:40070", Verdict: "refused", Blocked: true},
			{Method: "PORT", Mode: "active", Announced: "192.0.2.10:40071", Verdict: "refused", Blocked: true},
		},
		write: one(func(w *craft.Writer) error {
			c := session(w, 0, ap(cli4, 40018), ap(srv4, 21))
			for i, ttl := range []uint8{64, 62} {
				t := 1 + float64(i)
				port := uint16(40070 + i)
				c.Client(at(t), fmt.Sprintf("PORT 192,0,2,10,%d,%d\r\n", port>>8, port&0xff))
				c.Server(at(t+0.01), "200 PORT command successful. Consider using PASV.\r\n")
				c.Client(at(t+0.02), "LIST\r\n")
				syn := craft.SYNSegment(ap(srv4, 20), ap(cli4, port))
				_ = w.Segment(at(t+0.03), syn)
				_ = w.Segment(at(t+0.0301), craft.Segment{Src: ap(cli4, port), Dst: ap(srv4, 20), Flags: craft.RST | craft.ACK, Ack: syn.Seq + 1, TTL: ttl})
				c.Server(at(t+0.04), "425 Failed to establish connection.\r\n")
			}
			quit(c, 3)
			return nil
		}),
	},
	{
		Name: "truncated", Files: []string{"truncated.pcap"},
		Doc:      "a capture cut inside a packet record (disk full): the session before the cut is reported and the cut is named",
		Sessions: 1, Truncated: true,
		Channels: []Channel{{Method: "PASV", Mode: "passive", Announced: "198.51.100.20:51219", Verdict: "ok"}},
		write: func(ws []io.Writer) error {
			var buf bytes.Buffer
			w, err := craft.NewWriter(&buf)
			if err != nil {
				return err
			}
			c := session(w, 0, ap(cli4, 40016), ap(srv4, 21))
			c.Client(at(1), "PASV\r\n")
			c.Server(at(1.01), "227 Entering Passive Mode (198,51,100,20,200,19).\r\n")
			transfer(w, 1.02, ap(cli4, 50160), ap(srv4, 51219), 3000, craft.FromServer)
			c.Client(at(1.03), "RETR big\r\n")
			c.Server(at(1.04), "150 Opening BINARY mode data connection.\r\n")
			c.Server(at(1.3), "226 Transfer complete.\r\n")
			c.Client(at(2), "LIST\r\n")
			if err := w.Flush(); err != nil {
				return err
			}
			b := buf.Bytes()
			_, err = ws[0].Write(b[:len(b)-20]) // cut inside the last packet
			return err
		},
	},
}

// Write writes the scenario's files into dir.
func (s Scenario) Write(dir string) error {
	var ws []io.Writer
	var fs []*os.File
	for _, name := range s.Files {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		fs = append(fs, f)
		ws = append(ws, f)
	}
	err := s.write(ws)
	for _, f := range fs {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return nil
}

// Bytes returns the scenario's files as written, in memory.
func (s Scenario) Bytes() ([][]byte, error) {
	out, err := craft.WriteInMemory(len(s.Files), s.write)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return out, nil
}
