package correlate

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// seen describes what one point saw of a data connection.
type seen struct {
	syn, synack, rst bool
	channel          bool // the announcement is in the point's session
}

func channelSeen(m analysis.SetupMethod, s seen) *analysis.Channel {
	if !s.channel {
		return nil
	}
	c := &analysis.Channel{Method: m, Time: t0}
	if s.syn || s.synack || s.rst {
		a := &analysis.Attempt{}
		if s.syn {
			a.SYNs = 1
		}
		if s.synack {
			a.SYNACK = t0
		}
		if s.rst {
			a.RST = t0
		}
		c.Attempts = append(c.Attempts, a)
	}
	return c
}

// TestLocate: where a data connection is lost, for the packets each point
// saw, along the SYN's way (client to server in passive mode, server to
// client in active mode).
func TestLocate(t *testing.T) {
	all := seen{channel: true, syn: true, synack: true}
	syn := seen{channel: true, syn: true}
	none := seen{channel: true}
	for _, tc := range []struct {
		name   string
		method analysis.SetupMethod
		points []seen
		lost   Packet
		last   int
		first  int
		beyond bool
		missed []int
		noSYN  bool
	}{
		{"passive established", analysis.PASV, []seen{all, all}, LostNothing, 0, 0, false, nil, false},
		{"passive SYN dropped between", analysis.PASV, []seen{syn, none}, LostSYN, 0, 1, false, nil, false},
		{"active SYN dropped between", analysis.PORT, []seen{none, syn}, LostSYN, 1, 0, false, nil, false},
		{"return path", analysis.PASV, []seen{syn, all}, LostSYNACK, 1, 0, false, nil, false},
		{"active return path", analysis.EPRT, []seen{all, syn}, LostSYNACK, 0, 1, false, nil, false},
		{"three points, lost after the second", analysis.EPSV, []seen{syn, syn, none}, LostSYN, 1, 2, false, nil, false},
		{"three points, SYN-ACK lost before the first", analysis.PASV, []seen{syn, all, all}, LostSYNACK, 1, 0, false, nil, false},
		{"three points, real reset lost on the way back", analysis.PASV, []seen{syn, {channel: true, syn: true, rst: true}, {channel: true, syn: true, rst: true}}, LostReset, 1, 0, false, nil, false},
		{"no answer at the last point", analysis.PASV, []seen{syn, syn}, LostNothing, 1, 0, true, nil, false},
		{"middle point filtered", analysis.PASV, []seen{all, none, all}, LostNothing, 0, 0, false, []int{1}, false},
		{"never tried", analysis.PASV, []seen{none, none}, LostNothing, 0, 0, false, nil, true},
		{"announcement unseen at one point", analysis.PASV, []seen{syn, {}}, LostNothing, 0, 0, true, nil, false},
		{"announcement unseen in the middle", analysis.PASV, []seen{syn, {}, none}, LostSYN, 0, 2, false, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Path{ServerOpens: tc.method.Mode() == analysis.Active}
			for i, s := range tc.points {
				p.Sightings = append(p.Sightings, sighting(i, channelSeen(tc.method, s)))
			}
			locate(p)
			if p.Lost != tc.lost || p.Beyond != tc.beyond || p.NoSYN != tc.noSYN || fmt.Sprint(p.Missed) != fmt.Sprint(tc.missed) {
				t.Fatalf("lost %v beyond %v noSYN %v missed %v, want %v %v %v %v", p.Lost, p.Beyond, p.NoSYN, p.Missed, tc.lost, tc.beyond, tc.noSYN, tc.missed)
			}
			if (tc.lost != LostNothing || tc.beyond) && p.LastSaw != tc.last {
				t.Errorf("last saw %d, want %d", p.LastSaw, tc.last)
			}
			if tc.lost != LostNothing && p.FirstMissed != tc.first {
				t.Errorf("first missed %d, want %d", p.FirstMissed, tc.first)
			}
		})
	}
}

