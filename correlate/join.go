package correlate

import (
	"hash/maphash"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
)

// Config tunes the join.
type Config struct {
	// Window is how far apart, once the clock offset is taken out, two
	// sightings of one control connection may start (default 2 s): the
	// transit between two points is far shorter, but a point whose capture
	// began late sees the connection start later.
	Window time.Duration
	// MaxFallbackPairs caps the pairs of sessions compared line by line
	// when their transcripts differ (a point that saw only part of one),
	// so that the join's cost stays bounded (default 100000).
	MaxFallbackPairs int
}

func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = 2 * time.Second
	}
	if c.MaxFallbackPairs <= 0 {
		c.MaxFallbackPairs = 100000
	}
	// Each pair costs at most lcsLines² comparisons: 100000 pairs are
	// about 4e8, a second or two.
	return c
}

// Session is one control connection as every point saw it.
type Session struct {
	// Seen holds, per point in path order, that point's session (nil
	// where the point did not see it).
	Seen []*analysis.Session
	// Primary is the index of the point whose session the record is
	// written from: the first, in path order, that saw it.
	Primary int
	// Paths follow Seen[Primary].Channels: each channel along the path.
	Paths []*Path
	// Rewrites lists what differs between two adjacent sightings: the
	// control connection's addresses and the announcements.
	Rewrites []Rewrite
	// HowJoined says what joined the sightings (JoinedBy*), per point
	// (zero for the primary and for points that did not see it).
	HowJoined []JoinedBy
	// Evicted says the session left its point's store before the join
	// and is reported alone.
	Evicted bool
}

// JoinedBy says what matched a point's session to the others.
type JoinedBy uint8

// How sightings are joined.
const (
	// JoinedNone: the primary, or not seen.
	JoinedNone JoinedBy = iota
	// JoinedTranscript: the same commands and replies in the same order.
	JoinedTranscript
	// JoinedPartial: a transcript sharing most of its lines (a point
	// that saw only part of the connection).
	JoinedPartial
	// JoinedSequence: the same transcript and the same initial sequence
	// number of the client's SYN.
	JoinedSequence
)

// String names the way.
func (j JoinedBy) String() string {
	switch j {
	case JoinedTranscript:
		return "transcript"
	case JoinedPartial:
		return "partial-transcript"
	case JoinedSequence:
		return "transcript-and-sequence"
	}
	return ""
}

// Points lists the indexes of the points that saw the session.
func (s *Session) Points() []int {
	var out []int
	for i, x := range s.Seen {
		if x != nil {
			out = append(out, i)
		}
	}
	return out
}

// Offset is a point's clock against the first point's.
type Offset struct {
	// Offset is what to subtract from the point's times to get the first
	// point's clock (zero for the first point); Known says it was measured.
	Offset time.Duration
	Known  bool
	// Delay is the one-way transit from the previous point, measured with
	// the offset (commands go one way, replies the other).
	Delay time.Duration
	// Samples counts the matched control lines it was measured from.
	Samples int
}

// Result is the whole join.
type Result struct {
	// Names are the points, in path order.
	Names []string
	// Sessions are the joined control connections, by their first
	// sighting's start on the first point's clock.
	Sessions []*Session
	// Offsets are per point.
	Offsets []Offset
	// OrderVotes counts, per point after the first, the matched sessions
	// whose TTLs and transit agree with the given order against those that
	// disagree (OrderWrong says the latter win).
	OrderAgree, OrderDisagree []int
	// Only counts, per point, the sessions no other point saw.
	Only []int
	// FallbackCapped is set when MaxFallbackPairs stopped the line-by-line
	// comparison: some sessions may be left unjoined.
	FallbackCapped bool
	// DataSeen counts, per point, the joined channels whose data
	// connection the point saw (a SYN or the connection): a point that
	// saw none while others did may have been captured with a filter
	// (control port only), and a loss located before it is then no
	// finding.
	DataSeen []int
}

// OrderWrong reports whether the packets say point i (i >= 1) lies before
// point i-1 on the path rather than after it.
func (r *Result) OrderWrong(i int) bool {
	return i > 0 && i < len(r.OrderDisagree) && r.OrderDisagree[i] > r.OrderAgree[i]
}

