package main

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// ftpSession is an FTP session being played, with the truth the generator
// decided for it.
type ftpSession struct {
	truth     sessionTruth
	channels  []channelTruth
	v6        bool
	lost      int
	chLost    []int
	reordered int
	ctlPkts   int
}

// flavor imitates one server implementation's replies.
type flavor struct {
	name      string
	greeting  []string // lines of the 220 reply
	pass      string   // 331, %s = user
	login     string   // 230, %s = user
	pasv      string   // 227, %s = h1,h2,h3,h4,p1,p2
	epsv      string   // 229, %d = port
	port      string   // 200 to PORT
	eprt      string   // 200 to EPRT
	listOpen  string   // 150 for LIST/NLST
	listDone  []string // 226 for LIST/NLST
	retrOpen  string   // 150, %s file, %d bytes
	storOpen  string   // 150 for STOR, %s file
	done      []string // 226 after RETR/STOR
	cantOpen  string   // 425
	badPort   string   // 500 to a refused PORT
	badEprt   string   // 522 to a refused EPRT
	authTLS   string   // 234
	goodbye   string   // 221
	typeI     string
	syst      string
	pwd       string
	featLines []string
}

var flavors = []flavor{
	{
		name:     "vsftpd",
		greeting: []string{"220 (vsFTPd 3.0.3)"},
		pass:     "331 Please specify the password.", login: "230 Login successful.",
		pasv: "227 Entering Passive Mode (%s).", epsv: "229 Entering Extended Passive Mode (|||%d|)",
		port: "200 PORT command successful. Consider using PASV.", eprt: "200 EPRT command successful. Consider using EPSV.",
		listOpen: "150 Here comes the directory listing.", listDone: []string{"226 Directory send OK."},
		retrOpen: "150 Opening BINARY mode data connection for %s (%d bytes).", storOpen: "150 Ok to send data.",
		done: []string{"226 Transfer complete."}, cantOpen: "425 Failed to establish connection.",
		badPort: "500 Illegal PORT command.", badEprt: "522 Bad network protocol.",
		authTLS: "234 Proceed with negotiation.", goodbye: "221 Goodbye.", typeI: "200 Switching to Binary mode.",
		syst: "215 UNIX Type: L8", pwd: "257 \"/\" is the current directory",
		featLines: []string{"211-Features:", " EPRT", " EPSV", " MDTM", " PASV", " REST STREAM", " SIZE", " TVFS", " UTF8", "211 End"},
	},
	{
		name:     "proftpd",
		greeting: []string{"220 ProFTPD Server (Debian) [%s]"},
		pass:     "331 Password required for %s", login: "230 User %s logged in",
		pasv: "227 Entering Passive Mode (%s).", epsv: "229 Entering Extended Passive Mode (|||%d|)",
		port: "200 PORT command successful", eprt: "200 EPRT command successful",
		listOpen: "150 Opening ASCII mode data connection for file list", listDone: []string{"226 Transfer complete"},
		retrOpen: "150 Opening BINARY mode data connection for %s (%d bytes)", storOpen: "150 Opening BINARY mode data connection for %s",
		done: []string{"226 Transfer complete"}, cantOpen: "425 Unable to build data connection: Connection timed out",
		badPort: "500 Illegal PORT command", badEprt: "522 Network protocol not supported, use (1)",
		authTLS: "234 AUTH TLS successful", goodbye: "221 Goodbye.", typeI: "200 Type set to I",
		syst: "215 UNIX Type: L8", pwd: "257 \"/home/ftp\" is the current directory",
		featLines: []string{"211-Features:", " LANG en-US*", " MDTM", " MFMT", " TVFS", " UTF8", " MFF modify;UNIX.group;UNIX.mode;", " MLST modify*;perm*;size*;type*;unique*;", " REST STREAM", " SIZE", "211 End"},
	},
	{
		name: "pure-ftpd",
		greeting: []string{"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------",
			"220-You are user number 3 of 50 allowed.", "220-Local time is now 09:00. Server port: 21.",
			"220 You will be disconnected after 15 minutes of inactivity."},
		pass: "331 User %s OK. Password required", login: "230 OK. Current directory is /",
		pasv: "227 Entering Passive Mode (%s)", epsv: "229 Extended Passive mode OK (|||%d|)",
		port: "200 PORT command successful", eprt: "200 PORT command successful",
		listOpen: "150 Accepted data connection", listDone: []string{"226-Options: -a -l", "226 12 matches total"},
		retrOpen: "150-Accepted data connection\r\n150 %[2]d bytes to download", storOpen: "150 Accepted data connection",
		done:     []string{"226-File successfully transferred", "226 0.012 seconds (measured here), 8.1 Mbytes per second"},
		cantOpen: "425 Could not open data connection to port %d: Connection timed out",
		badPort:  "500 I won't open a connection to %s (only to %s)", badEprt: "522 Only IPv4 and IPv6 are supported (1,2)",
		authTLS: "234 AUTH TLS OK.", goodbye: "221-Goodbye. You uploaded 0 and downloaded 0 kbytes.\r\n221 Logout.",
		typeI: "200 TYPE is now 8-bit binary", syst: "215 UNIX Type: L8", pwd: "257 \"/\" is your current location",
		featLines: []string{"211-Extensions supported:", " EPRT", " IDLE", " MDTM", " SIZE", " MFMT", " REST STREAM", " MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;", " MLSD", " PRET", " AUTH TLS", " PBSZ", " PROT", " UTF8", " TVFS", " ESTA", " PASV", " EPSV", "211 End."},
	},
}