// TestLocateForgedReset: a reset seen before the point where the SYN was
// lost did not come from the host it names.
func TestLocateForgedReset(t *testing.T) {
	p := &Path{ServerOpens: false}
	p.Sightings = []Sighting{sighting(0, channelSeen(analysis.PASV, seen{channel: true, syn: true, rst: true})), sighting(1, channelSeen(analysis.PASV, seen{channel: true}))}
	locate(p)
	if p.Lost != LostSYN || !p.Sightings[0].Forged {
		t.Fatalf("lost %v, forged %v: want the SYN lost and the reset forged", p.Lost, p.Sightings[0].Forged)
	}
}

// session builds a session with a transcript starting at start.
func session(client, server string, start time.Time, lines ...string) *analysis.Session {
	s := &analysis.Session{Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server), Start: start}
	at := start
	for _, l := range lines {
		at = at.Add(10 * time.Millisecond)
		s.Exchanges = append(s.Exchanges, analysis.Exchange{Time: at, FromClient: l[0] != '<', Text: l[1:]})
	}
	return s
}

func store(name string, ss ...*analysis.Session) *Store {
	st := NewStore(name, nil, StoreConfig{})
	for _, s := range ss {
		st.Add(s)
	}
	return st
}

// shift returns s seen d later, commands d+transit later, replies
// d-transit later, at other addresses.
func shift(s *analysis.Session, client, server string, d, transit time.Duration) *analysis.Session {
	o := *s
	o.Client, o.Server = netip.MustParseAddrPort(client), netip.MustParseAddrPort(server)
	o.Start = s.Start.Add(d + transit)
	o.Exchanges = nil
	for _, e := range s.Exchanges {
		t := e.Time.Add(d + transit)
		if !e.FromClient {
			t = e.Time.Add(d - transit)
		}
		e.Time = t
		if e.FromClient && len(e.Text) > 4 && e.Text[:4] == "PORT" {
			e.Text = "PORT 10,0,2,1,4,1"
		}
		o.Exchanges = append(o.Exchanges, e)
	}
	return &o
}

// TestJoinThroughNATAndClockOffset: sessions whose addresses and PORT
// arguments differ, seen by a point whose clock is 7 s ahead, are joined
// by their transcripts; the offset and the transit are measured; a
// session seen at one point only stays alone; brute-force-like sessions
// with the same transcript go to the one nearest in time.
func TestJoinThroughNATAndClockOffset(t *testing.T) {
	lines := []string{"<220 hi", ">USER a", "<331 pw", ">PASS <hidden>", "<230 ok", ">PORT 10,0,1,2,4,1", "<200 ok", ">LIST", "<425 no"}
	a1 := session("10.0.1.2:1000", "10.0.2.2:21", t0, lines...)
	a2 := session("10.0.1.2:1001", "10.0.2.2:21", t0.Add(time.Second), ">USER b", "<530 no")
	a3 := session("10.0.1.2:1002", "10.0.2.2:21", t0.Add(3*time.Second), ">USER b", "<530 no")
	alone := session("10.0.1.2:1003", "10.0.2.2:21", t0.Add(5*time.Second), ">USER c", "<230 ok", ">QUIT")
	const off, transit = 7 * time.Second, 300 * time.Microsecond
	b1 := shift(a1, "10.0.2.1:1000", "10.0.2.2:21", off, transit)
	b2 := shift(a2, "10.0.2.1:1001", "10.0.2.2:21", off, transit)
	b3 := shift(a3, "10.0.2.1:1002", "10.0.2.2:21", off, transit)
	r := Join([]*Store{store("client", a1, a2, a3, alone), store("server", b3, b1, b2)}, Config{})
	if len(r.Sessions) != 4 {
		t.Fatalf("%d sessions, want 4", len(r.Sessions))
	}
	pairs := map[*analysis.Session]*analysis.Session{a1: b1, a2: b2, a3: b3, alone: nil}
	for _, g := range r.Sessions {
		if want, ok := pairs[g.Seen[0]]; !ok || g.Seen[1] != want {
			t.Errorf("session %v joined with %v", g.Seen[0].Client, g.Seen[1])
		}
	}
	o := r.Offsets[1]
	if !o.Known || (o.Offset-off).Abs() > time.Microsecond || (o.Delay-transit).Abs() > time.Microsecond {
		t.Errorf("offset %v delay %v, want %v and %v", o.Offset, o.Delay, off, transit)
	}
	if r.Only[0] != 1 || r.Only[1] != 0 {
		t.Errorf("only: %v, want [1 0]", r.Only)
	}
	if r.OrderWrong(1) {
		t.Errorf("order judged wrong: agree %v disagree %v", r.OrderAgree, r.OrderDisagree)
	}
	// Given the other way round, the transit comes out negative.
	r = Join([]*Store{store("server", b1, b2, b3), store("client", a1, a2, a3)}, Config{})
	if !r.OrderWrong(1) {
		t.Errorf("reversed order not noticed: agree %v disagree %v", r.OrderAgree, r.OrderDisagree)
	}
}