// Join matches the stores' sessions, points in path order (client side
// first).
func Join(points []*Store, cfg Config) *Result {
	cfg = cfg.withDefaults()
	n := len(points)
	r := &Result{Offsets: make([]Offset, n), OrderAgree: make([]int, n), OrderDisagree: make([]int, n), Only: make([]int, n)}
	for _, p := range points {
		r.Names = append(r.Names, p.Name)
	}
	if n == 0 {
		return r
	}
	r.Offsets[0].Known = true
	var groups []*Session
	for _, s := range points[0].Sessions() {
		g := &Session{Seen: make([]*analysis.Session, n), HowJoined: make([]JoinedBy, n)}
		g.Seen[0] = s
		groups = append(groups, g)
	}
	seed := maphash.MakeSeed()
	for k := 1; k < n; k++ {
		groups = joinPoint(groups, k, points[k].Sessions(), r, cfg, seed)
	}
	for _, g := range groups {
		for i, s := range g.Seen {
			if s != nil {
				g.Primary = i
				break
			}
		}
		if len(g.Points()) == 1 {
			r.Only[g.Primary]++
		}
	}
	sort.SliceStable(groups, func(i, j int) bool {
		return r.start(groups[i]).Before(r.start(groups[j]))
	})
	r.DataSeen = make([]int, n)
	for _, g := range groups {
		if len(g.Points()) < 2 {
			// Seen at one point: there is no path to follow.
			continue
		}
		g.Paths = paths(g, r, cfg)
		g.Rewrites = rewrites(g)
		for _, p := range g.Paths {
			for _, s := range p.Sightings {
				if s.sawSYN() {
					r.DataSeen[s.Point]++
				}
			}
		}
	}
	r.Sessions = groups
	return r
}

// start is the group's first sighting's start on the first point's clock.
func (r *Result) start(g *Session) time.Time {
	for i, s := range g.Seen {
		if s != nil {
			return s.Start.Add(-r.Offsets[i].Offset)
		}
	}
	return time.Time{}
}

// rep is a group's latest sighting before point k, to match point k
// against.
type rep struct {
	g     *Session
	point int
	s     *analysis.Session
	// start is the sighting's start on the first point's clock.
	start time.Time
	sig   uint64
	// toks are its tokens, made when first compared line by line.
	toks []tok
}

// joinPoint matches point k's sessions to the groups of the points before
// it and returns the groups with point k's unmatched sessions added.
func joinPoint(groups []*Session, k int, sessions []*analysis.Session, r *Result, cfg Config, seed maphash.Seed) []*Session {
	reps := make([]rep, 0, len(groups))
	for _, g := range groups {
		for i := k - 1; i >= 0; i-- {
			if s := g.Seen[i]; s != nil {
				reps = append(reps, rep{g: g, point: i, s: s, start: s.Start.Add(-r.Offsets[i].Offset), sig: signature(s, seed)})
				break
			}
		}
	}
	sigs := make([]uint64, len(sessions))
	for i, s := range sessions {
		sigs[i] = signature(s, seed)
	}
	// A first offset from sessions whose transcript is unique at both
	// ends: clocks that disagree by seconds would put every session
	// outside the window.
	rough, ok := roughOffset(reps, sessions, sigs)
	byStart := make([]int, len(reps))
	for i := range byStart {
		byStart[i] = i
	}
	sort.Slice(byStart, func(a, b int) bool { return reps[byStart[a]].start.Before(reps[byStart[b]].start) })
	taken := make([]bool, len(reps))
	matched := make([]int, len(sessions)) // rep index + 1
	// Pass 1: the same transcript, nearest in time (ports break ties: NAT
	// usually keeps the client's port).
	order := make([]int, len(sessions))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return sessions[order[a]].Start.Before(sessions[order[b]].Start) })
	idx := newSigIndex(reps, byStart)
	for _, i := range order {
		s := sessions[i]
		if j := idx.nearest(sigs[i], s, s.Start.Add(-rough), cfg.Window); j >= 0 {
			idx.take(j)
			taken[j], matched[i] = true, j+1
			reps[j].g.HowJoined[k] = JoinedTranscript
			if sameISN(reps[j].s, s) {
				reps[j].g.HowJoined[k] = JoinedSequence
			}
		}
	}
	// Pass 2: transcripts that share most lines (one point saw part).
	pairs := 0
	for _, i := range order {
		if matched[i] != 0 {
			continue
		}
		s := sessions[i]
		mine := tokens(s)
		best, bestScore := -1, 0
		lo := sort.Search(len(byStart), func(x int) bool {
			return !reps[byStart[x]].start.Before(s.Start.Add(-rough - 2*cfg.Window))
		})
		for x := lo; x < len(byStart); x++ {
			j := byStart[x]
			if reps[j].start.After(s.Start.Add(-rough + 2*cfg.Window)) {
				break
			}
			if taken[j] || !sameService(reps[j].s, s) {
				continue
			}
			if pairs >= cfg.MaxFallbackPairs {
				r.FallbackCapped = true
				break
			}
			pairs++
			if reps[j].toks == nil {
				reps[j].toks = tokens(reps[j].s)
			}
			a, b := reps[j].toks, mine
			sc := lcs(a, b)
			if sc >= 2 && 2*sc >= min(len(a), len(b)) && sc > bestScore {
				best, bestScore = j, sc
			}
		}
		if best >= 0 {
			taken[best], matched[i] = true, best+1
			reps[best].g.HowJoined[k] = JoinedPartial
		}
	}
	// The offset from the matched control lines, and the order check.
	measure(reps, sessions, matched, k, r, rough, ok)
	for i, s := range sessions {
		if matched[i] != 0 {
			reps[matched[i]-1].g.Seen[k] = s
			continue
		}
		g := &Session{Seen: make([]*analysis.Session, len(r.Names)), HowJoined: make([]JoinedBy, len(r.Names))}
		g.Seen[k] = s
		groups = append(groups, g)
	}
	return groups
}

