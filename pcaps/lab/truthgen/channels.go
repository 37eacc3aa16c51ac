package main

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// channel is one announcement found in a log, with what the log says became of it.
type channel struct {
	method    string // PORT, EPRT, PASV, EPSV
	mode      string // active, passive
	announced netip.AddrPort
	epsvPort  bool // the announcement carried a port only (229): the host is the control server
	text      string
	line      int

	refused  bool // PORT/EPRT answered 4xx/5xx: nothing will connect
	command  string
	argument string
	reply    int // final reply to the transfer command

	dataTo   netip.AddrPort // where the client connected (passive)
	outcome  string         // from the client's own log: established, timeout, refused, icmp
	accepted bool           // the client accepted the server's active connection
	hidden   bool           // announced after AUTH TLS: not visible on the wire
}

// sessionInfo is what one log says about one control connection.
type sessionInfo struct {
	user     string
	tls      bool
	channels []*channel
}

var (
	transferVerbs = map[string]bool{"RETR": true, "STOR": true, "STOU": true, "APPE": true,
		"LIST": true, "NLST": true, "MLSD": true}
	sixNumbers = regexp.MustCompile(`([0-9]+),([0-9]+),([0-9]+),([0-9]+),([0-9]+),([0-9]+)`)
	epsvPort   = regexp.MustCompile(`\((.)(.)(.)([0-9]+)(.)\)`)
)

func parseSix(s string) (netip.AddrPort, error) {
	m := sixNumbers.FindStringSubmatch(s)
	if m == nil {
		return netip.AddrPort{}, fmt.Errorf("no h1,h2,h3,h4,p1,p2 in %q", s)
	}
	var n [6]int
	for i := range n {
		v, err := strconv.Atoi(m[i+1])
		if err != nil || v > 255 {
			return netip.AddrPort{}, fmt.Errorf("bad number in %q", s)
		}
		n[i] = v
	}
	a := netip.AddrFrom4([4]byte{byte(n[0]), byte(n[1]), byte(n[2]), byte(n[3])})
	return netip.AddrPortFrom(a, uint16(n[4]*256+n[5])), nil
}

// parseEPRT reads "|1|10.0.1.2|40000|" with any delimiter (RFC 2428).
func parseEPRT(arg string) (netip.AddrPort, error) {
	if len(arg) < 2 {
		return netip.AddrPort{}, fmt.Errorf("short EPRT %q", arg)
	}
	parts := strings.Split(arg, arg[:1])
	if len(parts) != 5 {
		return netip.AddrPort{}, fmt.Errorf("bad EPRT %q", arg)
	}
	return addrPort(parts[2], parts[3])
}

// extract walks one session's events in order. Commands and replies are paired first
// in, first out (clients pipeline: lftp sends LIST and ABOR before reading a reply);
// 1xx replies do not end a command.
func extract(s logSession) (sessionInfo, error) {
	type pending struct {
		verb string
		ch   *channel
	}
	var info sessionInfo
	// opaque: the control channel is encrypted now (AUTH TLS accepted, not
	// yet cleared by CCC); info.tls says it ever was.
	var opaque bool
	var queue []pending
	var cur *channel // the latest announcement, the one the next transfer uses
	for _, e := range s.events {
		switch e.kind {
		case evCmd:
			verb, arg, _ := strings.Cut(e.text, " ")
			verb = strings.ToUpper(verb)
			p := pending{verb: verb}
			switch {
			case verb == "USER" && !opaque && info.user == "":
				info.user = arg
			case verb == "PORT" || verb == "EPRT":
				ch := &channel{method: verb, mode: "active", text: e.text, line: e.line, hidden: opaque}
				var err error
				if verb == "PORT" {
					ch.announced, err = parseSix(arg)
				} else {
					ch.announced, err = parseEPRT(arg)
				}
				if err != nil {
					return info, fmt.Errorf("line %d: %w", e.line, err)
				}
				info.channels = append(info.channels, ch)
				cur, p.ch = ch, ch
			case transferVerbs[verb]:
				if cur != nil && cur.command == "" && !cur.refused {
					cur.command, cur.argument = verb, arg
					p.ch = cur
				}
			}
			queue = append(queue, p)
		case evReply:
			if len(queue) == 0 {
				continue // greeting, or a reply to something sent before the log starts
			}
			if e.code < 200 {
				continue
			}
			head := queue[0]
			queue = queue[1:]
			switch head.verb {
			case "PORT", "EPRT":
				if e.code >= 400 {
					head.ch.refused = true
				}
			case "PASV", "EPSV":
				ch := &channel{method: head.verb, mode: "passive", text: e.text, line: e.line, hidden: opaque}
				switch e.code {
				case 227:
					ap, err := parseSix(e.text[3:])
					if err != nil {
						return info, fmt.Errorf("line %d: %w", e.line, err)
					}
					ch.announced = ap
				case 229:
					m := epsvPort.FindStringSubmatch(e.text)
					if m == nil {
						return info, fmt.Errorf("line %d: no (|||port|) in %q", e.line, e.text)
					}
					p, err := strconv.ParseUint(m[4], 10, 16)
					if err != nil {
						return info, fmt.Errorf("line %d: %w", e.line, err)
					}
					ch.announced = netip.AddrPortFrom(netip.Addr{}, uint16(p))
					ch.epsvPort = true
				default:
					continue // refused: announces nothing
				}
				info.channels = append(info.channels, ch)
				cur = ch
			case "AUTH":
				if e.code == 234 {
					info.tls, opaque = true, true
				}
			case "CCC":
				// RFC 4217 section 6: the control channel is clear text again
				// (the session stays a TLS session).
				if e.code == 200 {
					opaque = false
				}
			default:
				if head.ch != nil {
					head.ch.reply = e.code
				}
			}
		case evDataConnect:
			if cur != nil && cur.mode == "passive" {
				cur.dataTo = e.ap
			}
		case evDataOK:
			if cur != nil {
				cur.outcome = "established"
			}
		case evDataFail:
			if cur != nil && cur.outcome == "" {
				cur.outcome = e.fail
			}
		case evDataAccepted:
			if cur != nil {
				cur.accepted = true
				cur.outcome = "established"
			}
		}
	}
	return info, nil
}
