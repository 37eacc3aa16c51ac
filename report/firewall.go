package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ftpscope/ftpscope/analysis"
)

// firewallWriter collects, per server, what a firewall must let through and
// renders that view (and the suggested rules) before the totals.
type firewallWriter struct {
	inner    Writer
	sessions bool
	format   Format
	w        io.Writer
	book     *analysis.FirewallBook
	// points is the join of a run over capture points (nil otherwise):
	// the view then says between which points each block lies.
	points *Points
}

// WithFirewall returns a Writer that adds the per-server firewall view to
// inner's output: a table section per server, or one {"type":"firewall",...}
// JSON record per server, written before inner's totals. With sessions false
// the per-session output of inner is left out and only the firewall view and
// the totals remain. Formats other than table and JSON are refused.
func WithFirewall(inner Writer, f Format, w io.Writer, sessions bool) (Writer, error) {
	return WithFirewallAt(inner, f, w, sessions, nil)
}

// WithFirewallAt is WithFirewall for a run over several capture points
// (pts, nil for one): the view adds the blocks located between the points,
// which hop lost what.
func WithFirewallAt(inner Writer, f Format, w io.Writer, sessions bool, pts *Points) (Writer, error) {
	if f != Table && f != JSON {
		return nil, fmt.Errorf("the firewall view is rendered as table or json, not %s", f)
	}
	return &firewallWriter{inner: inner, sessions: sessions, format: f, w: w, book: analysis.NewFirewallBook(0), points: pts}, nil
}

func (fw *firewallWriter) Session(s *analysis.Session) error {
	fw.book.Add(s)
	if fw.sessions {
		return fw.inner.Session(s)
	}
	return nil
}

func (fw *firewallWriter) Channel(s *analysis.Session, c *analysis.Channel) error {
	if fw.sessions {
		return fw.inner.Channel(s, c)
	}
	return nil
}

// Notice passes a notice on when the sessions are written too.
func (fw *firewallWriter) Notice(s *analysis.Session, n *analysis.Notice) error {
	if fw.sessions {
		return fw.inner.Notice(s, n)
	}
	return nil
}

// Flush passes a flush on to the inner writer.
func (fw *firewallWriter) Flush() error { return fw.inner.Flush() }

