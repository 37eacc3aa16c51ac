package main

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// evKind says what a log line told us.
type evKind int

const (
	evCmd          evKind = iota // a command the client sent (client log) or the server received (server log)
	evReply                      // a final or preliminary reply
	evDataConnect                // the client started a passive data connection to addr:port
	evDataOK                     // that connection was established
	evDataFail                   // that connection failed; fail says how
	evDataAccepted               // the client accepted an active data connection from the server
)

type event struct {
	kind evKind
	text string // command line, or reply text
	code int    // reply code
	ap   netip.AddrPort
	fail string // timeout, refused, icmp
	line int    // line number in the log, for evidence and errors
}

// logSession is the part of a log that belongs to one control connection.
type logSession struct {
	events []event
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return lines, nil
}

var (
	finalReply     = regexp.MustCompile(`^([1-5][0-9][0-9])(?: |$)`)
	lftpCtrl       = regexp.MustCompile(`^---- Connecting to \S+ \(([^)]+)\) port ([0-9]+)$`)
	lftpData       = regexp.MustCompile(`^---- Connecting data socket to \(([^)]+)\) port ([0-9]+)$`)
	lftpAccept     = regexp.MustCompile(`^---- Accepted data connection from \(([^)]+)\) port ([0-9]+)$`)
	lftpSockErr    = regexp.MustCompile(`^\*\*\*\* Data socket error \((.*)\)`)
	curlData       = regexp.MustCompile(`^\* Connecting to \S+ \(([^)]+)\) port ([0-9]+)$`)
	vsftpdPid      = regexp.MustCompile(`\[pid ([0-9]+)\]`)
	vsftpdLine     = regexp.MustCompile(`\[pid [0-9]+\] (?:\[[^]]*\] )?FTP (command|response): Client "[^"]*", "(.*)"$`)
	tnftpConnected = regexp.MustCompile(`^Connected to (\S+?)\.?$`)
	pureLine       = regexp.MustCompile(`pure-ftpd: \([^)]*\) \[(INFO|DEBUG|NOTICE|WARNING|ERROR)\] (.*)$`)
	pureCommand    = regexp.MustCompile(`^Command \[([a-z0-9]+)\] \[(.*)\]$`)
	proftpdLine    = regexp.MustCompile(`^\S+ \S+ (\S+) ([0-9]+) "(.*)" (\S+) "(.*)"$`)
)

// failKind maps a socket error text (errno string) to how the router stopped the SYN.
func failKind(msg string) string {
	switch {
	case strings.Contains(msg, "refused"):
		return "refused"
	case strings.Contains(msg, "Permission denied"), strings.Contains(msg, "No route to host"),
		strings.Contains(msg, "unreachable"), strings.Contains(msg, "Host is down"):
		return "icmp"
	case strings.Contains(msg, "timed out"), strings.Contains(msg, "timeout"), strings.Contains(msg, "Timeout"):
		return "timeout"
	}
	return ""
}

func addrPort(addr, port string) (netip.AddrPort, error) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address %q: %w", addr, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: %w", port, err)
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}

// parseLftp reads `lftp -d` output. Each "Connecting to HOST (ADDR) port P" opens a
// new control connection; "--->" lines are commands sent, "<---" lines replies read.
func parseLftp(path string) ([]logSession, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var out []logSession
	var cur *logSession
	pendingData := false
	for i, l := range lines {
		n := i + 1
		if m := lftpCtrl.FindStringSubmatch(l); m != nil {
			out = append(out, logSession{})
			cur = &out[len(out)-1]
			pendingData = false
			continue
		}
		if cur == nil {
			continue
		}
		add := func(e event) { e.line = n; cur.events = append(cur.events, e) }
		switch {
		case strings.HasPrefix(l, "---> "):
			add(event{kind: evCmd, text: l[5:]})
		case strings.HasPrefix(l, "<--- "):
			if m := finalReply.FindStringSubmatch(l[5:]); m != nil && (len(l) < 9 || l[8] != '-') {
				code, _ := strconv.Atoi(m[1])
				add(event{kind: evReply, code: code, text: l[5:]})
			}
		case lftpData.MatchString(l):
			m := lftpData.FindStringSubmatch(l)
			ap, err := addrPort(m[1], m[2])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, n, err)
			}
			add(event{kind: evDataConnect, ap: ap})
			pendingData = true
		case l == "---- Data connection established":
			add(event{kind: evDataOK})
			pendingData = false
		case lftpAccept.MatchString(l):
			m := lftpAccept.FindStringSubmatch(l)
			ap, err := addrPort(m[1], m[2])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, n, err)
			}
			add(event{kind: evDataAccepted, ap: ap})
		case pendingData && lftpSockErr.MatchString(l):
			m := lftpSockErr.FindStringSubmatch(l)
			add(event{kind: evDataFail, fail: failKind(m[1]), text: m[1]})
			pendingData = false
		case pendingData && strings.HasPrefix(l, "**** Timeout"):
			add(event{kind: evDataFail, fail: "timeout", text: l})
			pendingData = false
		}
	}
	return out, nil
}

