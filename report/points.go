package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/correlate"
	"github.com/ftpscope/ftpscope/flowid"
)

// Points is what the writers know of a run over several capture points
// (--point): the join, found by the session each record is written from.
type Points struct {
	// Names are the points in path order.
	Names  []string
	Result *correlate.Result
	of     map[*analysis.Session]*correlate.Session
	// blocks are the join's located blocks, gathered when it is set: the
	// sessions may be let go as they are written.
	blocks []correlate.Block
}

// NewPoints indexes a join by the sessions its records are written from.
func NewPoints(names []string, r *correlate.Result) *Points {
	p := &Points{Names: names, of: map[*analysis.Session]*correlate.Session{}}
	p.SetResult(r)
	return p
}

// SetResult indexes the join once it is made (sessions recorded with
// Single stay).
func (p *Points) SetResult(r *correlate.Result) {
	p.Result = r
	if r == nil {
		return
	}
	for _, g := range r.Sessions {
		p.of[g.Seen[g.Primary]] = g
	}
	p.blocks = correlate.Blocks(r)
}

// Forget lets go of a session once its record is written, so that what the
// points held is freed as the report is written.
func (p *Points) Forget(s *analysis.Session) { delete(p.of, s) }

// Single records s as seen at point alone, unjoined (it left the point's
// store before the join: evicted).
func (p *Points) Single(point int, s *analysis.Session) {
	g := &correlate.Session{Seen: make([]*analysis.Session, len(p.Names)), HowJoined: make([]correlate.JoinedBy, len(p.Names)), Primary: point, Evicted: true}
	g.Seen[point] = s
	p.of[s] = g
}

// Of returns the joined session a record is written from (nil if none).
func (p *Points) Of(s *analysis.Session) *correlate.Session {
	if p == nil {
		return nil
	}
	return p.of[s]
}

// name quotes a point's name as the words do.
func (p *Points) name(i int) string { return "`" + p.Names[i] + "`" }

type jsonPointSession struct {
	Name        string `json:"name"`
	Client      string `json:"client"`
	Server      string `json:"server"`
	Start       string `json:"start"`
	UID         string `json:"uid"`
	CommunityID string `json:"community_id"`
	Joined      string `json:"joined_by,omitempty"`
}

type jsonRewrite struct {
	Between []string `json:"between"`
	Field   string   `json:"field"`
	From    string   `json:"from"`
	To      string   `json:"to"`
	// Side is "client" or "server" for an address rewrite.
	Side string `json:"side,omitempty"`
	// Channel is the channel's number (from 1) for an announcement.
	Channel int    `json:"channel,omitempty"`
	Breaks  bool   `json:"breaks,omitempty"`
	Text    string `json:"text"`
}

type jsonPathPoint struct {
	Name         string    `json:"name"`
	Seen         bool      `json:"seen"`
	Announced    string    `json:"announced"`
	SYNs         int       `json:"syns"`
	SYNACK       bool      `json:"synack"`
	Reset        bool      `json:"reset"`
	ForgedReset  bool      `json:"forged_reset,omitempty"`
	ICMP         *jsonICMP `json:"icmp,omitempty"`
	PayloadBytes uint64    `json:"payload_bytes"`
	Verdict      string    `json:"verdict"`
}

type jsonPath struct {
	Points      []jsonPathPoint `json:"points"`
	LostBetween []string        `json:"lost_between"`
	Lost        string          `json:"lost,omitempty"`
	LostBeyond  string          `json:"lost_beyond,omitempty"`
	Reason      string          `json:"reason"`
}