// TestJoinPartial: a point whose capture began mid-session (its transcript
// lacks the login) is joined by the lines it shares.
func TestJoinPartial(t *testing.T) {
	a := session("10.0.1.2:1000", "10.0.2.2:21", t0, "<220 hi", ">USER a", "<230 ok", ">PASV", "<227 x", ">LIST", "<150 x", "<226 x", ">QUIT", "<221 x")
	b := session("10.0.1.2:1000", "10.0.2.2:21", t0.Add(20*time.Millisecond), ">PASV", "<227 y", ">LIST", "<150 x", "<226 x", ">QUIT", "<221 x")
	r := Join([]*Store{store("client", a), store("server", b)}, Config{})
	if len(r.Sessions) != 1 || r.Sessions[0].HowJoined[1] != JoinedPartial {
		t.Fatalf("%d sessions; want one, joined partially", len(r.Sessions))
	}
}

// TestStoreLimits: past its limits the store hands back its oldest
// sessions and counts them.
func TestStoreLimits(t *testing.T) {
	st := NewStore("p", nil, StoreConfig{MaxSessions: 2})
	var out []*analysis.Session
	ss := []*analysis.Session{session("10.0.1.2:1", "10.0.2.2:21", t0), session("10.0.1.2:2", "10.0.2.2:21", t0), session("10.0.1.2:3", "10.0.2.2:21", t0)}
	for _, s := range ss {
		out = append(out, st.Add(s)...)
	}
	if st.Len() != 2 || st.Evicted != 1 || len(out) != 1 || out[0] != ss[0] {
		t.Fatalf("len %d evicted %d out %d", st.Len(), st.Evicted, len(out))
	}
	st = NewStore("p", nil, StoreConfig{MaxBytes: Cost(ss[0]) + 1})
	for _, s := range ss {
		st.Add(s)
	}
	if st.Len() != 1 || st.Evicted != 2 || st.Bytes() != Cost(ss[2]) {
		t.Fatalf("len %d evicted %d bytes %d", st.Len(), st.Evicted, st.Bytes())
	}
}