// sameService says two sightings could be one control connection: the
// server's port is the same (NAT rewrites addresses; a port forward that
// also moves the port is matched by transcript alone).
func sameService(a, b *analysis.Session) bool {
	return a.Server.Port() == b.Server.Port() || a.Client.Port() == b.Client.Port()
}

// sigIndex finds, among the reps not yet taken, the one with a given
// transcript that starts nearest a time, preferring the same client port.
// Lists per transcript and per transcript and port, sorted by start, with
// skip pointers over the taken entries (union-find), so that thousands of
// sessions with one transcript (a brute-force run) cost no scan of those
// already joined.
type sigIndex struct {
	reps   []rep
	bySig  map[uint64]*timeList
	byPort map[sigPort]*timeList
	byISN  map[sigISN]*timeList
	// pos is each rep's place in its transcript's, its port's and its
	// client ISN's list (-1: none).
	pos, ppos, ipos []int
}

type sigISN struct {
	sig uint64
	isn uint32
}

// sameISN says both sightings saw the client's SYN with one ISN.
func sameISN(a, b *analysis.Session) bool {
	return a.ClientTrace.SYN && b.ClientTrace.SYN && a.ClientTrace.ISN == b.ClientTrace.ISN
}

type sigPort struct {
	sig  uint64
	port uint16
}

// timeList is reps sorted by start; next and prev skip taken entries.
type timeList struct {
	idx        []int
	next, prev []int
}

func (l *timeList) add(j int) {
	l.idx = append(l.idx, j)
	l.next = append(l.next, len(l.next))
	l.prev = append(l.prev, len(l.prev))
}

// free returns the first untaken entry at or after x (len when none).
func (l *timeList) free(x int) int {
	if x >= len(l.idx) {
		return len(l.idx)
	}
	root := x
	for root < len(l.idx) && l.next[root] != root {
		root = l.next[root]
	}
	for x < len(l.idx) && l.next[x] != x {
		x, l.next[x] = l.next[x], root
	}
	return root
}

// freeBefore returns the last untaken entry at or before x (-1 when none).
func (l *timeList) freeBefore(x int) int {
	if x < 0 {
		return -1
	}
	root := x
	for root >= 0 && l.prev[root] != root {
		root = l.prev[root]
	}
	for x >= 0 && l.prev[x] != x {
		x, l.prev[x] = l.prev[x], root
	}
	return root
}

func (l *timeList) take(x int) { l.next[x], l.prev[x] = x+1, x-1 }

