package reassembly

import (
	"github.com/ftpscope/ftpscope/capture"
	"github.com/gopacket/gopacket/layers"
)

// An FTP server on a port nobody configured is recognised from its first
// exchange: a "220" greeting answered by one of the commands a client sends
// first. The greeting arrives before the proof, so its segments are kept
// (bounded) and replayed into gopacket when the client's command promotes
// the connection; otherwise the 220 line would be missing from the session.
const (
	maxGreetingBytes = 2048
	maxGreetingSegs  = 4
)

// candidate is a connection that sent something like an FTP greeting. Its
// ends are its conn's key (the greeting's sender is the server), not kept
// again here: a flood of greetings costs its candidates.
type candidate struct {
	segs  []savedSeg
	bytes int
	end   uint32 // sequence number just after the saved greeting bytes
}

// savedSeg is a copy of one greeting segment.
type savedSeg struct {
	info    *pktInfo
	seq     uint32
	ack     uint32
	flags   capture.TCPFlags
	payload []byte
}

// isGreeting reports whether a payload starts like an FTP greeting: "220"
// then a space, a dash (multi-line) or the line end.
func isGreeting(b []byte) bool {
	if len(b) < 3 || b[0] != '2' || b[1] != '2' || b[2] != '0' {
		return false
	}
	return len(b) == 3 || b[3] == ' ' || b[3] == '-' || b[3] == '\r' || b[3] == '\n'
}

// isClientCommand reports whether a payload starts with a command an FTP
// client sends right after the greeting (case-insensitive): USER, AUTH (TLS
// first), FEAT or OPTS (capability probes). SMTP's EHLO/HELO after the same
// "220" is what this keeps out.
func isClientCommand(b []byte) bool {
	if len(b) < 4 || (len(b) > 4 && b[4] != ' ' && b[4] != '\r' && b[4] != '\n') {
		return false
	}
	var w [4]byte
	for i := range w {
		w[i] = b[i] &^ 0x20 // ASCII upper case; non-letters never match below
	}
	switch string(w[:]) {
	case "USER", "AUTH", "FEAT", "OPTS":
		return true
	}
	return false
}

// newCandidate remembers a connection whose packet p looks like a greeting.
func (a *Assembler) newCandidate(p *capture.Packet, fk flowKey) {
	if a.conns.get(fk) != nil {
		return
	}
	for a.cands.Len() >= a.cfg.MaxCandidates && a.cands.Back() != nil {
		a.stats.CandidatesEvicted++
		a.dropCandidate(a.cands.Back())
	}
	c := &conn{addr: packKey(ConnKey{Client: p.Dst, Server: p.Src}), last: a.clock.at(p.Time), cand: new(candidate)}
	a.saveGreeting(c.cand, p)
	a.conns.set(fk, c)
	a.cands.PushFront(c)
	a.ref(fk)
}

// saveGreeting keeps a copy of a greeting segment, within the bounds.
func (a *Assembler) saveGreeting(cd *candidate, p *capture.Packet) {
	if len(cd.segs) >= maxGreetingSegs || cd.bytes+len(p.Payload) > maxGreetingBytes {
		return
	}
	a.ids++
	pi := new(pktInfo)
	pi.anc[0] = pi
	tcp := layers.TCP{Seq: p.Seq, SYN: false}
	tcp.Payload = p.Payload
	pi.fill(p.Time, p.CapLen, p.Len, p.Num, a.ids, &tcp)
	cd.segs = append(cd.segs, savedSeg{
		info: pi, seq: p.Seq, ack: p.Ack, flags: p.Flags &^ (capture.SYN | capture.FIN | capture.RST),
		payload: append([]byte(nil), p.Payload...),
	})
	cd.bytes += len(p.Payload)
	cd.end = p.Seq + uint32(len(p.Payload))
}

// candidatePacket handles a packet of a candidate connection; it returns
// true when the packet promoted it to a control connection.
func (a *Assembler) candidatePacket(c *conn, p *capture.Packet) bool {
	cd := c.cand
	c.last = a.clock.at(p.Time)
	if p.Flags&(capture.SYN|capture.FIN|capture.RST) != 0 {
		a.dropCandidate(c)
		return false
	}
	if len(p.Payload) == 0 {
		return false
	}
	if p.Src == c.key().Server {
		if p.Seq == cd.end {
			// The rest of a multi-line or split greeting.
			a.saveGreeting(cd, p)
		}
		return false
	}
	if !isClientCommand(p.Payload) {
		a.dropCandidate(c)
		return false
	}
	a.promote(c, p)
	return true
}

// promote turns candidate c into a control connection: the saved greeting
// goes into gopacket first, then the client's command p.
func (a *Assembler) promote(c *conn, p *capture.Packet) {
	cd := c.cand
	a.cands.Remove(c)
	c.cand, c.flags = nil, c.flags|cfDone
	// The new conn keeps the candidate's port references.
	key := c.key()
	nc := a.open(c.flowKey(), key, cd.segs[0].info.ci.Timestamp, true, true)
	for _, s := range cd.segs {
		var tcp layers.TCP
		hdr := new([20]byte)
		buildTCP(&tcp, hdr, key.Server.Port(), key.Client.Port(), s.seq, s.ack, s.flags, s.payload)
		nc.last = a.clock.at(s.info.ci.Timestamp)
		a.assemble(nc, RoleServer, &tcp, s.info)
		if nc.has(cfDone) {
			return
		}
	}
	a.feedPacket(nc, p)
}

// dropCandidate forgets a candidate.
func (a *Assembler) dropCandidate(c *conn) {
	if c.has(cfDone) {
		return
	}
	c.flags |= cfDone
	a.cands.Remove(c)
	fk := c.flowKey()
	if a.conns.get(fk) == c {
		a.conns.delete(fk)
	}
	a.unref(fk)
}

// ref and unref count the tracked flows on each port outside the control
// ports, which lets Packet skip the map for every other packet.
func (a *Assembler) ref(fk flowKey) {
	for _, p := range fk.portPair() {
		a.refs[p]++
		a.hot.set(p)
	}
}

func (a *Assembler) unref(fk flowKey) {
	for _, p := range fk.portPair() {
		if a.refs[p] > 1 {
			a.refs[p]--
			continue
		}
		delete(a.refs, p)
		if !a.ctrl.has(p) {
			a.hot.clear(p)
		}
	}
}
