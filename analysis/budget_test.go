package analysis

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/ftpscope/ftpscope/reassembly"
)

// TestCutUTF8: a stored wire string is cut on a UTF-8 boundary, and bytes
// that are not UTF-8 are cut where the limit falls.
func TestCutUTF8(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		max  int
		want string
	}{
		{"short", "abc", 8, "abc"},
		{"exact", "abcd", 4, "abcd"},
		{"ascii", "abcdef", 4, "abcd"},
		{"before two-byte rune", "abcé", 4, "abc"},
		{"after two-byte rune", "abéd", 4, "abé"},
		{"inside three-byte rune", "ab€", 4, "ab"},
		{"inside four-byte rune", "a😀b", 3, "a"},
		{"four-byte rune ends at cut", "a😀b", 5, "a😀"},
		{"continuation bytes only", "\x80\x80\x80\x80\x80\x80", 4, "\x80\x80\x80\x80"},
		{"invalid lead byte", "ab\xffcd", 3, "ab\xff"},
		{"truncated rune in input", "ab\xe2\x82cd", 3, "ab\xe2"},
	} {
		if got := cutUTF8(tc.s, tc.max); got != tc.want {
			t.Errorf("%s: cutUTF8(%q, %d) = %q, want %q", tc.name, tc.s, tc.max, got, tc.want)
		}
	}
}

// TestStoredArguments: the wire strings a session keeps from the client
// (transfer arguments, user name, password when shown, a malformed
// argument quoted in a note) are cut to StoredMax bytes on a UTF-8
// boundary, with their full length beside them (issue 12 item 3).
func TestStoredArguments(t *testing.T) {
	long := strings.Repeat("é", 3000) // 6000 bytes, two per rune
	h := newHarness(t, "192.0.2.10:40000", "198.51.100.1:21", Config{ShowPasswords: true})
	h.rep(0, "220 ready")
	h.cmd(1, "USER "+long)
	h.rep(1.1, "331 password please")
	h.cmd(2, "PASS "+long)
	h.rep(2.1, "230 logged in")
	h.cmd(3, "PASV")
	h.rep(3.1, "227 Entering Passive Mode (198,51,100,1,195,80).")
	h.cmd(4, "RETR "+long)
	h.rep(4.1, "425 no connection")
	h.cmd(5, "PORT "+long)
	h.rep(5.1, "501 bad")
	s := h.finish(10)
	for _, f := range []struct {
		what string
		got  string
		n    int
	}{{"user", s.User, int(s.UserLen)}, {"password", s.Password, int(s.PasswordLen)}, {"argument", s.Channels[0].Argument, s.Channels[0].ArgumentLen}} {
		if len(f.got) > StoredMax || !utf8.ValidString(f.got) || !strings.HasPrefix(long, f.got) || len(f.got) < StoredMax-1 {
			t.Errorf("%s: kept %d bytes (valid UTF-8 %v), want a UTF-8 prefix of at most %d", f.what, len(f.got), utf8.ValidString(f.got), StoredMax)
		}
		if f.n != len(long) {
			t.Errorf("%s: length %d, want %d", f.what, f.n, len(long))
		}
	}
	var malformed *Note
	for i := range s.Notes {
		if s.Notes[i].What == NoteMalformedArgument {
			malformed = &s.Notes[i]
		}
	}
	if malformed == nil || len(malformed.Wire) > StoredMax || !malformed.Cut {
		t.Errorf("malformed-argument note %+v: want its argument cut to %d bytes and marked cut", malformed, StoredMax)
	}
	if got := h.a.Stats().LongArguments; got != 4 {
		t.Errorf("%d long arguments counted, want 4 (user, password, RETR, PORT)", got)
	}
}

