package capture

import (
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// TestReadAheadGivesGrownBuffersBack: a frame larger than a batch gets a
// batch of its own, grown for it; once that batch is consumed it goes back
// to its usual size, so a few huge records do not leave every batch of the
// pool holding one huge record's worth for the rest of the run (issue 12:
// eight 256 MiB records took gigabytes). Frames as long as the reader
// allows (maxRecordLen) among ordinary ones, in classic pcap (copied only
// when longer than a chunk) and in pcapng (always copied).
func TestReadAheadGivesGrownBuffersBack(t *testing.T) {
	big := make([]byte, maxRecordLen)
	var rs []rec
	at := t0
	for i := range 3 * pipeBatches {
		rs = append(rs, rec{t: at, data: big})
		at = at.Add(time.Millisecond)
		for range 50 + i {
			rs = append(rs, rec{t: at, data: data4.ether(t)})
			at = at.Add(time.Millisecond)
		}
	}
	files := map[string][]byte{
		"pcap":   rawPcap(binary.LittleEndian, false, maxRecordLen, layers.LinkTypeEthernet, rs),
		"pcapng": ngBytes(t, []layers.LinkType{layers.LinkTypeEthernet}, rs),
	}
	for name, file := range files {
		t.Run(name, func(t *testing.T) {
			src := openBytes(t, file).(frameSource)
			cfg := pipeConfig{batches: pipeBatches, batchBytes: pipeBatchBytes, batchFrames: pipeBatchFrames, batchChunks: pipeBatchChunks}
			p := startPipe(src, cfg)
			defer p.Close()
			n, bigSeen := 0, 0
			for {
				pkt, err := p.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
				if pkt.CapLen == maxRecordLen {
					bigSeen++
				}
			}
			if n != len(rs) || bigSeen != 3*pipeBatches {
				t.Fatalf("%d packets (%d of %d bytes), want %d (%d)", n, bigSeen, maxRecordLen, len(rs), 3*pipeBatches)
			}
			if d := p.Stats().Damage; len(d) != 0 {
				t.Fatalf("damage: %v", d)
			}
			// Every batch is back in the pool: none may hold more than a
			// batch's worth of buffer, nor a reference into a grown one.
			held := 0
			for range len(p.free) {
				b := <-p.free
				held += cap(b.buf)
				for _, f := range b.frames[:cap(b.frames)] {
					if cap(f.Data) > pipeBatchBytes {
						t.Errorf("a pooled batch's frame still aliases %d bytes", cap(f.Data))
					}
				}
				for _, q := range b.pkts {
					if cap(q.Payload) > pipeBatchBytes {
						t.Errorf("a pooled batch's packet still aliases %d bytes", cap(q.Payload))
					}
				}
			}
			if held > pipeBatches*pipeBatchBytes {
				t.Errorf("the pooled batches hold %d bytes of buffers, at most %d expected", held, pipeBatches*pipeBatchBytes)
			}
		})
	}
}