// outcome is what the generator decides happens to one data channel.
type outcome uint8

const (
	outOK          outcome = iota
	outDropped             // SYNs unanswered, then 425
	outRefused             // SYN answered by RST
	outICMP                // SYN answered by ICMP admin-prohibited from a firewall
	outNotSeen             // 425 with no SYN in the capture
	outNATControl          // 227 with a private address; client connects to the control address
	outNATPrivate          // private address announced; the connection to it goes nowhere
	outPortRefused         // PORT/EPRT refused (500/522); the client falls back to passive
	outUnused              // announced, never used
)

var outcomeNames = [...]string{"ok", "dropped", "refused", "icmp", "not-seen", "nat-control", "nat-private", "port-refused", "unused"}

// outcomeWeights is how often each outcome is picked (per mille).
var outcomeWeights = [...]int{700, 60, 40, 40, 40, 30, 20, 20, 50}

func pickOutcome(rng *rand.Rand) outcome {
	n := rng.IntN(1000)
	for i, w := range outcomeWeights {
		if n < w {
			return outcome(i)
		}
		n -= w
	}
	return outOK
}

// ftpBuilder writes one FTP session.
type ftpBuilder struct {
	*builder
	g      *gen
	s      *ftpSession
	fl     *flavor
	ctl    *tconn
	cl, sv *host
	rtt    time.Duration
	rate   float64 // data connection bytes per second
	idx    int
	// small selects tiny transfers (--small-packets).
	small bool
}

// buildFTP writes the script of FTP session idx starting at start.
func (g *gen) buildFTP(idx int, start time.Time, rng *rand.Rand) *flow {
	v6 := rng.Float64() < g.cfg.ipv6Share
	f := &flow{steps: g.takeSteps()}
	fb := &ftpBuilder{
		builder: &builder{f: f, now: start, rng: rng, overhead: g.overhead},
		g:       g,
		s:       &ftpSession{v6: v6},
		fl:      &flavors[rng.IntN(len(flavors))],
		cl:      g.hosts.client(rng, v6),
		sv:      g.hosts.ftpServer(rng, v6),
		rtt:     time.Duration(logUniform(rng, float64(time.Millisecond), float64(80*time.Millisecond))),
		rate:    logUniform(rng, 1e6/8, 100e6/8), // 1-100 Mbit/s
		idx:     idx,
		small:   g.cfg.small,
	}
	f.ftp = fb.s
	fb.session(start)
	fb.s.ctlPkts = fb.builder.ctl
	return f
}