// parseCurl reads `curl -v` output of one invocation with one URL: one control connection.
func parseCurl(path string) ([]logSession, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var s logSession
	connected := false
	pendingData := false
	for i, l := range lines {
		add := func(e event) { e.line = i + 1; s.events = append(s.events, e) }
		switch {
		case !connected:
			if strings.HasPrefix(l, "* Connected to ") {
				connected = true
			}
		case strings.HasPrefix(l, "> "):
			add(event{kind: evCmd, text: l[2:]})
		case strings.HasPrefix(l, "< "):
			if m := finalReply.FindStringSubmatch(l[2:]); m != nil && (len(l) < 6 || l[5] != '-') {
				code, _ := strconv.Atoi(m[1])
				add(event{kind: evReply, code: code, text: l[2:]})
			}
		case curlData.MatchString(l):
			m := curlData.FindStringSubmatch(l)
			ap, err := addrPort(m[1], m[2])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
			}
			add(event{kind: evDataConnect, ap: ap})
			pendingData = true
		case pendingData && strings.HasPrefix(l, "* Connected to "):
			// curl 7.88 names the control port here; the connection it means is the data one.
			add(event{kind: evDataOK})
			pendingData = false
		case pendingData && failKind(l) != "" && strings.HasPrefix(l, "* "):
			add(event{kind: evDataFail, fail: failKind(l), text: l[2:]})
			pendingData = false
		case l == "* Connection accepted from server":
			add(event{kind: evDataAccepted})
		}
	}
	if !connected {
		return nil, nil
	}
	return []logSession{s}, nil
}

// parseTnftp reads `tnftp -d -v` output of one invocation: "Connected to HOST." opens
// the control connection, "---> CMD" is a command sent, a line "NNN text" a final reply
// (tnftp -d prints some replies twice: a final reply equal to the one before it, with
// no command between, is the echo). tnftp logs no data-connection events of its own; a
// transfer's 150/125 reply says its data connection was made: the passive one to the
// announced endpoint (EPSV's host is the control server), or the active one accepted.
// So only runs through an open router may use tnftp.
func parseTnftp(path string) ([]logSession, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var s logSession
	var host netip.Addr
	connected := false
	lastReply := ""
	var announced netip.AddrPort // the latest passive announcement; zero after PORT/EPRT
	active := false
	for i, l := range lines {
		add := func(e event) { e.line = i + 1; s.events = append(s.events, e) }
		switch {
		case !connected:
			if m := tnftpConnected.FindStringSubmatch(l); m != nil {
				a, err := netip.ParseAddr(strings.Trim(m[1], "[]"))
				if err != nil {
					return nil, fmt.Errorf("%s:%d: control host %q: %w", path, i+1, m[1], err)
				}
				host, connected = a, true
			}
		case strings.HasPrefix(l, "---> "):
			text := l[5:]
			add(event{kind: evCmd, text: text})
			lastReply = ""
			verb, _, _ := strings.Cut(text, " ")
			if v := strings.ToUpper(verb); v == "PORT" || v == "EPRT" {
				active, announced = true, netip.AddrPort{}
			}
		default:
			m := finalReply.FindStringSubmatch(l)
			if m == nil || (len(l) > 3 && l[3] == '-') || l == lastReply {
				continue
			}
			lastReply = l
			code, _ := strconv.Atoi(m[1])
			add(event{kind: evReply, code: code, text: l})
			switch code {
			case 227:
				if ap, err := parseSix(l[3:]); err == nil {
					active, announced = false, ap
				}
			case 229:
				if e := epsvPort.FindStringSubmatch(l); e != nil {
					if p, err := strconv.ParseUint(e[4], 10, 16); err == nil {
						active, announced = false, netip.AddrPortFrom(host, uint16(p))
					}
				}
			case 125, 150:
				if active {
					add(event{kind: evDataAccepted})
				} else if announced.IsValid() {
					add(event{kind: evDataConnect, ap: announced})
					add(event{kind: evDataOK})
				}
			}
		}
	}
	if !connected {
		return nil, nil
	}
	return []logSession{s}, nil
}

