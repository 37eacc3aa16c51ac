package analysis

import (
	"strings"
	"unicode/utf8"
	"unsafe"
)

// The memory budget (Config.MaxMemory). The Analyzer counts the bytes it
// stores itself: every session and channel it holds, the strings they keep,
// their notes, transcripts, lint findings, connection attempts, the commands
// awaiting a reply and a multi-line reply being read. The counts are
// computed from what is stored, never read from the runtime, so the same
// input gives the same output whatever the collector does. When the count
// passes the budget the Analyzer sheds, in this order, until it is under:
//
//  1. the oldest judged channels leave their sessions' listings (their
//     verdicts stay counted; Session.ChannelsDropped and
//     Stats.BudgetChannels count them);
//  2. the least recently active sessions are evicted, judged and written
//     with what was seen (Stats.BudgetSessions).
//
// The costs below are what each thing takes on the heap, near enough: the
// struct sizes from the compiler plus the map slots and small allocations
// that go with them (measured with the hostile tests of cmd/ftpscope).

// StoredMax is how many bytes of one wire string a session keeps: a
// command's argument (file names, paths), the user name, the password when
// shown, the AUTH mechanism. Longer strings are cut on a UTF-8 boundary and
// their full length is kept beside them (Channel.ArgumentLen and friends),
// so a capture of long names costs StoredMax per name, not the line length.
const StoredMax = 256

const (
	// mapSlot is what one entry of a map keyed by a connection or an
	// endpoint costs beyond its value (key, pointer, control byte, load
	// factor): the most such a map takes per entry at the general key
	// sizes, measured with Go's maps between growths.
	mapSlot = 112
	// sessionCost is one held session between two IPv4 hosts: Session,
	// sessionState, its slot in Analyzer.sessions (a 24-byte slot: 35 to
	// 56 bytes an entry as the map fills and grows) and its share of
	// Analyzer.hosts (at most one entry per session: the pair of hosts it
	// joins, with a count; 24 to 38 bytes). A session with an IPv6 end
	// costs sessionCost6, its two maps having the general keys.
	sessionCost  = int64(unsafe.Sizeof(Session{})) + int64(unsafe.Sizeof(sessionState{})) + 48 + 32
	sessionCost6 = int64(unsafe.Sizeof(Session{})) + int64(unsafe.Sizeof(sessionState{})) + 2*mapSlot
	// channelCost is one channel: the Channel, its slot in
	// Session.Channels, the Reason it gets when judged, its two places in
	// the wait index while it waits, and its few reply codes.
	channelCost = int64(unsafe.Sizeof(Channel{})) + 8 + int64(unsafe.Sizeof(Reason{})) +
		2*(int64(unsafe.Sizeof(member{}))+8) + 16
	// attemptCost is one connection attempt a channel follows: the Attempt,
	// its slot in Channel.Attempts, and the tracker's conn and map slot
	// while the channel waits.
	attemptCost = int64(unsafe.Sizeof(Attempt{})) + 8 + int64(unsafe.Sizeof(conn{})) + mapSlot
	// noteCost, exchangeCost, lintCost and pendingCost are one note,
	// transcript line, lint finding and awaited command, without their
	// strings.
	noteCost     = int64(unsafe.Sizeof(Note{}))
	exchangeCost = int64(unsafe.Sizeof(Exchange{}))
	lintCost     = int64(unsafe.Sizeof(LintFinding{}))
	pendingCost  = int64(unsafe.Sizeof(pending{}))
	// natDiagCost is a channel's NAT diagnosis, made when it is judged;
	// dropRingCost the lint's record of segments a helper would drop.
	natDiagCost = int64(unsafe.Sizeof(NATDiagnosis{}))
	// dataFactsCost is what an attempt that carried payload adds: its
	// coverage (with a few intervals) and data times.
	dataFactsCost = int64(unsafe.Sizeof(dataFacts{})) + 2*4*int64(unsafe.Sizeof(interval{}))
	dropRingCost  = int64(unsafe.Sizeof(dropRing{}))
)

// stored cuts a wire string to StoredMax bytes on a UTF-8 boundary and
// returns it with its full length. The cut is a copy, so it never pins the
// line it came from.
func stored(s string) (string, int) {
	n := len(s)
	if n <= StoredMax {
		return s, n
	}
	return strings.Clone(cutUTF8(s, StoredMax)), n
}