// data connections are not control packets; everything on ctl is.
func (fb *ftpBuilder) session(start time.Time) {
	rng := fb.rng
	client := netip.AddrPortFrom(fb.cl.addr, fb.cl.port())
	server := netip.AddrPortFrom(fb.sv.addr, 21)
	t := &fb.s.truth
	*t = sessionTruth{Type: "session", Session: fb.idx, Client: client.String(), Server: server.String(),
		Start: stamp(start), Flavor: fb.fl.name, Modes: []string{}}

	fb.ctl = fb.dial(client, server, fb.rtt, -1, true)
	fb.wait(fb.jitter(2 * time.Millisecond))
	greeting := make([]string, len(fb.fl.greeting))
	for i, l := range fb.fl.greeting {
		greeting[i] = l
		if fb.fl.name == "proftpd" {
			greeting[i] = fmt.Sprintf(l, fb.sv.addr)
		}
	}
	fb.reply(greeting...)

	if rng.Float64() < fb.g.cfg.tlsShare {
		fb.tlsSession()
	} else {
		fb.plainSession()
	}
	t.End = stamp(fb.now)
}

// think waits for the client's next command: a round trip and some user or
// script time.
func (fb *ftpBuilder) think() {
	fb.wait(fb.rtt/2 + fb.jitter(5*time.Millisecond))
}

// command sends one command line from the client; the server's reply comes
// half a round trip later.
func (fb *ftpBuilder) command(line string) {
	fb.think()
	fb.ctl.send(cli, []byte(line+"\r\n"))
	fb.wait(fb.rtt/2 + fb.jitter(300*time.Microsecond))
}

// reply sends reply lines from the server: usually in one segment, sometimes
// split in two (a reply split across segments), and the client often
// acknowledges on its own.
func (fb *ftpBuilder) reply(lines ...string) {
	var b []byte
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, '\r', '\n')
	}
	if len(b) > 8 && fb.rng.IntN(20) == 0 {
		cut := 3 + fb.rng.IntN(len(b)-6)
		fb.ctl.send(srv, b[:cut])
		fb.wait(fb.rtt / 4)
		fb.ctl.send(srv, b[cut:])
	} else {
		fb.ctl.sendSplit(srv, b)
	}
	if fb.rng.IntN(3) == 0 {
		fb.wait(fb.rtt / 2)
		fb.ctl.ack(cli)
	}
}

var users = []struct{ name, pass string }{
	{"anonymous", "anonymous@example.com"}, {"anonymous", "guest@"}, {"ftp", "ftp@example.org"},
	{"alice", "correct horse"}, {"bob", "s3cr3t!"}, {"backup", "Backup#2024"}, {"deploy", "hunter2"},
}

func (fb *ftpBuilder) plainSession() {
	rng := fb.rng
	u := users[rng.IntN(len(users))]
	fb.s.truth.User = u.name
	fb.command("USER " + u.name)
	fb.reply(withUser(fb.fl.pass, u.name))
	fb.command("PASS " + u.pass)
	fb.reply(withUser(fb.fl.login, u.name))
	if rng.IntN(2) == 0 {
		fb.command("SYST")
		fb.reply(fb.fl.syst)
	}
	if rng.IntN(3) == 0 {
		fb.command("FEAT")
		fb.reply(fb.fl.featLines...)
	}
	fb.command("PWD")
	fb.reply(fb.fl.pwd)
	fb.command("TYPE I")
	fb.reply(fb.fl.typeI)

	n := 1 + rng.IntN(4)
	if fb.small {
		n = 1 + rng.IntN(2)
	}
	for i := 0; i < n; i++ {
		fb.transfer(i == n-1)
	}
	fb.command("QUIT")
	fb.reply(fb.fl.goodbye)
	fb.wait(fb.jitter(time.Millisecond))
	fb.ctl.close(srv)
}

// withUser fills the user name into replies that name it.
func withUser(tmpl, user string) string {
	if strings.Contains(tmpl, "%s") {
		return fmt.Sprintf(tmpl, user)
	}
	return tmpl
}

// method picks how the next channel is announced.
func (fb *ftpBuilder) method(active bool) string {
	if fb.s.v6 {
		if active {
			return "EPRT"
		}
		return "EPSV"
	}
	switch n := fb.rng.IntN(10); {
	case active && n < 7:
		return "PORT"
	case active:
		return "EPRT"
	case n < 7:
		return "PASV"
	}
	return "EPSV"
}

