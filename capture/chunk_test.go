package capture

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// chunkCapture is a pcap file of several chunks' worth of frames of mixed
// sizes, one of them longer than a chunk.
func chunkCapture(t *testing.T) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var frames [][]byte
	for i := range 3000 {
		n := 60 + rng.IntN(1500)
		if i%97 == 0 {
			n = 9000 + rng.IntN(7000)
		}
		if i == 1500 {
			n = chunkSize + 1000 // read past the chunks, into long
		}
		f := make([]byte, n)
		for j := range f {
			f[j] = byte(rng.Uint32())
		}
		frames = append(frames, f)
	}
	return pcapBytes(t, layers.LinkTypeEthernet, 2*chunkSize, recs(t0, frames...))
}

// TestChunksKeepRetainedFrames: with a pool, every frame that names a chunk
// keeps its bytes while the chunk is retained, however far reading goes on,
// and only as many chunks are made as are held at once.
func TestChunksKeepRetainedFrames(t *testing.T) {
	file := chunkCapture(t)
	var want [][]byte
	plain := openBytes(t, file).(frameSource)
	for {
		f, err := plain.nextFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if f.chunk != nil {
			t.Fatal("a source without a pool named a chunk")
		}
		want = append(want, bytes.Clone(f.Data))
	}

	for _, window := range []int{0, 1, 50, 700} {
		src := openBytes(t, file).(chunkedSource)
		pool := newChunkPool(64)
		src.useChunks(pool)
		type held struct {
			i     int
			data  []byte
			chunk *readChunk
		}
		var live []held
		chunks := map[*readChunk]bool{}
		release := func(h held) {
			if !bytes.Equal(h.data, want[h.i]) {
				t.Fatalf("window %d: frame %d changed while its chunk was held", window, h.i+1)
			}
			if h.chunk != nil {
				h.chunk.release()
			}
		}
		for i := 0; ; i++ {
			f, err := src.nextFrame()
			if err == io.EOF {
				if i != len(want) {
					t.Fatalf("window %d: %d frames, want %d", window, i, len(want))
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			h := held{i: i, data: f.Data, chunk: f.chunk}
			if f.chunk == nil {
				if len(f.Data) < chunkSize {
					t.Fatalf("frame %d (%d bytes) names no chunk", i+1, len(f.Data))
				}
				h.data = bytes.Clone(f.Data) // valid until the next call only
			} else {
				f.chunk.retain()
				chunks[f.chunk] = true
			}
			live = append(live, h)
			for len(live) > window {
				release(live[0])
				live = live[1:]
			}
		}
		for _, h := range live {
			release(h)
		}
		// Frames average ~1.2 KB; a window of w frames holds about
		// w*1.2KB/chunkSize chunks, plus the reader's own and the ones
		// straddled.
		if limit := window*1800/chunkSize + 3; len(chunks) > limit {
			t.Errorf("window %d: %d chunks made, want at most %d", window, len(chunks), limit)
		}
		t.Logf("window %d: %d chunks", window, len(chunks))
	}
}
