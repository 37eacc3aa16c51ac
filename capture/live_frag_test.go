//go:build cgo

package capture

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
	"github.com/gopacket/gopacket/pcap"
)

// TestLiveReassemblesFragments: the live source puts IP fragments back
// together as the file source does. libpcap's offline handle stands in for
// an interface: the source reads it through the same calls.
func TestLiveReassemblesFragments(t *testing.T) {
	src, err := os.Open("../pcaps/01-basic-v4/client.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out bytes.Buffer
	id := uint32(100)
	err = craft.Rewrite(src, &out, func(ip []byte) ([][]byte, error) {
		id++
		frags, err := craft.Fragment(ip, 16, id, false)
		if err != nil {
			return nil, err
		}
		var fs [][]byte
		for i := len(frags) - 1; i >= 0; i-- { // last first
			w, err := craft.Wrap(craft.Plain, frags[i])
			if err != nil {
				return nil, err
			}
			fs = append(fs, w)
		}
		return fs, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "frag.pcap")
	if err := os.WriteFile(name, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same packets, whole (Rewrite leaves out the frames without IP).
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if err := craft.Rewrite(src, &plain, func(ip []byte) ([][]byte, error) {
		w, err := craft.Wrap(craft.Plain, ip)
		return [][]byte{w}, err
	}); err != nil {
		t.Fatal(err)
	}
	want := readAll(t, openBytes(t, plain.Bytes()))
	h, err := pcap.OpenOffline(name)
	if err != nil {
		t.Fatal(err)
	}
	s := &liveSource{liveFrames: newLiveFrames("test0"), h: h, lt: h.LinkType(), tick: time.Now()}
	defer s.Close()
	var got []Packet
	for range 100000 {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		c := *p
		c.Payload = bytes.Clone(p.Payload)
		got = append(got, c)
	}
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || g.Src != w.Src || g.Dst != w.Dst || g.Seq != w.Seq || !bytes.Equal(g.Payload, w.Payload) || !g.Time.Equal(w.Time) {
			t.Fatalf("packet %d: %v %v>%v seq %d %q, want %v %v>%v seq %d %q", i+1, g.Kind, g.Src, g.Dst, g.Seq, g.Payload, w.Kind, w.Src, w.Dst, w.Seq, w.Payload)
		}
	}
	if st := s.Stats(); st.Fragments == 0 || st.Reassembled != uint64(len(want)) || st.FragmentsIncomplete != 0 {
		t.Errorf("stats: %d fragments, %d reassembled, %d incomplete", st.Fragments, st.Reassembled, st.FragmentsIncomplete)
	}
}
