package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// compressTool runs one of the real compressors (gzip, zstd, lz4) on b and
// returns what it wrote. CI installs them (.ci/run); elsewhere a missing
// tool skips the test, but never in CI.
func compressTool(t *testing.T, b []byte, tool string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed (.ci/run installs it): %v", tool, err)
		}
		t.Skipf("%s is not installed", tool)
	}
	cmd := exec.Command(tool, args...)
	cmd.Stdin = bytes.NewReader(b)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v: %s", tool, args, err, stderr.String())
	}
	return out.Bytes()
}

// packetSummary is what TestCompressedCaptures compares of two reads.
func packetSummary(ps []Packet) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Time.String() + " " + p.Kind.String() + " " + p.Src.String() + ">" + p.Dst.String() + " " + string(p.Payload)
	}
	return out
}

// TestCompressedCaptures reads real captures of the corpus compressed by
// the real tools, as files (named misleadingly: detection is by magic
// bytes) and on standard input, and finds exactly the packets of the
// uncompressed file.
func TestCompressedCaptures(t *testing.T) {
	plain, err := os.ReadFile("../pcaps/01-basic-v4/client.pcap")
	if err != nil {
		t.Fatal(err)
	}
	ng, err := os.ReadFile("../pcaps/handmade/sll2.pcapng.gz")
	if err != nil {
		t.Fatal(err)
	}
	ngPlain := compressTool(t, ng, "gzip", "-dc")
	tests := []struct {
		name  string
		plain []byte
		tool  string
		args  []string
	}{
		{"gzip", plain, "gzip", []string{"-c"}},
		{"gzip best", plain, "gzip", []string{"-9c"}},
		{"zstd", plain, "zstd", []string{"-q", "-c"}},
		{"zstd 19 with checksum", plain, "zstd", []string{"-q", "-19", "--check", "-c"}},
		{"zstd long window", plain, "zstd", []string{"-q", "--long=27", "-c"}},
		{"lz4", plain, "lz4", []string{"-q", "-c"}},
		{"lz4 high, block checksums", plain, "lz4", []string{"-q", "-9", "-BX", "-c"}},
		{"lz4 legacy frame", plain, "lz4", []string{"-q", "-l", "-c"}},
		{"pcapng zstd", ngPlain, "zstd", []string{"-q", "-c"}},
		{"pcapng lz4", ngPlain, "lz4", []string{"-q", "-c"}},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := packetSummary(readAll(t, openBytes(t, tc.plain)))
			if len(want) < 10 {
				t.Fatalf("the uncompressed capture has %d packets", len(want))
			}
			z := compressTool(t, tc.plain, tc.tool, tc.args...)
			if bytes.Equal(z, tc.plain) {
				t.Fatal("the tool did not compress")
			}
			name := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".pcap", z)
			src, err := OpenFiles([]string{name}, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			for _, got := range [][]Packet{readAll(t, src), readAll(t, openBytes(t, z))} {
				g := packetSummary(got)
				if strings.Join(g, "\n") != strings.Join(want, "\n") {
					t.Fatalf("read %d packets, want the uncompressed file's %d", len(g), len(want))
				}
			}
			if d := src.Stats().Damage; len(d) > 0 {
				t.Errorf("damage: %v", d)
			}
		})
	}
}

// TestGzipTrailingZeros: zero bytes after the last gzip member (which gzip
// -t accepts) are the end of the file, not damage; other trailing bytes
// are damage after the last packet; a second member is read on.
func TestGzipTrailingZeros(t *testing.T) {
	frame := data4.ether(t)
	rs := recs(t0, frame, frame, frame)
	pcap := pcapBytes(t, layers.LinkTypeEthernet, 65535, rs)
	z := compressTool(t, pcap, "gzip", "-c")
	padded := append(bytes.Clone(z), make([]byte, 4096)...)
	// The real tool's verdict, which ftpscope must agree with.
	compressTool(t, padded, "gzip", "-t")
	half := len(pcap) - 40
	twoMembers := append(compressTool(t, pcap[:half], "gzip", "-c"), compressTool(t, pcap[half:], "gzip", "-c")...)
	tests := []struct {
		name   string
		file   []byte
		damage string
	}{
		{"zeros", padded, ""},
		{"one zero", append(bytes.Clone(z), 0), ""},
		{"two members then zeros", append(bytes.Clone(twoMembers), 0, 0, 0, 0, 0, 0, 0, 0), ""},
		{"zeros then garbage", append(append(bytes.Clone(z), 0, 0, 0), "junk"...), "trailing bytes after the last member"},
		{"garbage", append(bytes.Clone(z), "junk"...), "trailing bytes after the last member"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := openBytes(t, tc.file)
			ps := readAll(t, src)
			if len(ps) != len(rs) {
				t.Fatalf("read %d packets, want %d", len(ps), len(rs))
			}
			d := src.Stats().Damage
			switch {
			case tc.damage == "" && len(d) > 0:
				t.Fatalf("called damaged: %v", d)
			case tc.damage != "" && (len(d) != 1 || !strings.Contains(d[0].Error(), tc.damage) || d[0].AfterPacket != 3):
				t.Fatalf("damage %v, want one after packet 3 saying %q", d, tc.damage)
			}
		})
	}
}