// cutUTF8 returns the longest prefix of s of at most max bytes that does
// not end inside a UTF-8 sequence. Bytes that are not UTF-8 are cut where
// max falls.
func cutUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	// s[max] is the first byte left out: a rune starts there, or the rune
	// that straddles the cut starts at most utf8.UTFMax-1 bytes before it.
	for i := max; i > 0 && i > max-utf8.UTFMax; i-- {
		if !utf8.RuneStart(s[i]) {
			continue
		}
		if i == max {
			break
		}
		if r, size := utf8.DecodeRuneInString(s[i:]); (r != utf8.RuneError || size > 1) && i+size > max {
			return s[:i]
		}
		break
	}
	return s[:max]
}

// wireLen is a wire length as a session keeps it (a control line is far
// shorter than 2 GiB; a longer one is kept as the most int32 holds).
func wireLen(n int) int32 { return int32(min(n, 1<<31-1)) }

// strCost is what a stored string takes.
func strCost(s string) int64 { return int64(len(s)) }

// charge adds n bytes (negative: gives them back) to the session's count
// and the Analyzer's.
func (a *Analyzer) charge(s *Session, n int64) {
	s.cost += n
	a.used += n
}

// channelBytes is what a channel holds, by what it stores now.
func channelBytes(ch *Channel) int64 {
	n := channelCost + strCost(ch.Argument) + strCost(ch.ReplyText) + int64(len(ch.Attempts))*attemptCost
	if ch.NATDiag != nil {
		n += natDiagCost
	}
	for _, at := range ch.Attempts {
		if at.data != nil {
			n += dataFactsCost
		}
	}
	if t := ch.Transfer; t != nil {
		n += transferCost + strCost(t.Path)
		if t.Listing != nil {
			n += listingBytes(t.Listing)
		}
	}
	return n
}

// recost brings a channel's count in step with what it holds now.
func (a *Analyzer) recost(ch *Channel) {
	if ch.unlisted {
		return
	}
	n := channelBytes(ch)
	a.charge(ch.session, n-ch.cost)
	ch.cost = n
}

// overBudget reports whether the counted bytes passed the budget.
func (a *Analyzer) overBudget() bool { return a.used > a.cfg.MaxMemory }

// shed gives memory back until the count is under the budget: judged
// channels first, oldest judged first, then whole sessions, least recently
// active first. It runs between two inputs, never while a session is
// being changed.
func (a *Analyzer) shed() {
	for a.overBudget() {
		if ch := a.judged.pop(); ch != nil {
			a.unlist(ch)
			ch.session.ChannelsDropped++
			a.stats.BudgetChannels++
			continue
		}
		if !a.evictSession(&a.stats.BudgetSessions) {
			return
		}
	}
}

// unlist takes a channel out of its session's listing and gives back what
// it held.
func (a *Analyzer) unlist(ch *Channel) {
	s := ch.session
	for i, c := range s.Channels {
		if c == ch {
			copy(s.Channels[i:], s.Channels[i+1:])
			s.Channels[len(s.Channels)-1] = nil
			s.Channels = s.Channels[:len(s.Channels)-1]
			break
		}
	}
	a.judged.remove(ch)
	a.charge(s, -ch.cost)
	ch.cost = 0
	ch.unlisted = true
}

// judgedQueue holds the listed judged channels in the order they were
// judged: the first to leave when the budget is short. A channel whose
// session is written leaves it at once, so the queue never keeps a channel
// alive; it is compacted when most of its slots are empty.
type judgedQueue struct {
	q    []*Channel // q[i] is at position base+i
	base uint64
	live int
}

func (j *judgedQueue) push(ch *Channel) {
	ch.jpos = j.base + uint64(len(j.q)) + 1
	j.q = append(j.q, ch)
	j.live++
}

func (j *judgedQueue) remove(ch *Channel) {
	if ch.jpos == 0 {
		return
	}
	j.q[ch.jpos-1-j.base] = nil
	ch.jpos = 0
	j.live--
	if len(j.q) > 64 && len(j.q) > 4*j.live {
		j.compact()
	}
}

// pop returns the oldest judged channel still listed (nil: none).
func (j *judgedQueue) pop() *Channel {
	for len(j.q) > 0 {
		ch := j.q[0]
		j.q[0] = nil // the backing array must not keep it alive
		j.q = j.q[1:]
		j.base++
		if ch != nil {
			ch.jpos = 0
			j.live--
			return ch
		}
	}
	return nil
}

func (j *judgedQueue) compact() {
	keep := make([]*Channel, 0, 2*j.live)
	for _, ch := range j.q {
		if ch != nil {
			keep = append(keep, ch)
		}
	}
	j.q, j.base = keep, 0
	for i, ch := range keep {
		ch.jpos = uint64(i) + 1
	}
}