// pointsJSON adds a joined session's points, rewrites and channel paths to
// its record.
func (p *Points) pointsJSON(rec *jsonSession, g *correlate.Session) {
	if g == nil {
		return
	}
	rec.Points = []string{}
	for _, i := range g.Points() {
		s := g.Seen[i]
		rec.Points = append(rec.Points, p.Names[i])
		rec.PointSessions = append(rec.PointSessions, jsonPointSession{Name: p.Names[i], Client: ap(s.Client), Server: ap(s.Server),
			Start: stamp(s.Start), UID: SessionUID(s), CommunityID: flowid.CommunityID(s.Client, s.Server, flowid.ProtoTCP), Joined: g.HowJoined[i].String()})
	}
	rws := make([]jsonRewrite, 0, len(g.Rewrites))
	for _, rw := range g.Rewrites {
		j := jsonRewrite{Between: []string{p.Names[rw.From], p.Names[rw.To]}, Field: rw.Field.String(), From: rw.Old.String(), To: rw.New.String(),
			Breaks: rw.Breaks, Text: p.RewriteText(rw)}
		if rw.Field == correlate.FieldAddress {
			j.Side = "client"
			if rw.ServerSide {
				j.Side = "server"
			}
		} else {
			j.Channel = rw.Channel + 1
		}
		rws = append(rws, j)
	}
	rec.Rewrites = &rws
	rec.PointsNote = p.SessionText(g)
	for i := range rec.Channels {
		if i < len(g.Paths) {
			rec.Channels[i].Path = p.pathJSON(g.Paths[i])
		}
	}
}

func (p *Points) pathJSON(pa *correlate.Path) *jsonPath {
	j := &jsonPath{Points: make([]jsonPathPoint, 0, len(pa.Sightings)), Lost: pa.Lost.String(), Reason: p.PathText(pa)}
	for _, s := range pa.Sightings {
		pp := jsonPathPoint{Name: p.Names[s.Point], Seen: s.Channel != nil, SYNs: s.SYNs, SYNACK: s.SYNACK, Reset: s.Reset,
			ForgedReset: s.Forged, PayloadBytes: s.Bytes}
		if s.Channel != nil {
			pp.Announced, pp.Verdict = s.Announced.String(), s.Verdict.String()
		}
		if i := s.ICMP; i != nil {
			pp.ICMP = &jsonICMP{From: i.From.String(), Type: i.Type, Code: i.Code, Text: i.Describe(), V6: i.V6}
		}
		j.Points = append(j.Points, pp)
	}
	if pa.Lost != correlate.LostNothing {
		j.LostBetween = []string{p.Names[pa.LastSaw], p.Names[pa.FirstMissed]}
	}
	if pa.Beyond {
		j.LostBeyond = p.Names[pa.LastSaw]
	}
	return j
}

// PathText says where a channel's data connection went along the path.
func (p *Points) PathText(pa *correlate.Path) string {
	var b strings.Builder
	sightingOf := func(point int) *correlate.Sighting {
		for i := range pa.Sightings {
			if pa.Sightings[i].Point == point {
				return &pa.Sightings[i]
			}
		}
		return nil
	}
	switch {
	case pa.Lost == correlate.LostSYN:
		fmt.Fprintf(&b, "the SYN left %s and never reached %s: the block lies between them", p.name(pa.LastSaw), p.name(pa.FirstMissed))
		if s := sightingOf(pa.LastSaw); s != nil {
			if s.ICMP != nil {
				fmt.Fprintf(&b, "; %s saw ICMP %s come back from %s", p.name(pa.LastSaw), s.ICMP.Describe(), s.ICMP.From)
			}
			if s.Reset {
				fmt.Fprintf(&b, "; the reset %s saw was forged on the way (the SYN it answers never reached %s)", p.name(pa.LastSaw), p.name(pa.FirstMissed))
			}
		}
	case pa.Lost == correlate.LostSYNACK || pa.Lost == correlate.LostReset:
		what := "SYN-ACK"
		if pa.Lost == correlate.LostReset {
			what = "reset"
		}
		acc := pa.Sightings[0].Point
		if !pa.ServerOpens {
			acc = pa.Sightings[len(pa.Sightings)-1].Point
		}
		if acc == pa.LastSaw {
			fmt.Fprintf(&b, "the SYN reached %s and was answered there; the %s never reached %s: the block lies between them, on the way back",
				p.name(acc), what, p.name(pa.FirstMissed))
		} else {
			fmt.Fprintf(&b, "the SYN reached %s and was answered; the %s passed %s and never reached %s: the block lies between them, on the way back",
				p.name(acc), what, p.name(pa.LastSaw), p.name(pa.FirstMissed))
		}
	case pa.Beyond:
		fmt.Fprintf(&b, "the SYN reached %s, the last point on its way that saw the announcement, and nothing answered it there: it was lost beyond %s, or the host did not answer",
			p.name(pa.LastSaw), p.name(pa.LastSaw))
	case pa.NoSYN:
		b.WriteString("no point saw a SYN for it: the connection was not tried where a point could see it")
	default:
		est := 0
		for _, s := range pa.Sightings {
			if s.Established {
				est++
			}
		}
		switch {
		case est == len(pa.Sightings):
			b.WriteString("every point saw it established: nothing was lost between them")
		default:
			b.WriteString("the SYN and its answer crossed every point: nothing was lost between them")
		}
	}
	for _, m := range pa.Missed {
		fmt.Fprintf(&b, "; %s did not see the SYN though a point further on did: its capture lacks it (a filter, or drops at the capture)", p.name(m))
	}
	for _, s := range pa.Sightings {
		if s.Channel == nil {
			fmt.Fprintf(&b, "; %s saw the session but not this announcement", p.name(s.Point))
		}
	}
	return b.String()
}