// xfer is the transfer command of a channel.
type xfer struct {
	cmd, arg string
	size     int
	upload   bool
}

func (fb *ftpBuilder) pickXfer() xfer {
	rng := fb.rng
	switch n := rng.IntN(10); {
	case n < 2:
		arg := ""
		if rng.IntN(2) == 0 {
			arg = "-la"
		}
		return xfer{cmd: "LIST", arg: arg, size: fb.size(200, 6000)}
	case n < 3:
		return xfer{cmd: "NLST", size: fb.size(20, 2000)}
	case n < 8:
		return xfer{cmd: "RETR", arg: fmt.Sprintf("pub/data-%d.bin", rng.IntN(100000)), size: fb.size(100, fb.g.cfg.maxTransfer)}
	}
	return xfer{cmd: "STOR", arg: fmt.Sprintf("upload/report-%d.csv", rng.IntN(100000)), size: fb.size(100, fb.g.cfg.maxTransfer), upload: true}
}

// size draws a transfer size log-uniformly in [lo, hi]; tiny in
// --small-packets mode.
func (fb *ftpBuilder) size(lo, hi int) int {
	if fb.small {
		lo, hi = 0, min(hi, 1500)
		return fb.rng.IntN(hi + 1)
	}
	if hi <= lo {
		return lo
	}
	return int(logUniform(fb.rng, float64(lo), float64(hi)))
}

// gap returns the spacing of full-size data segments at the session's rate.
func (fb *ftpBuilder) gap() time.Duration {
	return time.Duration(float64(time.Second) * 1500 / fb.rate)
}

// announcement is one announced data channel in progress.
type announcement struct {
	ch        int16
	active    bool
	announced netip.AddrPort // as written on the wire
	real      netip.AddrPort // where the announcer really listens (differs under NAT)
}

// newChannel records a channel's truth and returns its index.
func (fb *ftpBuilder) newChannel(method string, active bool, announced netip.AddrPort, scen outcome) int16 {
	mode := "passive"
	if active {
		mode = "active"
	}
	t := &fb.s.truth
	seen := false
	for _, m := range t.Modes {
		seen = seen || m == mode
	}
	if !seen {
		t.Modes = append(t.Modes, mode)
	}
	fb.s.channels = append(fb.s.channels, channelTruth{
		Type: "channel", Session: fb.idx, Client: t.Client, Server: t.Server,
		Method: method, Mode: mode, Announced: announced.String(), Scenario: outcomeNames[scen],
		Verdict: "unused",
	})
	fb.s.chLost = append(fb.s.chLost, 0)
	return int16(len(fb.s.channels) - 1)
}

// announce writes PORT/EPRT (with the server's reply) or PASV/EPSV (with
// the 227/229) and records the channel. private announces the host's
// private address (NAT without a helper); refuse makes the server reject a
// PORT/EPRT.
func (fb *ftpBuilder) announce(method string, private, refuse bool, scen outcome) announcement {
	var a announcement
	a.active = method == "PORT" || method == "EPRT"
	if a.active {
		a.real = netip.AddrPortFrom(fb.cl.addr, fb.cl.port())
		a.announced = a.real
		if private {
			a.announced = netip.AddrPortFrom(fb.cl.private, a.real.Port())
		}
		a.ch = fb.newChannel(method, true, a.announced, scen)
		fb.think()
		fb.ch().Time = stamp(fb.now)
		fb.ctl.send(cli, []byte(method+" "+encodeActive(method, a.announced)+"\r\n"))
		fb.wait(fb.rtt/2 + fb.jitter(300*time.Microsecond))
		code := 200
		switch {
		case refuse && method == "PORT":
			code = 500
			if fb.fl.name == "pure-ftpd" {
				fb.reply(fmt.Sprintf(fb.fl.badPort, a.announced.Addr(), fb.cl.addr))
			} else {
				fb.reply(fb.fl.badPort)
			}
		case refuse:
			code = 522
			fb.reply(fb.fl.badEprt)
		case method == "PORT":
			fb.reply(fb.fl.port)
		default:
			fb.reply(fb.fl.eprt)
		}
		fb.ch().AnnounceReply = code
		return a
	}
	a.real = netip.AddrPortFrom(fb.sv.addr, fb.sv.passivePort())
	a.announced = a.real
	if private {
		a.announced = netip.AddrPortFrom(fb.sv.private, a.real.Port())
	}
	a.ch = fb.newChannel(method, false, a.announced, scen)
	fb.command(method)
	fb.ch().Time = stamp(fb.now)
	if method == "PASV" {
		fb.ch().AnnounceReply = 227
		if fb.rng.IntN(20) == 0 {
			// Some servers write the numbers without parentheses.
			fb.reply("227 Entering Passive Mode " + encodeHostPort(a.announced))
		} else {
			fb.reply(fmt.Sprintf(fb.fl.pasv, encodeHostPort(a.announced)))
		}
	} else {
		fb.ch().AnnounceReply = 229
		fb.reply(fmt.Sprintf(fb.fl.epsv, a.announced.Port()))
	}
	return a
}