func newSigIndex(reps []rep, byStart []int) *sigIndex {
	ix := &sigIndex{reps: reps, bySig: map[uint64]*timeList{}, byPort: map[sigPort]*timeList{}, byISN: map[sigISN]*timeList{},
		pos: make([]int, len(reps)), ppos: make([]int, len(reps)), ipos: make([]int, len(reps))}
	for _, j := range byStart {
		ix.ipos[j] = -1
		if ct := reps[j].s.ClientTrace; ct.SYN {
			k := sigISN{reps[j].sig, ct.ISN}
			il := ix.byISN[k]
			if il == nil {
				il = &timeList{}
				ix.byISN[k] = il
			}
			ix.ipos[j] = len(il.idx)
			il.add(j)
		}
		sl := ix.bySig[reps[j].sig]
		if sl == nil {
			sl = &timeList{}
			ix.bySig[reps[j].sig] = sl
		}
		ix.pos[j] = len(sl.idx)
		sl.add(j)
		k := sigPort{reps[j].sig, reps[j].s.Client.Port()}
		pl := ix.byPort[k]
		if pl == nil {
			pl = &timeList{}
			ix.byPort[k] = pl
		}
		ix.ppos[j] = len(pl.idx)
		pl.add(j)
	}
	return ix
}

// nearest returns the rep or -1: the same client ISN first (NAT keeps
// it), then the same client port, then any.
func (ix *sigIndex) nearest(sig uint64, s *analysis.Session, t time.Time, window time.Duration) int {
	if ct := s.ClientTrace; ct.SYN {
		if l := ix.byISN[sigISN{sig, ct.ISN}]; l != nil {
			if j := ix.nearestIn(l, t, window); j >= 0 {
				return j
			}
		}
	}
	if l := ix.byPort[sigPort{sig, s.Client.Port()}]; l != nil {
		if j := ix.nearestIn(l, t, window); j >= 0 {
			return j
		}
	}
	if l := ix.bySig[sig]; l != nil {
		return ix.nearestIn(l, t, window)
	}
	return -1
}

func (ix *sigIndex) nearestIn(l *timeList, t time.Time, window time.Duration) int {
	x := sort.Search(len(l.idx), func(x int) bool { return !ix.reps[l.idx[x]].start.Before(t) })
	best := -1
	var bestD time.Duration
	for _, y := range []int{l.free(x), l.freeBefore(x - 1)} {
		if y < 0 || y >= len(l.idx) {
			continue
		}
		j := l.idx[y]
		if d := ix.reps[j].start.Sub(t).Abs(); d <= window && (best < 0 || d < bestD) {
			best, bestD = j, d
		}
	}
	return best
}

// take marks rep j joined in both its lists.
func (ix *sigIndex) take(j int) {
	ix.bySig[ix.reps[j].sig].take(ix.pos[j])
	ix.byPort[sigPort{ix.reps[j].sig, ix.reps[j].s.Client.Port()}].take(ix.ppos[j])
	if ix.ipos[j] >= 0 {
		ix.byISN[sigISN{ix.reps[j].sig, ix.reps[j].s.ClientTrace.ISN}].take(ix.ipos[j])
	}
}

// roughOffset estimates point k's clock against the first point's from
// the start times of sessions whose transcript occurs once at point k and
// once among the reps; ok is false when there is none to measure.
//
// Where every session has the same transcript (a brute-force run), the
// transcript and the client's port together are unique: NAT usually
// keeps the port.
func roughOffset(reps []rep, sessions []*analysis.Session, sigs []uint64) (time.Duration, bool) {
	type key struct {
		sig  uint64
		port uint16
	}
	count, at, mine := map[key]int{}, map[key]int{}, map[key]int{}
	for i := range reps {
		for _, k := range []key{{reps[i].sig, 0}, {reps[i].sig, reps[i].s.Client.Port()}} {
			count[k]++
			at[k] = i
		}
	}
	for i, s := range sessions {
		mine[key{sigs[i], 0}]++
		mine[key{sigs[i], s.Client.Port()}]++
	}
	var d []time.Duration
	for _, withPort := range []bool{false, true} {
		for i, s := range sessions {
			k := key{sigs[i], 0}
			if withPort {
				k.port = s.Client.Port()
			}
			if mine[k] == 1 && count[k] == 1 {
				d = append(d, s.Start.Sub(reps[at[k]].start))
			}
		}
		if len(d) > 0 {
			break
		}
	}
	if len(d) == 0 {
		return 0, false
	}
	return median(d), true
}

