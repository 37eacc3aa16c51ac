package reassembly

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"
)

var propClient = []string{
	"AUTH TLS", "USER anonymous", "PASS guest@", "SYST", "FEAT", "TYPE I", "EPSV",
	"PORT 192,0,2,10,156,64", "RETR /pub/some file with spaces.txt", "", "QUIT",
}

var propServer = []string{
	"220-Welcome to the test server", "220 ready", "530 Please login with USER and PASS.",
	"331 Please specify the password.", "230 Login successful.", "215 UNIX Type: L8",
	"211-Features:", " EPRT", " EPSV", " PASV", "211 End", "200 Switching to Binary mode.",
	"229 Entering Extended Passive Mode (|||40001|)", "200 PORT command successful.",
	"150 Opening BINARY mode data connection.", "226 Transfer complete.", "221 Goodbye.",
}

type propSeg struct {
	from    Role
	off     int
	payload string
	num     uint64
}

// checkSegmentation splits both directions of a known conversation into
// random segments, reorders them within a small window, repeats some
// (identically, or repacketized so that they overlap), interleaves the
// directions, and checks that exactly the conversation's lines come out,
// with no gap and no conflict, each attributed to a packet that carried its
// first byte.
func checkSegmentation(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	text := map[Role]string{RoleClient: joinLines(propClient, rng), RoleServer: joinLines(propServer, rng)}
	var segs []propSeg
	for _, r := range []Role{RoleClient, RoleServer} {
		var dir []propSeg
		s := text[r]
		for off := 0; off < len(s); {
			n := min(len(s)-off, 1+rng.Intn(24))
			dir = append(dir, propSeg{from: r, off: off, payload: s[off : off+n]})
			if rng.Intn(6) == 0 { // a retransmission, maybe repacketized
				lo := max(0, off-rng.Intn(8))
				hi := min(len(s), off+n+rng.Intn(8))
				dir = append(dir, propSeg{from: r, off: lo, payload: s[lo:hi]})
			}
			off += n
		}
		for i := range dir { // local reordering
			if j := i + rng.Intn(3); j < len(dir) && rng.Intn(3) == 0 {
				dir[i], dir[j] = dir[j], dir[i]
			}
		}
		if seed&1 == 1 {
			// Without a handshake the first segment seen starts the stream
			// (bytes before it are taken for old retransmissions): keep the
			// stream's first byte first.
			i := slices.IndexFunc(dir, func(p propSeg) bool { return p.off == 0 })
			dir[0], dir[i] = dir[i], dir[0]
		}
		segs = merge(segs, dir, rng)
	}
	var r recorder
	a := New(Config{}, &r)
	s := newSession(cliAP, srvAP)
	if seed&1 == 0 {
		feed(a, s, handshake)
	}
	for i := range segs {
		p := s.pkt(segs[i].from, segs[i].off, fPA, segs[i].payload, time.Millisecond)
		segs[i].num = p.Num
		a.Packet(p)
	}
	a.Close(s.now.Add(time.Second))
	checkOrder(t, r.events, DefaultMaxLineLen)
	checkEmpty(t, a)
	got := map[Role][]string{}
	starts := map[Role]int{}
	for _, e := range r.events {
		switch e.kind {
		case "gap", "conflict":
			t.Fatalf("seed %d: unexpected %s", seed, e)
		case "line":
			l := e.line
			got[l.From] = append(got[l.From], string(l.Text))
			first := starts[l.From]
			ok := false
			for _, sg := range segs {
				if sg.num == l.Packet && sg.from == l.From && sg.off <= first && first < sg.off+len(sg.payload) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("seed %d: line %q (first byte at %d) attributed to packet %d, which does not hold it", seed, l.Text, first, l.Packet)
			}
			starts[l.From] = strings.Index(text[l.From][first:], "\n") + first + 1
		}
	}
	for _, role := range []Role{RoleClient, RoleServer} {
		want := strings.Split(strings.ReplaceAll(strings.TrimSuffix(text[role], "\n"), "\r", ""), "\n")
		if !slices.Equal(got[role], want) {
			t.Fatalf("seed %d %s lines:\ngot  %q\nwant %q", seed, role, got[role], want)
		}
	}
}

// joinLines ends each line with CR LF, or (sometimes) a bare LF.
func joinLines(lines []string, rng *rand.Rand) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		if rng.Intn(5) == 0 {
			b.WriteString("\n")
		} else {
			b.WriteString("\r\n")
		}
	}
	return b.String()
}

// merge interleaves two segment lists at random, keeping each one's order.
func merge(a, b []propSeg, rng *rand.Rand) []propSeg {
	out := make([]propSeg, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || (len(a) > 0 && rng.Intn(2) == 0) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

func TestRandomSegmentation(t *testing.T) {
	for seed := range int64(500) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkSegmentation(t, seed) })
	}
}

// FuzzSegmentation explores more seeds of the same property.
func FuzzSegmentation(f *testing.F) {
	f.Add(int64(1))
	f.Fuzz(checkSegmentation)
}