// ch returns the truth of the newest channel.
func (fb *ftpBuilder) ch() *channelTruth { return &fb.s.channels[len(fb.s.channels)-1] }

// encodeHostPort writes h1,h2,h3,h4,p1,p2.
func encodeHostPort(ap netip.AddrPort) string {
	a := ap.Addr().As4()
	p := ap.Port()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", a[0], a[1], a[2], a[3], p>>8, p&0xff)
}

// encodeActive writes the argument of PORT or EPRT.
func encodeActive(method string, ap netip.AddrPort) string {
	if method == "PORT" {
		return encodeHostPort(ap)
	}
	proto := "1"
	if ap.Addr().Is6() {
		proto = "2"
	}
	return "|" + proto + "|" + ap.Addr().String() + "|" + strconv.Itoa(int(ap.Port())) + "|"
}

// transfer writes one announcement and what became of it. last says no
// transfer follows (an unused announcement is then ended by QUIT).
func (fb *ftpBuilder) transfer(last bool) {
	rng := fb.rng
	out := pickOutcome(rng)
	active := rng.IntN(10) < 4
	switch out {
	case outNATControl:
		active = false
	case outPortRefused:
		active = true
	}
	method := fb.method(active)
	if (out == outNATControl || out == outNATPrivate) && (fb.s.v6 || method == "EPSV") {
		// EPSV carries no address and IPv6 is not NATed here.
		out = outOK
	}
	x := fb.pickXfer()

	switch out {
	case outUnused:
		fb.announce(method, false, false, out)
		if !last && rng.IntN(2) == 0 {
			// Superseded at once by a second announcement that is used.
			fb.transferWith(fb.method(active), outOK, x)
		}
		return
	case outPortRefused:
		fb.announce(method, false, true, out)
		// The client falls back to passive mode.
		fb.transferWith(fb.method(false), outOK, x)
		return
	}
	fb.transferWith(method, out, x)
}