// measure sets point k's offset and delay from the control lines of its
// matched sessions, and counts how its matched sessions vote on the order.
func measure(reps []rep, sessions []*analysis.Session, matched []int, k int, r *Result, rough time.Duration, roughOK bool) {
	var cmd, rep0 []time.Duration // point k's time minus the earlier point's, first point's clock
	agree, disagree := 0, 0
	for i, s := range sessions {
		if matched[i] == 0 {
			continue
		}
		rp := reps[matched[i]-1]
		earlier := r.Offsets[rp.point].Offset
		a, b := rp.s.Exchanges, s.Exchanges
		for _, p := range alignExchanges(a, b) {
			d := b[p[1]].Time.Sub(a[p[0]].Time.Add(-earlier))
			if a[p[0]].FromClient {
				cmd = append(cmd, d)
			} else {
				rep0 = append(rep0, d)
			}
		}
		// TTLs only decrease along the path: the client's packets arrive
		// at a later point with a TTL no higher, the server's with one no
		// lower.
		if ca, cb := rp.s.ClientTrace, s.ClientTrace; ca.Packets > 0 && cb.Packets > 0 {
			switch {
			case ca.TTLMax > cb.TTLMax:
				agree++
			case ca.TTLMax < cb.TTLMax:
				disagree++
			}
		}
		if sa, sb := rp.s.ServerTrace, s.ServerTrace; sa.Packets > 0 && sb.Packets > 0 {
			switch {
			case sa.TTLMax < sb.TTLMax:
				agree++
			case sa.TTLMax > sb.TTLMax:
				disagree++
			}
		}
	}
	o := &r.Offsets[k]
	switch {
	case len(cmd) > 0 && len(rep0) > 0:
		// Commands travel toward point k, replies away from it: their
		// differences are the offset plus and minus the transit.
		mc, mr := median(cmd), median(rep0)
		o.Offset, o.Delay, o.Known, o.Samples = (mc+mr)/2, (mc-mr)/2, true, len(cmd)+len(rep0)
		switch {
		case o.Delay > time.Millisecond/10:
			agree++
		case o.Delay < -time.Millisecond/10:
			disagree++
		}
	case len(cmd)+len(rep0) > 0:
		// One direction only: the offset carries the transit too.
		o.Offset, o.Known, o.Samples = median(append(cmd, rep0...)), true, len(cmd)+len(rep0)
	default:
		o.Offset, o.Known = rough, roughOK
	}
	r.OrderAgree[k], r.OrderDisagree[k] = agree, disagree
}

// alignExchanges pairs the lines two transcripts share, in order (each a
// pair of indexes).
func alignExchanges(a, b []analysis.Exchange) [][2]int {
	var out [][2]int
	j := 0
	for i := range a {
		ta := token(a[i])
		for x := j; x < len(b) && x < j+8; x++ {
			if token(b[x]) == ta {
				out = append(out, [2]int{i, x})
				j = x + 1
				break
			}
		}
	}
	return out
}

// signature hashes a session's transcript as every point sees it alike.
func signature(s *analysis.Session, seed maphash.Seed) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, e := range s.Exchanges {
		t := token(e)
		h.WriteByte(t.kind)
		h.WriteString(t.text)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// token is a control line as it reads at every point: commands whole
// except the setup commands' arguments (an FTP helper rewrites PORT and
// EPRT), replies by their code alone (it rewrites 227, and the texts of
// most others do not tell them apart anyway).
//
// A token is a substring of the line: building one allocates nothing.
func token(e analysis.Exchange) tok {
	t := e.Text
	if !e.FromClient {
		return tok{'<', t[:min(3, len(t))]}
	}
	verb, _, _ := strings.Cut(t, " ")
	switch strings.ToUpper(verb) {
	case "PORT", "EPRT", "LPRT":
		return tok{'>', strings.ToUpper(verb)}
	}
	return tok{'>', t}
}

// tok is a control line's token: its direction and the text compared.
type tok struct {
	kind byte
	text string
}

// tokens returns the tokens of a session's first lcsLines lines: enough to
// tell two sightings of one connection, and a bound on the comparison's
// cost.
func tokens(s *analysis.Session) []tok {
	ex := s.Exchanges[:min(len(s.Exchanges), lcsLines)]
	out := make([]tok, len(ex))
	for i, e := range ex {
		out[i] = token(e)
	}
	return out
}

const lcsLines = 64

// lcs is the length of the longest common subsequence of a and b.
func lcs(a, b []tok) int {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			switch {
			case a[i] == b[j]:
				cur[j+1] = prev[j] + 1
			case cur[j] > prev[j+1]:
				cur[j+1] = cur[j]
			default:
				cur[j+1] = prev[j+1]
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}
