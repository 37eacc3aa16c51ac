package report

import (
	"math"
	"net/netip"
	"time"
	"unsafe"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// jsonScratch is what the JSON writer reuses from one record to the next
// instead of allocating it again: on a control-heavy capture the records'
// strings, pointers and slices were most of the writer's allocations, and
// the collector's work grows with them.
//
// Two kinds of memory, with two rules. The arena and the slabs are only
// appended to: a string or a pointer they hand out points into a block
// nobody writes again (a full block is left to the collector, which keeps
// it while anything points into it), so what they hand out stays valid
// however long it is kept. The part slices (channels, transfers, commands,
// ...) are overwritten by the next record: reset empties them at the start
// of each record the JSON writer makes, and a record made with them must be
// written before the next one is made (jsonWriter does so; html.go, which
// keeps its records, makes each with a scratch of its own).
type jsonScratch struct {
	// text is where a string is built before keep copies it into the arena.
	text []byte
	// arena is the block keep cuts strings from.
	arena []byte
	// ints, uints and floats are the blocks the *int, *uint64 and *float64
	// fields point into.
	ints   []int
	uints  []uint64
	floats []float64
	// The parts of a record.
	channels  []jsonChannel
	transfers []jsonTransfer
	notes     []jsonNote
	lint      []jsonLint
	commands  []jsonCommand
	attempts  []jsonLoginAttempt
	login     jsonLogin
	// minute is the Unix minute (+1, so that 0 is none) whose date, hour
	// and minute as stamp writes them ("2006-01-02T15:04:") are in
	// minuteText: a session's times mostly fall in one minute, and the
	// calendar arithmetic was most of the cost of a stamp.
	minute     int64
	minuteText [len("2006-01-02T15:04:")]byte
}

// The block sizes: a session record of control-30k holds about 2 KiB of
// strings made for it and a few dozen numbers behind pointers. A scratch
// starts with small blocks and doubles them up to these, so that one made
// for a single record (html.go) costs little more than the record.
const (
	arenaBlock = 32 << 10
	slabBlock  = 512
)

// nextBlock is the size of the block that follows one of size n.
func nextBlock(n, first, most int) int { return min(max(2*n, first), most) }

// reset starts a record: the part slices are emptied for it.
func (x *jsonScratch) reset() {
	x.channels, x.transfers, x.notes = x.channels[:0], x.transfers[:0], x.notes[:0]
	x.lint, x.commands, x.attempts = x.lint[:0], x.commands[:0], x.attempts[:0]
}

// keep returns b as a string cut from the arena, and keeps b (its
// capacity) as the text buffer for the next string.
func (x *jsonScratch) keep(b []byte) string {
	x.text = b[:0]
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(x.arena)-len(x.arena) {
		if len(b) > arenaBlock/8 {
			return string(b) // a long sentence: not worth a block's room
		}
		x.arena = make([]byte, 0, max(nextBlock(cap(x.arena), 512, arenaBlock), len(b)))
	}
	n := len(x.arena)
	x.arena = append(x.arena, b...)
	// The bytes n to n+len(b) are never written again (appends go past
	// them, a new block replaces a full one), so the string is immutable.
	return unsafe.String(&x.arena[n], len(b))
}

// ap is ap(a) cut from the arena.
func (x *jsonScratch) ap(a netip.AddrPort) string {
	if !a.Addr().IsValid() {
		return a.String()
	}
	return x.keep(a.AppendTo(x.text[:0]))
}

// int returns a pointer to n (an *int field's value).
func (x *jsonScratch) int(n int) *int {
	if len(x.ints) == cap(x.ints) {
		x.ints = make([]int, 0, nextBlock(cap(x.ints), 16, slabBlock))
	}
	x.ints = append(x.ints, n)
	return &x.ints[len(x.ints)-1]
}

// intList returns an empty, non-nil slice with room for n ints, cut from
// the int block (when n is small).
func (x *jsonScratch) intList(n int) []int {
	if n == 0 {
		return []int{} // not nil, and no room taken
	}
	if n > slabBlock/8 {
		return make([]int, 0, n)
	}
	if n > cap(x.ints)-len(x.ints) {
		x.ints = make([]int, 0, max(nextBlock(cap(x.ints), 16, slabBlock), n))
	}
	k := len(x.ints)
	x.ints = x.ints[:k+n]
	return x.ints[k : k : k+n]
}

// uint returns a pointer to n.
func (x *jsonScratch) uint(n uint64) *uint64 {
	if len(x.uints) == cap(x.uints) {
		x.uints = make([]uint64, 0, nextBlock(cap(x.uints), 16, slabBlock))
	}
	x.uints = append(x.uints, n)
	return &x.uints[len(x.uints)-1]
}

// float returns a pointer to f.
func (x *jsonScratch) float(f float64) *float64 {
	if len(x.floats) == cap(x.floats) {
		x.floats = make([]float64, 0, nextBlock(cap(x.floats), 16, slabBlock))
	}
	x.floats = append(x.floats, f)
	return &x.floats[len(x.floats)-1]
}

// reply is a reply code as JSON writes it, from the int block: null
// (nil) when none came.
func (x *jsonScratch) reply(c ftp.ReplyCode) *int {
	if c == 0 {
		return nil
	}
	return x.int(int(c))
}

// ms is ms(d) from the float block.
func (x *jsonScratch) ms(d time.Duration) *float64 {
	if d == analysis.NoTiming {
		return nil
	}
	return x.float(math.Round(float64(d)/float64(time.Microsecond)) / 1000)
}

// fresh returns s emptied, never nil (an empty list is written [], not null).
func fresh[T any](s []T, n int) []T {
	if s == nil {
		return make([]T, 0, n)
	}
	return s[:0]
}

// unix10000 is the Unix time of the year 10000, the first time whose stamp
// the minute cache would not write the same.
const unix10000 = 253402300800

// appendStamp appends stamp(t).
func (x *jsonScratch) appendStamp(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	t = t.UTC()
	sec := t.Unix()
	if sec < 0 || sec >= unix10000 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	if m := sec/60 + 1; m != x.minute {
		n := len(b)
		b = t.AppendFormat(b, time.RFC3339Nano)
		copy(x.minuteText[:], b[n:])
		x.minute = m
		return b
	}
	b = append(b, x.minuteText[:]...)
	s := sec % 60
	b = append(b, byte('0'+s/10), byte('0'+s%10))
	if ns := t.Nanosecond(); ns != 0 {
		// RFC3339Nano: nine digits, trailing zeros left out.
		var f [10]byte
		f[0] = '.'
		for i := 9; i > 0; i-- {
			f[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := len(f)
		for f[n-1] == '0' {
			n--
		}
		b = append(b, f[:n]...)
	}
	return append(b, 'Z')
}

// stamp is stamp(t) through the minute cache.
func (x *jsonScratch) stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return x.keep(x.appendStamp(x.text[:0], t))
}