// transferWith announces a channel with method and plays outcome out for
// the transfer x.
func (fb *ftpBuilder) transferWith(method string, out outcome, x xfer) {
	rng := fb.rng
	a := fb.announce(method, out == outNATControl || out == outNATPrivate, false, out)
	c := fb.ch()
	c.NAT = a.announced != a.real
	// Who connects: the server in active mode (often from port 20), the client
	// in passive mode.
	var from, to netip.AddrPort
	if a.active {
		sport := uint16(20)
		if rng.IntN(5) == 0 {
			sport = fb.sv.port()
		}
		from, to = netip.AddrPortFrom(fb.sv.addr, sport), a.announced
	} else {
		from, to = netip.AddrPortFrom(fb.cl.addr, fb.cl.port()), a.announced
		if out == outNATControl {
			to = a.real
		}
	}
	// passive clients usually connect before sending the command (curl);
	// on failures some send the command first (lftp) and let the server time out.
	switch out {
	case outOK, outNATControl:
		c.Connection = &connTruth{From: from.String(), To: to.String()}
		c.Matched = "announced"
		if to != a.announced {
			c.Matched = "control"
		}
		c.SYN, c.Bytes, c.Verdict, c.Command, c.Argument = 1, int64(x.size), "ok", x.cmd, x.arg
		var dc *tconn
		if a.active {
			fb.sendCommand(x)
			dc = fb.dial(from, to, fb.rtt, a.ch, false)
		} else {
			fb.think()
			dc = fb.dial(from, to, fb.rtt, a.ch, false)
			fb.sendCommand(x)
		}
		fb.reply(fb.opening(x))
		// The data flows from the server (RETR, LIST, NLST) or to it (STOR).
		// dc's client side is whoever connected.
		sender := srv
		if a.active != x.upload {
			// In active mode the FTP server dialed, so it is dc's client side.
			sender = cli
		}
		fb.wait(fb.rtt / 2)
		dc.bulk(sender, x.size, fb.gap())
		fb.wait(fb.jitter(time.Millisecond))
		dc.close(sender)
		c.Reply = 226
		fb.wait(fb.jitter(time.Millisecond))
		fb.reply(fb.fl.done...)
		fb.transferTime()

	case outDropped, outNATPrivate:
		c.Connection = &connTruth{From: from.String(), To: to.String()}
		c.Matched = "announced"
		c.Verdict, c.Blocked = "dropped", true
		tries := 4
		if !a.active {
			tries = 3 + rng.IntN(2)
		}
		c.SYN = tries
		quietClient := !a.active && rng.IntN(10) < 3
		if !quietClient {
			c.Command, c.Argument = x.cmd, x.arg
			fb.sendCommand(x)
		} else {
			fb.think()
		}
		fb.synTries(from, to, tries, a.ch)
		if !quietClient {
			fb.wait(fb.jitter(2 * time.Second))
			c.Reply = 425
			fb.reply(fb.cantOpen(to))
		}

	case outRefused:
		c.Connection = &connTruth{From: from.String(), To: to.String()}
		c.Matched = "announced"
		c.SYN, c.Verdict, c.Blocked = 1, "refused", true
		c.Command, c.Argument = x.cmd, x.arg
		fb.sendCommand(x)
		fb.add(pkt{seg: craft.SYNSegment(from, to), ch: a.ch})
		fb.wait(fb.rtt / 2)
		rst := craft.Segment{Src: to, Dst: from, Flags: craft.RST | craft.ACK, Ack: craft.ISN(from, to) + 1}
		fb.add(pkt{seg: rst, ch: a.ch})
		fb.wait(fb.jitter(500 * time.Millisecond))
		c.Reply = 425
		fb.reply(fb.cantOpen(to))

	case outICMP:
		c.Connection = &connTruth{From: from.String(), To: to.String()}
		c.Matched = "announced"
		c.SYN, c.Verdict, c.Blocked = 1, "icmp", true
		code := int(craft.AdminProhibited(from.Addr()))
		c.ICMPCode = &code
		c.Command, c.Argument = x.cmd, x.arg
		fb.sendCommand(x)
		syn := craft.SYNSegment(from, to)
		fb.add(pkt{seg: syn, ch: a.ch})
		fb.wait(fb.rtt / 3)
		fb.add(pkt{kind: pkICMP, seg: syn, icmpFrom: fb.g.hosts.firewall(rng, fb.s.v6), icmpCode: uint8(code), ch: a.ch})
		fb.wait(fb.jitter(200 * time.Millisecond))
		c.Reply = 425
		fb.reply(fb.cantOpen(to))

	case outNotSeen:
		c.Verdict, c.Blocked = "not-seen", true
		c.Command, c.Argument = x.cmd, x.arg
		fb.sendCommand(x)
		fb.wait(fb.jitter(10 * time.Second))
		c.Reply = 425
		fb.reply(fb.cantOpen(to))
	}
}

// sendCommand sends the transfer command.
func (fb *ftpBuilder) sendCommand(x xfer) {
	if x.arg == "" {
		fb.command(x.cmd)
	} else {
		fb.command(x.cmd + " " + x.arg)
	}
}