// RewriteText says a rewrite in words.
func (p *Points) RewriteText(rw correlate.Rewrite) string {
	var s string
	if rw.Field == correlate.FieldAddress {
		side := "client"
		if rw.ServerSide {
			side = "server"
		}
		s = fmt.Sprintf("the %s's end of the control connection is %s at %s and %s at %s (NAT between them)",
			side, rw.Old, p.name(rw.From), rw.New, p.name(rw.To))
	} else {
		s = fmt.Sprintf("channel %d's %s announced %s at %s and %s at %s: rewritten on the way (an FTP helper)",
			rw.Channel+1, rw.Field, rw.Old, p.name(rw.From), rw.New, p.name(rw.To))
		if rw.Breaks {
			s += "; the rewritten channel never got through: the rewrite breaks it"
		}
	}
	return s
}

// SessionText says plainly what is odd about a session's sightings: seen at
// one point only, evicted before the join, not seen at some point between.
func (p *Points) SessionText(g *correlate.Session) string {
	pts := g.Points()
	if g.Evicted {
		return fmt.Sprintf("left %s's store before the join (its limit was reached): reported as that point saw it, unjoined", p.name(pts[0]))
	}
	if len(pts) == 1 {
		return fmt.Sprintf("seen at %s only: no other point's capture holds this control connection", p.name(pts[0]))
	}
	var missing []string
	for i, s := range g.Seen {
		if s == nil {
			missing = append(missing, p.name(i))
		}
	}
	if len(missing) > 0 {
		return fmt.Sprintf("not seen at %s", strings.Join(missing, ", "))
	}
	return ""
}

// PointsSummary is what a run over several capture points adds to the
// totals: each point's own run and how the points were joined.
type PointsSummary struct {
	Points []PointSummary
	// Joined counts the session records written; AtAll those every point saw.
	Joined, AtAll  int
	FallbackCapped bool
}

// PointSummary is one capture point's part.
type PointSummary struct {
	Name  string
	Files []string
	// Summary is the point's own run.
	Summary Summary
	// Sessions is what the point's store held at the join; Evicted and
	// EvictedBytes what left it past MaxSessions or MaxBytes.
	Sessions, Evicted, MaxSessions int
	EvictedBytes, MaxBytes         int64
	Offset                         correlate.Offset
	// Only counts the sessions no other point saw; OrderWrong says the
	// packets put this point before the previous one.
	Only          int
	OrderWrong    bool
	Agree, Oppose int
	// DataSeen counts the joined channels whose data connection the point
	// saw; Lost those located as lost just before it.
	DataSeen, LostBefore int
}