// budgetRun feeds n sessions that each ask for transfers RETRs in turn
// (PASV, 227, RETR with a long name, 226), all open at once, through an
// Analyzer with the given budget, and returns what it wrote.
func budgetRun(t *testing.T, maxMemory int64, n, transfers int) (Stats, []*Session) {
	t.Helper()
	var out []*Session
	a := New(Config{MaxMemory: maxMemory}, Sink{Session: func(s *Session) { out = append(out, s) }})
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	keys := make([]reassembly.ConnKey, n)
	for i := range keys {
		keys[i] = reassembly.ConnKey{
			Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 40000),
			Server: netip.MustParseAddrPort("198.51.100.1:21"),
		}
		a.Open(keys[i], t0, false)
		a.Line(reassembly.Line{Conn: keys[i], From: reassembly.RoleServer, Time: t0, Text: []byte("220 ready")})
	}
	name := strings.Repeat("n", 1000)
	at := t0
	line := func(k reassembly.ConnKey, from reassembly.Role, text string) {
		a.Line(reassembly.Line{Conn: k, From: from, Time: at, Text: []byte(text)})
	}
	for r := range transfers {
		for _, k := range keys {
			at = at.Add(10 * time.Millisecond)
			line(k, reassembly.RoleClient, "PASV")
			line(k, reassembly.RoleServer, "227 Entering Passive Mode (198,51,100,1,195,80).")
			line(k, reassembly.RoleClient, fmt.Sprintf("RETR %d/%s", r, name))
			line(k, reassembly.RoleServer, "226 done")
			a.Advance(at)
		}
	}
	a.Finish(at.Add(time.Second))
	if a.used != 0 || a.judged.live != 0 {
		t.Errorf("after every session was written: %d bytes still counted, %d judged channels queued", a.used, a.judged.live)
	}
	return a.Stats(), out
}

// TestMemoryBudget: past Config.MaxMemory the oldest judged channels leave
// the listings, the counted bytes stay under the budget, every verdict is
// still counted, and the same input gives the same output (issue 12 item 3).
func TestMemoryBudget(t *testing.T) {
	const n, transfers = 20, 200
	free, _ := budgetRun(t, 1<<40, n, transfers)
	if free.BudgetChannels != 0 || free.BudgetSessions != 0 {
		t.Fatalf("with room to spare: %d channels and %d sessions shed", free.BudgetChannels, free.BudgetSessions)
	}
	const budget = 1 << 20 // about 700 channels of ~1.5 KiB
	st, out := budgetRun(t, budget, n, transfers)
	if st.BudgetChannels == 0 || st.BudgetSessions != 0 {
		t.Errorf("%d channels unlisted and %d sessions evicted; want channels unlisted, no session evicted", st.BudgetChannels, st.BudgetSessions)
	}
	if st.Channels != n*transfers || st.Verdicts[NotSeen] != n*transfers {
		t.Errorf("%d channels, %d not-seen; every channel must still be judged and counted (%d)", st.Channels, st.Verdicts[NotSeen], n*transfers)
	}
	listed, dropped := 0, 0
	for _, s := range out {
		listed += len(s.Channels)
		dropped += s.ChannelsDropped
		for _, ch := range s.Channels {
			if ch.cost != 0 || ch.jpos != 0 {
				t.Fatalf("a written channel still counted (%d) or queued (%d)", ch.cost, ch.jpos)
			}
		}
	}
	if uint64(dropped) != st.BudgetChannels || listed+dropped != n*transfers {
		t.Errorf("%d listed + %d dropped, %d unlisted for the budget; want %d in all", listed, dropped, st.BudgetChannels, n*transfers)
	}
	if max := budget / channelCost; listed > int(max) {
		t.Errorf("%d channels listed at the end, more than the budget holds (%d)", listed, max)
	}
	again, out2 := budgetRun(t, budget, n, transfers)
	if again != st || len(out2) != len(out) {
		t.Fatalf("second run differs: %+v\nwant %+v", again, st)
	}
	for i := range out {
		if len(out[i].Channels) != len(out2[i].Channels) || out[i].ChannelsDropped != out2[i].ChannelsDropped {
			t.Fatalf("session %d: %d listed / %d dropped, then %d / %d", i, len(out[i].Channels), out[i].ChannelsDropped, len(out2[i].Channels), out2[i].ChannelsDropped)
		}
	}
}

