package main

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
)

// TruthFormat names the version of the truth.json layout.
const TruthFormat = "ftpscope-lab-truth/1"

// fateOutcome is the client-visible result of each router fate for a new data connection.
var fateOutcome = map[string]string{"pass": "established", "drop": "timeout", "reset": "refused", "icmp": "icmp"}

// initiatorVerdict is the verdict where the SYN is seen: at the connecting side's own host.
var initiatorVerdict = map[string]string{"established": "ok", "timeout": "dropped", "refused": "refused", "icmp": "icmp"}

type side struct {
	name   string
	client netip.AddrPort
	server netip.AddrPort
	info   sessionInfo
}

func parseClient(dir string, r Run) ([]logSession, error) {
	p := filepath.Join(dir, r.ClientLog)
	switch r.Tool {
	case "lftp":
		return parseLftp(p)
	case "curl":
		return parseCurl(p)
	case "tnftp":
		if r.PassiveFate != "pass" || r.ActiveFate != "pass" {
			return nil, fmt.Errorf("run %s: tnftp's log shows no data connections, so it can only run through an open router", r.ID)
		}
		return parseTnftp(p)
	}
	return nil, fmt.Errorf("run %s: unknown client tool %q", r.ID, r.Tool)
}

func parseServer(dir string, r Run) ([]logSession, error) {
	p := filepath.Join(dir, r.ServerLog)
	switch r.Server {
	case "vsftpd":
		return parseVsftpd(p)
	case "proftpd":
		return parseProftpd(p)
	case "pure-ftpd":
		return parsePureftpd(p)
	}
	return nil, fmt.Errorf("run %s: unknown server %q", r.ID, r.Server)
}

func build(dir string, spec Spec) (Truth, error) {
	t := Truth{Format: TruthFormat, Scenario: spec.Scenario, Title: spec.Title,
		Description: spec.Description, Software: spec.Software, Ruleset: spec.Ruleset,
		Vantages: []Vantage{{Name: "client", Capture: "client.pcap"}, {Name: "server", Capture: "server.pcap"}}}
	ct, err := parseConntrack(filepath.Join(dir, spec.Conntrack))
	if err != nil {
		return t, err
	}
	serverSessions := map[string][]logSession{} // per server log, not yet matched
	serverLoaded := map[string]bool{}
	usedCT := make([]bool, len(ct))
	for _, r := range spec.Runs {
		clientSessions, err := parseClient(dir, r)
		if err != nil {
			return t, err
		}
		if len(clientSessions) == 0 {
			return t, fmt.Errorf("run %s: %s shows no control connection", r.ID, r.ClientLog)
		}
		if !serverLoaded[r.ServerLog] {
			ss, err := parseServer(dir, r)
			if err != nil {
				return t, err
			}
			serverSessions[r.ServerLog], serverLoaded[r.ServerLog] = ss, true
		}
		for k, cs := range clientSessions {
			// Sessions happen one after another: the next control connection conntrack
			// saw toward the control port, and the next session in the server's log.
			ci := -1
			for i, c := range ct {
				if !usedCT[i] && int(c.origDst.Port()) == r.ControlPort {
					ci = i
					break
				}
			}
			if ci < 0 {
				return t, fmt.Errorf("run %s session %d: no control connection left in conntrack log", r.ID, k+1)
			}
			usedCT[ci] = true
			if len(serverSessions[r.ServerLog]) == 0 {
				return t, fmt.Errorf("run %s session %d: no session left in server log %s", r.ID, k+1, r.ServerLog)
			}
			ss := serverSessions[r.ServerLog][0]
			serverSessions[r.ServerLog] = serverSessions[r.ServerLog][1:]

			cinfo, err := extract(cs)
			if err != nil {
				return t, fmt.Errorf("%s: %w", r.ClientLog, err)
			}
			sinfo, err := extract(ss)
			if err != nil {
				return t, fmt.Errorf("%s: %w", r.ServerLog, err)
			}
			if r.ControlPort == implicitFTPSPort {
				// Implicit FTPS: TLS from the first byte, so nothing the logs show
				// crossed in clear.
				cinfo.implicitTLS()
				sinfo.implicitTLS()
			}
			c := ct[ci]
			cside := side{name: "client", client: c.origSrc, server: c.origDst, info: cinfo}
			sside := side{name: "server", client: c.replyDst, server: c.replySrc, info: sinfo}
			csess, ssess, err := judge(r, cside, sside)
			if err != nil {
				return t, fmt.Errorf("run %s session %d: %w", r.ID, k+1, err)
			}
			t.Vantages[0].Sessions = append(t.Vantages[0].Sessions, csess)
			t.Vantages[1].Sessions = append(t.Vantages[1].Sessions, ssess)
		}
	}
	for log, left := range serverSessions {
		if len(left) > 0 {
			return t, fmt.Errorf("server log %s has %d session(s) no client log accounts for", log, len(left))
		}
	}
	return t, nil
}