type jsonPointSummary struct {
	Name          string      `json:"name"`
	Files         []string    `json:"files"`
	Sessions      int         `json:"sessions"`
	OnlyHere      int         `json:"only_here"`
	ClockOffsetMS *float64    `json:"clock_offset_ms"`
	DelayMS       *float64    `json:"delay_from_previous_ms,omitempty"`
	OffsetSamples int         `json:"offset_samples"`
	OrderLooks    string      `json:"order"`
	Store         jsonStore   `json:"store"`
	Summary       jsonSummary `json:"summary"`
}

type jsonStore struct {
	MaxSessions  int   `json:"max_sessions"`
	MaxBytes     int64 `json:"max_bytes"`
	Evicted      int   `json:"evicted"`
	EvictedBytes int64 `json:"evicted_bytes"`
}

type jsonPointsSummary struct {
	Points         []jsonPointSummary `json:"points"`
	Joined         int                `json:"session_records"`
	AtAll          int                `json:"seen_at_every_point"`
	FallbackCapped bool               `json:"fallback_capped,omitempty"`
	Warnings       []string           `json:"warnings"`
}

func pointsSummaryJSON(ps *PointsSummary) *jsonPointsSummary {
	j := &jsonPointsSummary{Joined: ps.Joined, AtAll: ps.AtAll, FallbackCapped: ps.FallbackCapped, Warnings: PointWarnings(ps)}
	for i, p := range ps.Points {
		jp := jsonPointSummary{Name: p.Name, Files: p.Files, Sessions: p.Sessions, OnlyHere: p.Only, OffsetSamples: p.Offset.Samples,
			Store:   jsonStore{MaxSessions: p.MaxSessions, MaxBytes: p.MaxBytes, Evicted: p.Evicted, EvictedBytes: p.EvictedBytes},
			Summary: summaryJSON(p.Summary), OrderLooks: "first"}
		if p.Offset.Known {
			jp.ClockOffsetMS = ms(p.Offset.Offset)
			if i > 0 && p.Offset.Samples > 0 {
				jp.DelayMS = ms(p.Offset.Delay)
			}
		}
		if i > 0 {
			switch {
			case p.OrderWrong:
				jp.OrderLooks = "wrong"
			case p.Agree > 0:
				jp.OrderLooks = "confirmed"
			default:
				jp.OrderLooks = "unknown"
			}
		}
		j.Points = append(j.Points, jp)
	}
	return j
}

// PointWarnings says what the user should know about the points: an order
// the packets contradict, clocks far apart, sessions seen at one point
// only, stores that overflowed.
func PointWarnings(ps *PointsSummary) []string {
	out := []string{}
	for i, p := range ps.Points {
		if i > 0 && p.OrderWrong {
			out = append(out, fmt.Sprintf("the packets say point `%s` lies before `%s` on the path, not after it (TTLs and transit times of %d sessions against %d): list the points client side first",
				p.Name, ps.Points[i-1].Name, p.Oppose, p.Agree))
		}
		if i > 0 && !p.Offset.Known {
			out = append(out, fmt.Sprintf("point `%s` shares no control connection with the points before it: its clock offset is unknown", p.Name))
		}
		if p.Offset.Known && p.Offset.Offset.Abs() >= time.Second {
			out = append(out, fmt.Sprintf("point `%s`'s clock is %s %s the first point's (measured on %d control lines and taken out)",
				p.Name, p.Offset.Offset.Abs().Round(time.Millisecond), map[bool]string{true: "ahead of", false: "behind"}[p.Offset.Offset > 0], p.Offset.Samples))
		}
		if p.Only > 0 {
			verb := "s were"
			if p.Only == 1 {
				verb = " was"
			}
			out = append(out, fmt.Sprintf("%d session%s seen at point `%s` only", p.Only, verb, p.Name))
		}
		if p.DataSeen == 0 && p.LostBefore > 0 {
			out = append(out, fmt.Sprintf("point `%s` saw no data connection at all, and %d were located as lost just before it: right when everything was blocked before it; if its capture was filtered to the control port, those locations mean nothing",
				p.Name, p.LostBefore))
		}
		if p.Evicted > 0 {
			out = append(out, fmt.Sprintf("point `%s`'s store reached its limit (%d sessions, %d bytes): %d sessions left it before the join and are reported unjoined (raise --point-max-sessions or --point-max-bytes)",
				p.Name, p.MaxSessions, p.MaxBytes, p.Evicted))
		}
	}
	if ps.FallbackCapped {
		out = append(out, "the line-by-line comparison of partly seen sessions reached its limit: some may be left unjoined")
	}
	return out
}