// opening is the 150 reply for x.
func (fb *ftpBuilder) opening(x xfer) string {
	switch x.cmd {
	case "LIST", "NLST":
		return fb.fl.listOpen
	case "STOR":
		if fb.fl.name == "proftpd" {
			return fmt.Sprintf(fb.fl.storOpen, x.arg)
		}
		return fb.fl.storOpen
	}
	return fmt.Sprintf(fb.fl.retrOpen, x.arg, x.size)
}

// cantOpen is the 425 reply.
func (fb *ftpBuilder) cantOpen(to netip.AddrPort) string {
	if fb.fl.name == "pure-ftpd" {
		return fmt.Sprintf(fb.fl.cantOpen, to.Port())
	}
	return fb.fl.cantOpen
}

// synTries writes tries SYNs with Linux's backoff (1 s, 2 s, 4 s, ...).
func (fb *ftpBuilder) synTries(from, to netip.AddrPort, tries int, ch int16) {
	syn := craft.SYNSegment(from, to)
	backoff := time.Second
	for i := 0; i < tries; i++ {
		if i > 0 {
			fb.wait(backoff)
			backoff *= 2
		}
		fb.add(pkt{seg: syn, ch: ch})
	}
}

// transferTime is the pause between transfers.
func (fb *ftpBuilder) transferTime() { fb.wait(fb.jitter(20 * time.Millisecond)) }

// tlsSession writes AUTH TLS, the 234, and then only opaque TLS records on
// the control connection, with data connections inside that no observer can
// predict.
func (fb *ftpBuilder) tlsSession() {
	rng := fb.rng
	fb.s.truth.TLS = true
	fb.command("AUTH TLS")
	fb.reply(fb.fl.authTLS)
	// Handshake: ClientHello, server flight, client finish.
	fb.think()
	fb.ctl.send(cli, fb.g.tlsRecord(0x16, 517))
	fb.wait(fb.rtt)
	fb.ctl.sendSplit(srv, fb.g.tlsRecord(0x16, 2500+rng.IntN(2000)))
	fb.wait(fb.rtt / 2)
	fb.ctl.send(cli, fb.g.tlsRecord(0x14, 80))
	fb.wait(fb.rtt / 2)
	fb.ctl.send(srv, fb.g.tlsRecord(0x17, 250))
	// Encrypted login, PBSZ/PROT, and a few transfers.
	for i := 0; i < 5; i++ {
		fb.think()
		fb.ctl.send(cli, fb.g.tlsRecord(0x17, 30+rng.IntN(40)))
		fb.wait(fb.rtt)
		fb.ctl.send(srv, fb.g.tlsRecord(0x17, 30+rng.IntN(60)))
	}
	n := rng.IntN(3)
	for i := 0; i < n; i++ {
		// PASV and its reply, encrypted; then the data connection to a port
		// only the encrypted reply names.
		fb.think()
		fb.ctl.send(cli, fb.g.tlsRecord(0x17, 30))
		fb.wait(fb.rtt)
		fb.ctl.send(srv, fb.g.tlsRecord(0x17, 70))
		fb.think()
		from := netip.AddrPortFrom(fb.cl.addr, fb.cl.port())
		to := netip.AddrPortFrom(fb.sv.addr, fb.sv.passivePort())
		dc := fb.dial(from, to, fb.rtt, -1, false)
		fb.ctl.send(cli, fb.g.tlsRecord(0x17, 40))
		fb.wait(fb.rtt)
		fb.ctl.send(srv, fb.g.tlsRecord(0x17, 60))
		dc.send(cli, fb.g.tlsRecord(0x16, 517))
		fb.wait(fb.rtt)
		dc.sendSplit(srv, fb.g.tlsRecord(0x16, 200))
		fb.wait(fb.rtt / 2)
		dc.bulk(srv, fb.size(500, fb.g.cfg.maxTransfer), fb.gap())
		dc.close(srv)
		fb.wait(fb.jitter(time.Millisecond))
		fb.ctl.send(srv, fb.g.tlsRecord(0x17, 50))
		fb.s.truth.HiddenChannels++
	}
	fb.think()
	fb.ctl.send(cli, fb.g.tlsRecord(0x15, 26)) // close_notify
	fb.wait(fb.rtt / 2)
	fb.ctl.close(cli)
}