func (fw *firewallWriter) Close(sum Summary) error {
	// Whatever inner buffered goes out first, so the view lands before the totals.
	if err := fw.Flush(); err != nil {
		return err
	}
	// The whole view is one record, handed to fw.w in one Write.
	rec := newRecordWriter(fw.w, 64<<10, false)
	bw := bufio.NewWriterSize(rec, 64<<10)
	var err error
	if fw.format == JSON {
		err = firewallJSON(bw, fw.book)
		if err == nil {
			err = fw.points.blocksJSON(bw)
		}
	} else {
		err = firewallTable(bw, fw.book)
		if err == nil {
			fw.points.blocksTable(bw)
		}
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := rec.Flush(); err != nil {
		return err
	}
	return fw.inner.Close(sum)
}

type jsonFWPassive struct {
	Channels int    `json:"channels"`
	Range    string `json:"range"`
	Low      int    `json:"low,omitempty"`
	High     int    `json:"high,omitempty"`
}

type jsonFWActive struct {
	Channels   int    `json:"channels"`
	SourcePort string `json:"source_port"`
	From20     int    `json:"from_20"`
	Ephemeral  int    `json:"ephemeral"`
}

type jsonSuggestion struct {
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

type jsonFirewall struct {
	Type             string           `json:"type"`
	Server           string           `json:"server"`
	ControlPorts     []int            `json:"control_ports"`
	Sessions         int              `json:"sessions"`
	TLSSessions      int              `json:"tls_sessions"`
	Methods          map[string]int   `json:"methods"`
	EPSV             bool             `json:"epsv"`
	EPRT             bool             `json:"eprt"`
	Passive          jsonFWPassive    `json:"passive"`
	Active           jsonFWActive     `json:"active"`
	BlockedActive    int              `json:"blocked_active"`
	BlockedPassive   int              `json:"blocked_passive"`
	BlockedRange     string           `json:"blocked_passive_range"`
	PrivateAnnounced []string         `json:"private_announced"`
	ClientNAT        int              `json:"client_nat"`
	First            string           `json:"first"`
	Last             string           `json:"last"`
	Suggestions      []jsonSuggestion `json:"suggestions"`
}

func firewallRecord(p *analysis.ServerProfile) jsonFirewall {
	j := jsonFirewall{
		Type: "firewall", Server: p.Server.String(), ControlPorts: []int{},
		Sessions: p.Sessions, TLSSessions: p.TLSSessions, Methods: map[string]int{},
		EPSV: p.Methods[analysis.EPSV] > 0, EPRT: p.Methods[analysis.EPRT] > 0,
		Passive: jsonFWPassive{Channels: p.PassiveChannels, Range: p.PassiveRange()},
		Active: jsonFWActive{Channels: p.ActiveChannels, SourcePort: p.ActiveSource(),
			From20: p.ActiveFrom20, Ephemeral: p.ActiveEphemeral},
		BlockedActive: p.BlockedActive, BlockedPassive: p.BlockedPassive, BlockedRange: p.BlockedRange(),
		PrivateAnnounced: []string{}, ClientNAT: p.ClientNAT,
		First: stamp(p.First), Last: stamp(p.Last), Suggestions: []jsonSuggestion{},
	}
	if p.PassiveChannels > 0 {
		j.Passive.Low, j.Passive.High = int(p.PassiveLow), int(p.PassiveHigh)
	}
	for _, port := range p.ControlPorts {
		j.ControlPorts = append(j.ControlPorts, int(port))
	}
	for m := analysis.PORT; m <= analysis.LPSV; m++ {
		if p.Methods[m] > 0 {
			j.Methods[m.String()] = p.Methods[m]
		}
	}
	for _, a := range p.PrivateAnnounced {
		j.PrivateAnnounced = append(j.PrivateAnnounced, a.String())
	}
	for _, s := range Suggestions(p) {
		j.Suggestions = append(j.Suggestions, jsonSuggestion{Kind: s.Kind, Title: s.Title, Text: s.Text})
	}
	return j
}

func firewallJSON(w io.Writer, b *analysis.FirewallBook) error {
	enc := newJSONEncoder(w)
	for _, p := range b.Profiles() {
		if err := enc.Encode(firewallRecord(p)); err != nil {
			return err
		}
	}
	return nil
}

func methodCounts(p *analysis.ServerProfile, ms ...analysis.SetupMethod) string {
	var parts []string
	for _, m := range ms {
		if p.Methods[m] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", m, p.Methods[m]))
		}
	}
	return strings.Join(parts, ", ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func firewallTable(w *bufio.Writer, b *analysis.FirewallBook) error {
	profiles := b.Profiles()
	if len(profiles) == 0 {
		fmt.Fprintf(w, "Firewall view: no FTP server seen\n\n")
	}
	for _, p := range profiles {
		fmt.Fprintf(w, "Firewall view: server %s (%d session%s, %s to %s)\n", p.Server, p.Sessions, plural(p.Sessions), stamp(p.First), stamp(p.Last))
		g := newGrid(w)
		g.Header("What", "Seen")
		var ports []string
		for _, port := range p.ControlPorts {
			ports = append(ports, strconv.Itoa(int(port)))
		}
		passive := "none seen"
		if p.PassiveChannels > 0 {
			passive = fmt.Sprintf("%s (%d channel%s: %s)", p.PassiveRange(), p.PassiveChannels, plural(p.PassiveChannels), methodCounts(p, analysis.PASV, analysis.EPSV, analysis.LPSV))
		}
		active := "none seen"
		if p.ActiveChannels > 0 {
			src := map[string]string{"": "no connection seen", "20": "from port 20", "ephemeral": "from ephemeral ports",
				"20 and ephemeral": "from port 20 and ephemeral ports"}[p.ActiveSource()]
			active = fmt.Sprintf("%s (%d channel%s: %s)", src, p.ActiveChannels, plural(p.ActiveChannels), methodCounts(p, analysis.PORT, analysis.EPRT, analysis.LPRT))
		}
		rows := [][]string{
			{"Control port", strings.Join(ports, ", ")},
			{"Passive ports", passive},
			{"Active source port", active},
			{"EPSV / EPRT", yesNo(p.Methods[analysis.EPSV] > 0) + " / " + yesNo(p.Methods[analysis.EPRT] > 0)},
			{"TLS", fmt.Sprintf("%d of %d session%s", p.TLSSessions, p.Sessions, plural(p.Sessions))},
			{"Blocked", blockedText(p)},
		}
		if len(p.PrivateAnnounced) > 0 {
			var as []string
			for _, a := range p.PrivateAnnounced {
				as = append(as, a.String())
			}
			rows = append(rows, []string{"NAT", "passive replies announce " + strings.Join(as, ", ") + " (private)"})
		}
		if p.ClientNAT > 0 {
			rows = append(rows, []string{"Client NAT", fmt.Sprintf("%d PORT/EPRT naming an address that is not the client's", p.ClientNAT)})
		}
		for _, r := range rows {
			if err := appendRow(g, r...); err != nil {
				return fmt.Errorf("table row: %w", err)
			}
		}
		if err := g.Render(); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
		fmt.Fprintf(w, "Suggested rules and settings for %s:\n", p.Server)
		for _, s := range Suggestions(p) {
			fmt.Fprintf(w, "  %s\n", s.Title)
			for _, line := range strings.Split(strings.TrimRight(s.Text, "\n"), "\n") {
				// The table goes through the terminal escaping, which writes
				// a TAB as \x09 (it belongs to no wire string here, but the
				// escaping cannot tell): indent with spaces, so the snippet
				// pastes as it reads.
				fmt.Fprintf(w, "    %s\n", strings.ReplaceAll(line, "\t", "    "))
			}
		}
		fmt.Fprintln(w)
	}
	if b.Evicted > 0 {
		fmt.Fprintf(w, "Firewall view limited: %d server(s) not profiled to keep memory bounded.\n\n", b.Evicted)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func blockedText(p *analysis.ServerProfile) string {
	t := fmt.Sprintf("%d active, %d passive", p.BlockedActive, p.BlockedPassive)
	if r := p.BlockedRange(); r != "" {
		t += " (passive ports " + r + ")"
	}
	return t
}