// sightingCell says in a few words what one point saw of a data
// connection, for the table's path grid.
func sightingCell(s *correlate.Sighting) string {
	if s.Channel == nil {
		return "announcement not seen"
	}
	var parts []string
	if s.SYNs > 0 {
		parts = append(parts, fmt.Sprintf("SYN x%d", s.SYNs))
	}
	if s.SYNACK {
		parts = append(parts, "SYN-ACK")
	}
	if s.Reset {
		if s.Forged {
			parts = append(parts, "RST (forged)")
		} else {
			parts = append(parts, "RST")
		}
	}
	if s.ICMP != nil {
		parts = append(parts, "ICMP from "+s.ICMP.From.String())
	}
	if s.Bytes > 0 {
		parts = append(parts, fmt.Sprintf("%d bytes", s.Bytes))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// tablePoints writes a joined session's points, rewrites and channel
// paths under its channel table.
func (t *tableWriter) tablePoints(s *analysis.Session) error {
	p := t.o.Points
	g := p.Of(s)
	if g == nil {
		return nil
	}
	w := t.w
	var seen []string
	for _, i := range g.Points() {
		x := g.Seen[i]
		seen = append(seen, fmt.Sprintf("%s (%s -> %s)", p.Names[i], x.Client, x.Server))
	}
	fmt.Fprintf(w, "  points: %s\n", strings.Join(seen, ", "))
	if note := p.SessionText(g); note != "" {
		fmt.Fprintf(w, "  points: %s\n", note)
	}
	if len(g.Paths) > 0 && len(g.Points()) > 1 {
		gr := t.sessionGrid()
		head := []string{"#"}
		for _, i := range g.Points() {
			head = append(head, p.Names[i])
		}
		head = append(head, "Lost between")
		gr.Header(head...)
		for ci, pa := range g.Paths {
			row := []string{fmt.Sprint(ci + 1)}
			for k := range pa.Sightings {
				row = append(row, sightingCell(&pa.Sightings[k]))
			}
			lost := "-"
			switch {
			case pa.Lost != correlate.LostNothing:
				lost = fmt.Sprintf("%s: %s -> %s", strings.ToUpper(pa.Lost.String()), p.Names[pa.LastSaw], p.Names[pa.FirstMissed])
			case pa.Beyond:
				lost = "beyond " + p.Names[pa.LastSaw]
			}
			row = append(row, lost)
			gr.Row(row...)
		}
		if err := gr.Render(w); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
		for ci, pa := range g.Paths {
			if pa.Broken() || len(pa.Missed) > 0 || t.o.Verbose {
				fmt.Fprintf(w, "  %d. path: %s\n", ci+1, p.PathText(pa))
			}
		}
	}
	for _, rw := range g.Rewrites {
		fmt.Fprintf(w, "  rewrite: %s\n", p.RewriteText(rw))
	}
	return nil
}

// tablePointsTotals writes the capture points' part of the totals.
func (t *tableWriter) tablePointsTotals(ps *PointsSummary) error {
	w := t.w
	fmt.Fprintf(w, "Capture points (%d session records, %d seen at every point)\n", ps.Joined, ps.AtAll)
	g := newGrid(w)
	g.Header("Point", "Files", "Sessions", "Only here", "Clock offset", "Transit", "Order", "Evicted")
	for i, p := range ps.Points {
		off, transit, order := "unknown", "-", "first"
		if p.Offset.Known {
			off = p.Offset.Offset.Round(time.Microsecond).String()
		}
		if i > 0 {
			if p.Offset.Samples > 0 {
				transit = p.Offset.Delay.Round(time.Microsecond).String()
			}
			switch {
			case p.OrderWrong:
				order = "WRONG"
			case p.Agree > 0:
				order = "confirmed"
			default:
				order = "unknown"
			}
		}
		if err := appendRow(g, p.Name, strings.Join(p.Files, " "), fmt.Sprint(p.Sessions), fmt.Sprint(p.Only), off, transit, order, fmt.Sprint(p.Evicted)); err != nil {
			return fmt.Errorf("table row: %w", err)
		}
	}
	if err := g.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	for _, m := range PointWarnings(ps) {
		fmt.Fprintf(w, "WARNING: %s.\n", m)
	}
	return nil
}

// BlockText says one located block in words.
func (p *Points) BlockText(b correlate.Block) string {
	kind, opener := "passive", "the client"
	if b.ServerOpens {
		kind, opener = "active", "the server"
	}
	ports := fmt.Sprint("port ", b.LowPort)
	if b.HighPort != b.LowPort {
		ports = fmt.Sprintf("ports %d-%d", b.LowPort, b.HighPort)
	}
	var s string
	switch b.Packet {
	case correlate.LostSYN:
		s = fmt.Sprintf("%d %s data connection%s (opened by %s): the SYN from %s to %s %s passed %s and never reached %s",
			b.Connections, kind, plural(b.Connections), opener, b.From, b.To, ports, p.name(b.LastSaw), p.name(b.FirstMissed))
	default:
		what := "SYN-ACK"
		if b.Packet == correlate.LostReset {
			what = "reset"
		}
		s = fmt.Sprintf("%d %s data connection%s (opened by %s, from %s to %s %s): the %s came back past %s and never reached %s (the return path)",
			b.Connections, kind, plural(b.Connections), opener, b.From, b.To, ports, what, p.name(b.LastSaw), p.name(b.FirstMissed))
	}
	if b.ForgedResets > 0 {
		s += fmt.Sprintf("; %d answered by a reset forged on the way", b.ForgedResets)
	}
	if len(b.ICMPFrom) > 0 {
		var from []string
		for _, a := range b.ICMPFrom {
			from = append(from, a.String())
		}
		s += "; ICMP errors came from " + strings.Join(from, ", ")
	}
	return s
}

// blocksTable writes the firewall view's located blocks (nothing for a
// run over one point).
func (p *Points) blocksTable(w io.Writer) {
	if p == nil || p.Result == nil {
		return
	}
	bs := p.blocks
	fmt.Fprintf(w, "Blocks located between the capture points (%s):\n", strings.Join(p.Names, " -> "))
	if len(bs) == 0 {
		fmt.Fprintf(w, "  none: no data connection was lost between two points\n\n")
		return
	}
	for _, b := range bs {
		fmt.Fprintf(w, "  between %s and %s: %s\n", p.name(b.LastSaw), p.name(b.FirstMissed), p.BlockText(b))
	}
	fmt.Fprintln(w)
}

type jsonBlock struct {
	Type         string   `json:"type"`
	Between      []string `json:"between"`
	Lost         string   `json:"lost"`
	Mode         string   `json:"mode"`
	From         string   `json:"from"`
	To           string   `json:"to"`
	Ports        []uint16 `json:"ports"`
	Connections  int      `json:"connections"`
	ForgedResets int      `json:"forged_resets"`
	ICMPFrom     []string `json:"icmp_from"`
	Text         string   `json:"text"`
}

// blocksJSON writes one {"type":"block",...} record per located block.
func (p *Points) blocksJSON(w io.Writer) error {
	if p == nil || p.Result == nil {
		return nil
	}
	enc := newJSONEncoder(w)
	for _, b := range p.blocks {
		j := jsonBlock{Type: "block", Between: []string{p.Names[b.LastSaw], p.Names[b.FirstMissed]}, Lost: b.Packet.String(), Mode: "passive",
			From: b.From.String(), To: b.To.String(), Ports: []uint16{b.LowPort, b.HighPort}, Connections: b.Connections,
			ForgedResets: b.ForgedResets, ICMPFrom: []string{}, Text: p.BlockText(b)}
		if b.ServerOpens {
			j.Mode = "active"
		}
		for _, a := range b.ICMPFrom {
			j.ICMPFrom = append(j.ICMPFrom, a.String())
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
}