// judge turns the two logs' view of one session into the expected report at both
// vantage points. The client log says what the client sent and saw; the server log
// what the server received and answered (after any NAT rewriting by the router).
func judge(r Run, cs, ss side) (TruthSession, TruthSession, error) {
	mk := func(s side) TruthSession {
		return TruthSession{Run: r.ID, Client: s.client.String(), Server: s.server.String(),
			User: s.info.user, TLS: s.info.tls, Channels: []TruthChannel{}}
	}
	ct, st := mk(cs), mk(ss)
	if cs.info.tls != ss.info.tls {
		return ct, st, fmt.Errorf("client and server logs disagree on TLS")
	}
	if len(cs.info.channels) != len(ss.info.channels) {
		return ct, st, fmt.Errorf("client log has %d announcements, server log %d", len(cs.info.channels), len(ss.info.channels))
	}
	for i, cc := range cs.info.channels {
		sc := ss.info.channels[i]
		if cc.method != sc.method {
			return ct, st, fmt.Errorf("announcement %d: client log %s, server log %s", i+1, cc.method, sc.method)
		}
		if cc.command != sc.command && sc.command != "" {
			return ct, st, fmt.Errorf("announcement %d: client log says %s, server log %s", i+1, cc.command, sc.command)
		}
		if cc.command != "" && sc.command == "" && (r.Server == "vsftpd" || r.Server == "pure-ftpd") {
			// lftp logs "---> LIST" for a command it queued and then dropped when it
			// closed the connection; vsftpd logs every command it reads, so its log says
			// what went on the wire, and so does pure-ftpd's. (proftpd logs a transfer
			// only when it completes.)
			cc.command, cc.argument = "", ""
		}
		if cc.hidden {
			ct.HiddenChannels++
			st.HiddenChannels++
			continue
		}
		cv, sv, err := verdicts(r, cc, sc)
		if err != nil {
			return ct, st, fmt.Errorf("announcement %d (%s, client log line %d): %w", i+1, cc.method, cc.line, err)
		}
		ct.Channels = append(ct.Channels, channelAt(cs, cc, sc, cv))
		st.Channels = append(st.Channels, channelAt(ss, sc, sc, sv))
	}
	return ct, st, nil
}

type sideVerdict struct {
	verdict string
	blocked bool
	why     string
}

// verdicts decides the verdict at the client side and at the server side.
// The connecting side (client for passive, server for active) has its own SYN in its
// capture; the other side sees it only if the router let it through.
func verdicts(r Run, cc, sc *channel) (client, server sideVerdict, err error) {
	if sc.command == "" {
		sc.command = cc.command
	}
	reply := sc.reply // the server's own log says what it answered
	if reply == 0 {
		reply = cc.reply
	}
	var outcome, how string
	switch {
	case cc.mode == "passive":
		want := fateOutcome[r.PassiveFate]
		switch {
		case cc.dataTo == (netip.AddrPort{}):
			outcome, how = "none", "the client never connected"
		case cc.outcome == "":
			return client, server, fmt.Errorf("client log shows a connection to %s without outcome", cc.dataTo)
		case cc.outcome != want:
			return client, server, fmt.Errorf("client log says %s, ruleset fate %q implies %s", cc.outcome, r.PassiveFate, want)
		default:
			outcome = cc.outcome
			how = fmt.Sprintf("%s connecting to %s: %s (client log); router fate for passive data: %s", r.Tool, cc.dataTo, outcome, r.PassiveFate)
		}
	default: // active: the server connects after the transfer command
		switch {
		case sc.refused:
			outcome, how = "none", fmt.Sprintf("server refused the %s (server log)", sc.method)
		case cc.command == "":
			outcome, how = "none", "no transfer command used it"
		case cc.accepted:
			if r.ActiveFate != "pass" {
				return client, server, fmt.Errorf("client accepted a data connection the ruleset should %s", r.ActiveFate)
			}
			outcome, how = "established", "client accepted the server's connection (client log)"
		case r.ActiveFate == "pass":
			return client, server, fmt.Errorf("ruleset passes active data but the client never accepted one (reply %d)", reply)
		case reply != 425:
			return client, server, fmt.Errorf("active data blocked (%s) but the server replied %d, not 425", r.ActiveFate, reply)
		default:
			outcome = fateOutcome[r.ActiveFate]
			how = fmt.Sprintf("server replied 425 (server log); router fate for active data: %s", r.ActiveFate)
		}
	}
	notSeen := func() sideVerdict {
		if cc.command != "" || reply == 425 {
			return sideVerdict{"not-seen", reply == 425, how + "; no SYN crosses the router"}
		}
		return sideVerdict{"unused", false, how + "; no transfer asked for"}
	}
	if outcome == "none" {
		v := notSeen()
		return v, v, nil
	}
	if outcome == "established" {
		v := sideVerdict{"ok", false, how}
		return v, v, nil
	}
	at := sideVerdict{initiatorVerdict[outcome], true, how}
	if cc.mode == "passive" {
		return at, notSeen(), nil
	}
	return notSeen(), at, nil
}

func channelAt(s side, ch, serverCh *channel, v sideVerdict) TruthChannel {
	ann := ch.announced
	if ch.epsvPort {
		ann = netip.AddrPortFrom(s.server.Addr(), ch.announced.Port())
	}
	announcer := s.client.Addr()
	if ch.mode == "passive" {
		announcer = s.server.Addr()
	}
	reply := serverCh.reply
	return TruthChannel{
		Method:    ch.method,
		Mode:      ch.mode,
		Announced: ann.String(),
		NAT:       ann.Addr() != announcer,
		Command:   ch.command,
		Reply:     reply,
		Verdict:   v.verdict,
		Blocked:   v.blocked,
		Evidence:  strings.TrimSpace(fmt.Sprintf("%s log line %d: %s; %s", s.name, ch.line, ch.text, v.why)),
	}
}

// implicitFTPSPort is the port of implicit FTPS (TLS from the first byte).
const implicitFTPSPort = 990

// implicitTLS marks a session as TLS from its start: every announcement
// hidden, the user name too.
func (i *sessionInfo) implicitTLS() {
	i.tls, i.user = true, ""
	for _, ch := range i.channels {
		ch.hidden = true
	}
}