// FuzzJoin: whatever the points saw (transcripts of any lines, any times,
// channels of any method with any attempts), the join neither fails nor
// loses or doubles a session: each one is in exactly one record, at its
// own point, and every path has a sighting per point of its record.
func FuzzJoin(f *testing.F) {
	f.Add([]byte("\x00\x01USER a\n\x01\x02230\n"), []byte("\x00\x01USER a\n\x01\x02230\n"), int64(0))
	f.Add([]byte("\x02PASV\n\x05"), []byte(""), int64(5e9))
	f.Fuzz(func(t *testing.T, a, b []byte, off int64) {
		pa, pb := fuzzSessions(a, 0), fuzzSessions(b, time.Duration(off%int64(time.Hour)))
		r := Join([]*Store{store("a", pa...), store("b", pb...)}, Config{MaxFallbackPairs: 1000})
		seen := map[*analysis.Session]int{}
		for _, g := range r.Sessions {
			for i, s := range g.Seen {
				if s != nil {
					seen[s]++
					if (i == 0) != slicesContains(pa, s) {
						t.Fatalf("session of point %d in slot %d", 1-i, i)
					}
				}
			}
			for _, p := range g.Paths {
				if len(p.Sightings) != len(g.Points()) {
					t.Fatalf("%d sightings for %d points", len(p.Sightings), len(g.Points()))
				}
			}
		}
		for _, s := range append(pa, pb...) {
			if seen[s] != 1 {
				t.Fatalf("session in %d records", seen[s])
			}
		}
	})
}

func slicesContains(ss []*analysis.Session, s *analysis.Session) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// fuzzSessions reads sessions from bytes: 0 starts a session, 1 a reply,
// 2 a command line up to \n, 5 a channel (its method and attempt from the
// next bytes).
func fuzzSessions(b []byte, off time.Duration) []*analysis.Session {
	var out []*analysis.Session
	var s *analysis.Session
	at := t0.Add(off)
	for i := 0; i < len(b); i++ {
		at = at.Add(time.Duration(b[i]) * time.Millisecond)
		if s == nil || b[i] == 0 {
			s = &analysis.Session{Client: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(len(out))), Server: netip.MustParseAddrPort("10.0.0.2:21"), Start: at}
			out = append(out, s)
			continue
		}
		switch b[i] % 6 {
		case 1, 2:
			j := i + 1
			for j < len(b) && b[j] != '\n' {
				j++
			}
			s.Exchanges = append(s.Exchanges, analysis.Exchange{Time: at, FromClient: b[i]%6 == 2, Text: string(b[i+1 : j])})
			i = j
		case 5:
			c := &analysis.Channel{Method: analysis.SetupMethod(1 + int(b[i]/6)%6), Time: at}
			if i+1 < len(b) {
				i++
				a := &analysis.Attempt{SYNs: int(b[i] % 3)}
				if b[i]&4 != 0 {
					a.SYNACK = at
				}
				if b[i]&8 != 0 {
					a.RST = at
				}
				c.Attempts = append(c.Attempts, a)
			}
			s.Channels = append(s.Channels, c)
		}
	}
	return out
}

// TestJoinBySequence: two connections with one transcript and one client
// port (NAT reused it), the wrong one nearer in time: the client's ISN,
// which NAT keeps, joins each with its own.
func TestJoinBySequence(t *testing.T) {
	lines := []string{"<220 hi", ">USER a", "<530 no"}
	a1 := session("10.0.1.2:1000", "10.0.2.2:21", t0, lines...)
	a2 := session("10.0.1.2:1000", "10.0.2.2:21", t0.Add(100*time.Millisecond), lines...)
	a1.ClientTrace.SYN, a1.ClientTrace.ISN = true, 111
	a2.ClientTrace.SYN, a2.ClientTrace.ISN = true, 222
	b1 := shift(a1, "10.0.2.1:1000", "10.0.2.2:21", 90*time.Millisecond, 0)
	b2 := shift(a2, "10.0.2.1:1000", "10.0.2.2:21", 90*time.Millisecond, 0)
	// b1 starts at 90 ms, nearer a2 (100 ms) than a1 (0 ms).
	r := Join([]*Store{store("client", a1, a2), store("server", b1, b2)}, Config{})
	for _, g := range r.Sessions {
		if g.Seen[1] == nil || g.Seen[0].ClientTrace.ISN != g.Seen[1].ClientTrace.ISN || g.HowJoined[1] != JoinedSequence {
			t.Fatalf("ISN %d joined with %+v (%v)", g.Seen[0].ClientTrace.ISN, g.Seen[1], g.HowJoined)
		}
	}
}
