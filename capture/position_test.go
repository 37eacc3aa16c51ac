package capture

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// TestFirstPositions: the stats name the first undecodable frame, the first
// segment cut by the snap length and the first step back in time, by number
// in the file and in the merged input, so that warnings can point at them.
func TestFirstPositions(t *testing.T) {
	good := data4.ether(t)
	bad := data4.ether(t)
	bad[14] = 0x43 // IPv4 IHL of 3 words
	rs := recs(t0, good, good, bad, good[:60], bad)
	rs[3].wire = len(good) // cut by the snap length
	rs[4].t = t0.Add(-1)   // back in time
	dir := t.TempDir()
	other := writeFile(t, dir, "a.pcap", pcapBytes(t, layers.LinkTypeEthernet, 65535, recs(t0.Add(-1e9), good)))
	path := writeFile(t, dir, "b.pcap", pcapBytes(t, layers.LinkTypeEthernet, 65535, rs))
	for _, frames := range []bool{false, true} {
		src, err := OpenFiles([]string{other, path}, FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var st Stats
		if frames {
			fs := src.(frameSource)
			d := newDecoder()
			for {
				f, err := fs.nextFrame()
				if err != nil {
					break
				}
				d.decodeFrame(f)
			}
			st = src.Stats()
			d.addCounts(&st)
		} else {
			readAll(t, src)
			st = src.Stats()
		}
		src.Close()
		want := map[string]Position{
			"undecodable": {File: path, Num: 4, FileNum: 3},
			"snapped":     {File: path, Num: 5, FileNum: 4},
			"backwards":   {File: path, Num: 6, FileNum: 5},
		}
		got := map[string]Position{"undecodable": st.FirstUndecodable, "snapped": st.FirstSnapped, "backwards": st.FirstBackwards}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("frames=%v: first %s at %+v, want %+v", frames, k, got[k], w)
			}
		}
		if s := st.FirstSnapped.String(); s != "packet 4 of "+path+" (packet 5 of the merged input)" {
			t.Errorf("position reads %q", s)
		}
		if st.Undecodable != 2 || st.Snapped != 1 || st.BackwardsTime != 1 {
			t.Errorf("frames=%v: counts %d undecodable, %d snapped, %d backwards", frames, st.Undecodable, st.Snapped, st.BackwardsTime)
		}
	}
}
