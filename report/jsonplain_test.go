package report

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestPlain8: the word-at-a-time test says "plain" exactly when each of the
// eight bytes is plain by the byte table (and ASCII), for every byte value
// in every position among plain neighbours, and on random words.
func TestPlain8(t *testing.T) {
	byTable := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf || !jsonPlain[s[i]] {
				return false
			}
		}
		return true
	}
	for pos := range 8 {
		for c := range 256 {
			b := []byte("abcdefgh")
			b[pos] = byte(c)
			if got, want := plain8(string(b)), byTable(string(b)); got != want {
				t.Fatalf("plain8(%q) = %v, the table says %v", b, got, want)
			}
		}
	}
	rng := rand.New(rand.NewSource(1))
	for range 200000 {
		var b [8]byte
		for i := range b {
			b[i] = byte(rng.Intn(256))
			if rng.Intn(3) > 0 {
				b[i] = byte(0x20 + rng.Intn(0x60))
			}
		}
		if got, want := plain8(string(b[:])), byTable(string(b[:])); got != want {
			t.Fatalf("plain8(%q) = %v, the table says %v", b, got, want)
		}
	}
}

// TestJSONStringEveryPosition: appendJSONString writes what the encoder
// writes for strings of every length up to 3 words with one byte that
// needs a look at every position (the word loop, the overlapping last
// word and the byte loop each meet it).
func TestJSONStringEveryPosition(t *testing.T) {
	for n := 0; n <= 24; n++ {
		for p := range n {
			for _, c := range []string{"\"", "\\", "\x7f", "\x01", "\n", "\xc3", "é", "\u202e"} {
				s := strings.Repeat("a", p) + c + strings.Repeat("b", n-p-1)
				var out bytes.Buffer
				if err := newJSONEncoder(&out).Encode(s); err != nil {
					t.Fatal(err)
				}
				if hand := append(appendJSONString(nil, s), '\n'); !bytes.Equal(hand, out.Bytes()) {
					t.Fatalf("%q: appendJSONString writes %q, the encoder %q", s, hand, out.Bytes())
				}
			}
		}
	}
}
