package report

import (
	"math"
	"net/netip"
	"strconv"
	"time"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// sentence builds one of the sentences every output carries (a channel's
// reason, a transfer's reason) by appending to a byte slice: on a
// control-heavy capture fmt's reflection over the arguments was a tenth of
// the JSON writer's time. Each method writes what the fmt verb named in its
// comment writes, so the sentences stay byte for byte what they were. The
// JSON writer reuses one slice for every sentence it builds.
type sentence struct{ b []byte }

// str appends s (%s of a string).
func (t *sentence) str(s string) *sentence {
	t.b = append(t.b, s...)
	return t
}

// int appends n in decimal (%d).
func (t *sentence) int(n int) *sentence {
	t.b = strconv.AppendInt(t.b, int64(n), 10)
	return t
}

// uint appends n in decimal (%d of an unsigned number: a port, a TTL, a
// byte count, an ftp.ReplyCode).
func (t *sentence) uint(n uint64) *sentence {
	t.b = strconv.AppendUint(t.b, n, 10)
	return t
}

// addr appends a (%s of a netip.Addr: its String, "invalid IP" for the
// zero Addr, which AppendTo would leave out).
func (t *sentence) addr(a netip.Addr) *sentence {
	if !a.IsValid() {
		return t.str(a.String())
	}
	t.b = a.AppendTo(t.b)
	return t
}

// addrPort appends a (%s of a netip.AddrPort, "invalid AddrPort" for one
// without an address).
func (t *sentence) addrPort(a netip.AddrPort) *sentence {
	if !a.Addr().IsValid() {
		return t.str(a.String())
	}
	t.b = a.AppendTo(t.b)
	return t
}

// plural appends "s" unless n is 1.
func (t *sentence) plural(n int) *sentence { return t.str(plural(n)) }

// dur appends a capture-time duration for people: "7 s", "0.3 s", "45 ms"
// (dur's words).
func (t *sentence) dur(d time.Duration) *sentence {
	switch {
	case d < 0:
		d = 0
		fallthrough
	case d < 10*time.Millisecond:
		t.b = strconv.AppendFloat(t.b, float64(d)/float64(time.Millisecond), 'f', 1, 64) // %.1f
		return t.str(" ms")
	case d < time.Second:
		return t.int(int(math.Round(float64(d) / float64(time.Millisecond)))).str(" ms")
	case d < 10*time.Second:
		t.b = strconv.AppendFloat(t.b, d.Seconds(), 'f', 1, 64)
		return t.str(" s")
	}
	return t.int(int(math.Round(d.Seconds()))).str(" s")
}

// code appends a reply code as ReplyCode.String writes it (%s): three
// digits, a larger value in full.
func (t *sentence) code(c ftp.ReplyCode) *sentence {
	if c > 999 {
		return t.uint(uint64(c))
	}
	t.b = append(t.b, byte('0'+c/100), byte('0'+c/10%10), byte('0'+c%10))
	return t
}