// TestMemoryBudgetSessions: when what is over the budget is sessions with
// nothing judged to give back, the least recently active sessions are
// evicted, counted, and the count of bytes comes back to zero once every
// session is written.
func TestMemoryBudgetSessions(t *testing.T) {
	var out []*Session
	a := New(Config{MaxMemory: 40 * sessionCost}, Sink{Session: func(s *Session) { out = append(out, s) }})
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for i := range 100 {
		k := reassembly.ConnKey{Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 40000), Server: netip.MustParseAddrPort("198.51.100.1:21")}
		a.Open(k, t0.Add(time.Duration(i)*time.Millisecond), false)
	}
	st := a.Stats()
	if st.BudgetSessions == 0 || a.OpenSessions() > 40 || a.used > a.cfg.MaxMemory {
		t.Errorf("%d sessions evicted, %d open, %d bytes counted (budget %d)", st.BudgetSessions, a.OpenSessions(), a.used, a.cfg.MaxMemory)
	}
	for i, s := range out {
		if s.Closed != "evicted" || s.Client.Addr().As4()[3] != byte(i) {
			t.Fatalf("evicted session %d: %s closed %q; want the oldest first, closed evicted", i, s.Client, s.Closed)
		}
	}
	a.Finish(t0.Add(time.Second))
	if a.used != 0 {
		t.Errorf("%d bytes still counted after every session was written", a.used)
	}
}

// TestHeldSizes: what is held per open control connection stays in the
// allocator's size classes it was packed for (issue 11 item 5: at most 1 KiB
// per open control connection, everything included). A field added to
// Session or sessionState must find room, or this budget is revised on
// purpose.
func TestHeldSizes(t *testing.T) {
	for _, tc := range []struct {
		what      string
		size, max uintptr
	}{
		{"Session", unsafe.Sizeof(Session{}), 416},
		{"sessionState", unsafe.Sizeof(sessionState{}), 144},
		{"lintState", unsafe.Sizeof(lintState{}), 16},
		{"CommandRecord", unsafe.Sizeof(CommandRecord{}), 80}, // one per logged command
	} {
		if tc.size > tc.max {
			t.Errorf("%s is %d bytes, more than its %d", tc.what, tc.size, tc.max)
		}
	}
}

// TestBudgetFollowsHeap: what the budget counts for an open control
// connection (greeting read, USER awaiting its reply) stays near what the
// heap really holds for it, with and without the login and command log.
// Counted far above the heap, a run sheds sessions its memory could hold
// (the million-session case of make hostile did, at 824 B counted against
// about 600 held); far below, the budget no longer bounds the heap.
func TestBudgetFollowsHeap(t *testing.T) {
	const n = 20000
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	srv := netip.MustParseAddrPort("198.51.100.1:21")
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, audit := range []bool{false, true} {
		before := heap()
		a := New(Config{MaxSessions: n, MaxMemory: 1 << 40, NoTranscript: true, Audit: audit}, Sink{Session: func(*Session) {}})
		for i := range n {
			k := reassembly.ConnKey{Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 40000), Server: srv}
			at := t0.Add(time.Duration(i) * time.Millisecond)
			a.Open(k, at, false)
			a.Line(reassembly.Line{Conn: k, From: reassembly.RoleServer, Time: at, Text: []byte("220 (vsFTPd 3.0.3)")})
			a.Line(reassembly.Line{Conn: k, From: reassembly.RoleClient, Time: at, Text: []byte(fmt.Sprintf("USER u%05d", i))})
		}
		held := float64(heap()-before) / n
		counted := float64(a.used) / n
		if counted < 0.9*held || counted > 1.3*held {
			t.Errorf("audit %v: %.0f B counted per open session, %.0f B held on the heap; want the count within 0.9–1.3× the heap", audit, counted, held)
		}
		t.Logf("audit %v: %.0f B counted, %.0f B held per open session", audit, counted, held)
		runtime.KeepAlive(a)
	}
}

// TestSessionCostByFamily: a session between IPv4 hosts is counted with
// its compact map slots, one with an IPv6 end with the general ones.
func TestSessionCostByFamily(t *testing.T) {
	a := New(Config{}, Sink{Session: func(*Session) {}})
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	a.Open(reassembly.ConnKey{Client: netip.MustParseAddrPort("192.0.2.1:40000"), Server: netip.MustParseAddrPort("198.51.100.1:21")}, t0, false)
	if a.used != sessionCost {
		t.Errorf("IPv4 session counted %d B, want %d", a.used, sessionCost)
	}
	a.Open(reassembly.ConnKey{Client: netip.MustParseAddrPort("[2001:db8::1]:40000"), Server: netip.MustParseAddrPort("[2001:db8::21]:21")}, t0, false)
	if got := a.used - sessionCost; got != sessionCost6 {
		t.Errorf("IPv6 session counted %d B, want %d", got, sessionCost6)
	}
}