// parseVsftpd reads a vsftpd log written with log_ftp_protocol=YES; a CONNECT line
// opens each session. vsftpd serves a session with several processes (the pre-login
// one that logs CONNECT, a privileged parent that logs OK LOGIN, the post-login one),
// so lines are tied to the session by "the first new pids after CONNECT". The lab runs
// sessions one after another; a line from an older session's pid means sessions
// overlapped, which this parser refuses rather than guess.
func parseVsftpd(path string) ([]logSession, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var out []logSession
	owner := map[string]int{} // pid -> session index
	for i, l := range lines {
		pm := vsftpdPid.FindStringSubmatch(l)
		if pm == nil {
			continue
		}
		pid := pm[1]
		if strings.Contains(l, "] CONNECT: Client ") {
			out = append(out, logSession{})
			owner[pid] = len(out) - 1
			continue
		}
		if len(out) == 0 {
			continue
		}
		o, seen := owner[pid]
		if !seen {
			owner[pid] = len(out) - 1
			o = len(out) - 1
		}
		if o != len(out)-1 {
			return nil, fmt.Errorf("%s:%d: pid %s of session %d logs after session %d began: sessions overlap", path, i+1, pid, o+1, len(out))
		}
		m := vsftpdLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		cur := &out[len(out)-1]
		if m[1] == "command" {
			cur.events = append(cur.events, event{kind: evCmd, text: m[2], line: i + 1})
			continue
		}
		if r := finalReply.FindStringSubmatch(m[2]); r != nil {
			code, _ := strconv.Atoi(r[1])
			cur.events = append(cur.events, event{kind: evReply, code: code, text: m[2], line: i + 1})
		}
	}
	return out, nil
}

// parseProftpd reads the lab's proftpd ExtendedLog (format: time addr pid "command" code
// "text"). A new process id opens each session; each line is a command and its final reply.
// proftpd logs a transfer command when it completes, with its last reply only.
func parseProftpd(path string) ([]logSession, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var out []logSession
	lastPID := ""
	for i, l := range lines {
		m := proftpdLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		pid, cmd, code, text := m[2], m[3], m[4], m[5]
		if code == "-" {
			continue // the second record of a command proftpd dispatches internally (OPTS_UTF8)
		}
		if pid != lastPID {
			out = append(out, logSession{})
			lastPID = pid
		}
		c, err := strconv.Atoi(code)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: reply code %q: %w", path, i+1, code, err)
		}
		cur := &out[len(out)-1]
		cur.events = append(cur.events,
			event{kind: evCmd, text: cmd, line: i + 1},
			event{kind: evReply, code: c, text: code + " " + text, line: i + 1})
	}
	return out, nil
}

// parsePureftpd reads pure-ftpd's verbose syslog (-d -d, caught by the lab's sink):
// "[INFO] New connection from" opens each session, "[DEBUG] Command [verb] [arg]" is a
// command as received (verb lower-cased, PASS shown as <*>), "[DEBUG] NNN text" a reply
// line (NNN- continues a multi-line reply). Like vsftpd, it logs every command it reads.
func parsePureftpd(path string) ([]logSession, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var out []logSession
	for i, l := range lines {
		m := pureLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		level, msg := m[1], m[2]
		if level == "INFO" && strings.HasPrefix(msg, "New connection from ") {
			out = append(out, logSession{})
			continue
		}
		if level != "DEBUG" || len(out) == 0 {
			continue
		}
		cur := &out[len(out)-1]
		if c := pureCommand.FindStringSubmatch(msg); c != nil {
			text := strings.ToUpper(c[1])
			if c[2] != "" {
				text += " " + c[2]
			}
			cur.events = append(cur.events, event{kind: evCmd, text: text, line: i + 1})
			continue
		}
		if r := finalReply.FindStringSubmatch(msg); r != nil {
			code, _ := strconv.Atoi(r[1])
			cur.events = append(cur.events, event{kind: evReply, code: code, text: msg, line: i + 1})
		}
	}
	return out, nil
}

// ctConn is a connection the router's conntrack saw: the original direction (as the
// client side sees it) and the reply direction (as the server side sees it, after NAT).
type ctConn struct {
	origSrc, origDst   netip.AddrPort
	replySrc, replyDst netip.AddrPort
}

// parseConntrack reads `conntrack -E` output and returns the TCP connections in the
// order conntrack created them ([NEW] events).
func parseConntrack(path string) ([]ctConn, error) {
	lines, err := readLines(path)
	if err != nil {
		return nil, err
	}
	var out []ctConn
	for i, l := range lines {
		if !strings.Contains(l, "[NEW]") || !strings.Contains(l, " tcp ") {
			continue
		}
		var src, dst, sport, dport []string
		for _, f := range strings.Fields(l) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				continue
			}
			switch k {
			case "src":
				src = append(src, v)
			case "dst":
				dst = append(dst, v)
			case "sport":
				sport = append(sport, v)
			case "dport":
				dport = append(dport, v)
			}
		}
		if len(src) < 2 || len(dst) < 2 || len(sport) < 2 || len(dport) < 2 {
			return nil, fmt.Errorf("%s:%d: conntrack event without both tuples", path, i+1)
		}
		var c ctConn
		var errs [4]error
		c.origSrc, errs[0] = addrPort(src[0], sport[0])
		c.origDst, errs[1] = addrPort(dst[0], dport[0])
		c.replySrc, errs[2] = addrPort(src[1], sport[1])
		c.replyDst, errs[3] = addrPort(dst[1], dport[1])
		for _, e := range errs {
			if e != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, i+1, e)
			}
		}
		out = append(out, c)
	}
	return out, nil
}