// TestCompressedDamage: a compressed stream cut short or corrupted in the
// middle keeps every packet before the damage, and the damage names the
// file, the packet and the codec.
func TestCompressedDamage(t *testing.T) {
	// Large enough for many compressed blocks (a block decodes whole or
	// not at all), with payloads that do not compress to nothing.
	var frames [][]byte
	rnd := uint32(1)
	for i := range 3000 {
		pl := make([]byte, 200+i%300)
		for j := range pl {
			rnd = rnd*1664525 + 1013904223
			pl[j] = byte(rnd >> 24)
		}
		s := seg{src: "192.0.2.1:20", dst: "192.0.2.2:40000", flags: ACK, seq: uint32(i * 500), ack: 1, win: 500, payload: pl, ttl: 64}
		frames = append(frames, s.ether(t))
	}
	plain := pcapBytes(t, layers.LinkTypeEthernet, 65535, recs(t0, frames...))
	all := readAll(t, openBytes(t, plain))
	for _, tc := range []struct {
		tool string
		args []string
	}{
		{"gzip", []string{"-c"}},
		{"zstd", []string{"-q", "--check", "-c"}},
		{"lz4", []string{"-q", "-B4", "-BX", "-c"}},
	} {
		z := compressTool(t, plain, tc.tool, tc.args...)
		corrupt := bytes.Clone(z)
		for i := len(z) / 2; i < len(z)/2+16; i++ {
			corrupt[i] ^= 0x5a
		}
		for _, c := range []struct {
			name string
			file []byte
			want string
		}{
			{"cut", z[:len(z)/2], "the " + tc.tool + " stream is cut short"},
			{"corrupt", corrupt, tc.tool},
		} {
			t.Run(tc.tool+" "+c.name, func(t *testing.T) {
				dir := t.TempDir()
				name := writeFile(t, dir, "x.pcap", c.file)
				src, err := OpenFiles([]string{name}, FileOptions{})
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				ps := readAll(t, src)
				d := src.Stats().Damage
				if len(d) != 1 {
					t.Fatalf("damage %v, want one", d)
				}
				msg := d[0].Error()
				if !strings.Contains(msg, name) || !strings.Contains(msg, c.want) || d[0].AfterPacket != uint64(len(ps)) {
					t.Errorf("damage %q (after packet %d, %d read), want it to name %s and say %q", msg, d[0].AfterPacket, len(ps), name, c.want)
				}
				if len(ps) == 0 || len(ps) >= len(all) {
					t.Fatalf("read %d of %d packets", len(ps), len(all))
				}
				// A cut stream yields exactly a prefix. A corrupted one may
				// first yield garbage (gzip and zstd check a frame's sum at
				// its end), but what lies well before the corruption (the
				// payloads barely compress) comes out intact.
				same := len(ps)
				if c.name == "corrupt" {
					same = len(all) / 4
				}
				if len(ps) < same || strings.Join(packetSummary(ps[:same]), "\n") != strings.Join(packetSummary(all[:same]), "\n") {
					t.Errorf("the first %d packets are not the file's", same)
				}
				if d[0].Offset < 0 {
					t.Errorf("offset %d unknown", d[0].Offset)
				}
			})
		}
	}
}

// TestCompressedOpenErrors: a compressed file whose content is no capture,
// or that is cut inside its own header, is an open error naming the file.
func TestCompressedOpenErrors(t *testing.T) {
	dir := t.TempDir()
	text := []byte("hello world, not a capture\n")
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"zstd of text", compressTool(t, text, "zstd", "-q", "-c"), "not a pcap or pcapng file"},
		{"lz4 of text", compressTool(t, text, "lz4", "-q", "-c"), "not a pcap or pcapng file"},
		{"zstd of nothing", compressTool(t, nil, "zstd", "-q", "-c"), "empty file (after zstd decompression)"},
		{"lz4 of nothing", compressTool(t, nil, "lz4", "-q", "-c"), "empty file (after lz4 decompression)"},
		{"zstd magic only", []byte{0x28, 0xb5, 0x2f, 0xfd}, "zstd stream"},
		{"lz4 magic only", []byte{0x04, 0x22, 0x4d, 0x18}, "lz4 stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "_"), tc.file)
			src, err := OpenFiles([]string{name}, FileOptions{})
			if err == nil {
				src.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to name %s and say %q", err, name, tc.want)
			}
		})
	}
}

// TestAheadReaderOrder: the read-ahead hands out every byte in order and
// the source's error after them, whatever the read sizes.
func TestAheadReaderOrder(t *testing.T) {
	data := make([]byte, 3*aheadBufSize+12345)
	for i := range data {
		data[i] = byte(i * 7)
	}
	cause := errors.New("boom")
	a := newAheadReader(io.NopCloser(io.MultiReader(bytes.NewReader(data), &errReader{cause})))
	defer a.Close()
	var got []byte
	buf := make([]byte, 1000)
	var err error
	for range 10000 {
		var n int
		n, err = a.Read(buf[:1+len(got)%999])
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	if !errors.Is(err, cause) || !bytes.Equal(got, data) {
		t.Fatalf("read %d of %d bytes (equal %v), error %v", len(got), len(data), bytes.Equal(got, data[:min(len(got), len(data))]), err)
	}
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }
