package capture

import (
	"bytes"
	"encoding/binary"
	"flag"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Hostile capture files: each is made on the fly (a header and then a
// generator, so that a file claiming gigabytes costs the test nothing to
// hold), read through OpenFiles as standard input, and must be reported as
// damage naming the block or record while the reader allocates no more than
// a bound, all allocations counted (TotalAlloc), garbage included.

var hostileFull = flag.Bool("hostile-full", false, "run the hostile-capture tests at full size (make hostile)")

// allocatedWhile returns the bytes allocated while f ran.
func allocatedWhile(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// repeated serves b n times.
type repeated struct {
	b   []byte
	n   int
	off int
}

func (r *repeated) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 && r.n > 0 {
		c := copy(p, r.b[r.off:])
		p, total, r.off = p[c:], total+c, r.off+c
		if r.off == len(r.b) {
			r.off, r.n = 0, r.n-1
		}
	}
	if total == 0 {
		return 0, io.EOF
	}
	return total, nil
}

// readHostile reads the capture in r as standard input and returns the
// packets delivered, the damage, and what the reading allocated.
func readHostile(t *testing.T, r io.Reader) (packets int, damage []Damage, alloc uint64) {
	t.Helper()
	alloc = allocatedWhile(func() {
		src, err := OpenFiles([]string{"-"}, FileOptions{Stdin: r})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer src.Close()
		for {
			_, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			packets++
		}
		damage = src.Stats().Damage
	})
	return packets, damage, alloc
}

// ngIDB is an interface description block (little endian) with a snap
// length and raw options (already padded, end of options included).
func ngIDB(lt layers.LinkType, snaplen uint32, opts []byte) []byte {
	body := binary.LittleEndian.AppendUint16(nil, uint16(lt))
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint32(body, snaplen)
	return ngBlock(ngBlockInterface, append(body, opts...))
}

// ngSHB is a little-endian section header block without options.
func ngSHB() []byte {
	body := binary.LittleEndian.AppendUint32(nil, ngByteOrderMagic)
	body = binary.LittleEndian.AppendUint16(body, 1)
	body = binary.LittleEndian.AppendUint16(body, 0)
	body = binary.LittleEndian.AppendUint64(body, ^uint64(0))
	n := uint32(12 + len(body))
	out := binary.BigEndian.AppendUint32(nil, ngBlockSection)
	out = binary.LittleEndian.AppendUint32(out, n)
	out = append(out, body...)
	return binary.LittleEndian.AppendUint32(out, n)
}

// ngEPB is an enhanced packet block header for interface 0 claiming a
// captured length of caplen, with a block length to match; the packet
// bytes (and trailing length) are not included.
func ngEPBHeader(ts uint64, caplen uint32) []byte {
	n := uint32(32 + (caplen+3)&^3)
	b := binary.LittleEndian.AppendUint32(nil, ngBlockEnhanced)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(ts>>32))
	b = binary.LittleEndian.AppendUint32(b, uint32(ts))
	b = binary.LittleEndian.AppendUint32(b, caplen)
	return binary.LittleEndian.AppendUint32(b, caplen)
}

// ngEPB is a whole enhanced packet block for interface 0.
func ngEPB(ts uint64, data []byte) []byte {
	b := append(ngEPBHeader(ts, uint32(len(data))), data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return binary.LittleEndian.AppendUint32(b, uint32(len(b)+4))
}

// TestHostilePcapngPacketLength (issue 12, item 1): an enhanced packet block
// claiming a captured length of 1 GiB, beyond the interface's snap length
// or, with no snap length, beyond ftpscope's limit, followed by as many
// bytes as a compressed file gives. It used to be read whole (4.1 GB for
// 1 GiB); now it is damage naming the block, after the good packet.
func TestHostilePcapngPacketLength(t *testing.T) {
	frame := data4.ether(t)
	follow := int64(256 << 20)
	if testing.Short() {
		follow = 64 << 20
	}
	for _, tc := range []struct {
		name    string
		snaplen uint32
		caplen  uint32
		want    string
	}{
		{"over the snap length", 65535, 1 << 30, "captured length 1073741824 exceeds interface 0's snap length 65535"},
		{"no snap length", 0, 1 << 30, "captured length exceeds ftpscope's limit of 1048576 bytes: 1073741824"},
		{"over the block", 0, 1000, "captured length 1000 exceeds the block's 996 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := append(ngSHB(), ngIDB(layers.LinkTypeEthernet, tc.snaplen, nil)...)
			head = append(head, ngEPB(uint64(t0.UnixMicro()), frame)...)
			epb := ngEPBHeader(uint64(t0.UnixMicro())+1, tc.caplen)
			if tc.name == "over the block" {
				binary.LittleEndian.PutUint32(epb[4:], 32+996)
			}
			head = append(head, epb...)
			n, d, alloc := readHostile(t, io.MultiReader(bytes.NewReader(head), io.LimitReader(zeros{}, follow)))
			if n != 1 || len(d) != 1 || d[0].AfterPacket != 1 {
				t.Fatalf("%d packets, damage %v; want the good packet, then damage", n, d)
			}
			if msg := d[0].Error(); !strings.Contains(msg, "pcapng block 4 (enhanced packet)") || !strings.Contains(msg, tc.want) {
				t.Errorf("damage %q, want it to name block 4 and say %q", msg, tc.want)
			}
			if d[0].Offset != int64(len(head)-len(epb)) {
				t.Errorf("damage at offset %d, want %d (the block's start)", d[0].Offset, len(head)-len(epb))
			}
			if alloc > 16<<20 {
				t.Errorf("reading allocated %d MiB, bound 16 MiB", alloc>>20)
			}
			t.Logf("allocated %.1f MiB", float64(alloc)/(1<<20))
		})
	}
}

// TestHostilePcapngInterfaces (issue 12, item 2): millions of interface
// description blocks (5 000 000 took 4.15 GB and 21 s) are damage after
// ftpscope's limit per section, in number or in bytes, naming the limit.
func TestHostilePcapngInterfaces(t *testing.T) {
	count := 200000
	if *hostileFull {
		count = 5000000
	}
	comment := make([]byte, 4+4000)
	binary.LittleEndian.PutUint16(comment, 1) // opt_comment
	binary.LittleEndian.PutUint16(comment[2:], 4000)
	comment = append(comment, 0, 0, 0, 0) // end of options
	for _, tc := range []struct {
		name  string
		idb   []byte
		count int
		want  string
	}{
		{"many", ngIDB(layers.LinkTypeEthernet, 65535, nil), count, "more than 4096 interface description blocks in one section"},
		{"large", ngIDB(layers.LinkTypeEthernet, 65535, comment), 2000, "interface description blocks take more than 4194304 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frame := data4.ether(t)
			good := append(ngSHB(), ngIDB(layers.LinkTypeEthernet, 65535, nil)...)
			good = append(good, ngEPB(uint64(t0.UnixMicro()), frame)...)
			start := time.Now()
			n, d, alloc := readHostile(t, io.MultiReader(bytes.NewReader(good), &repeated{b: tc.idb, n: tc.count},
				bytes.NewReader(ngEPB(uint64(t0.UnixMicro())+1, frame))))
			if n != 1 || len(d) != 1 {
				t.Fatalf("%d packets, damage %v; want the good packet, then damage", n, d)
			}
			if msg := d[0].Error(); !strings.Contains(msg, "(interface description)") || !strings.Contains(msg, tc.want) {
				t.Errorf("damage %q, want it to say %q", msg, tc.want)
			}
			if alloc > 32<<20 {
				t.Errorf("reading allocated %d MiB, bound 32 MiB", alloc>>20)
			}
			t.Logf("%d blocks: allocated %.1f MiB in %v", tc.count, float64(alloc)/(1<<20), time.Since(start))
		})
	}
}

// TestHostilePcapRecordLength (issue 12, item 4): classic pcap records of
// 256 MiB (the largest snap length a header may declare) are damage at
// ftpscope's record limit, not buffers grown to their size.
func TestHostilePcapRecordLength(t *testing.T) {
	frame := data4.ether(t)
	head := rawPcap(binary.LittleEndian, false, maxSnaplen, layers.LinkTypeEthernet, recs(t0, frame))
	rec := binary.LittleEndian.AppendUint32(nil, uint32(t0.Unix()+1))
	rec = binary.LittleEndian.AppendUint32(rec, 0)
	rec = binary.LittleEndian.AppendUint32(rec, maxSnaplen)
	rec = binary.LittleEndian.AppendUint32(rec, maxSnaplen)
	follow := int64(128 << 20)
	if testing.Short() {
		follow = 32 << 20
	}
	n, d, alloc := readHostile(t, io.MultiReader(bytes.NewReader(head), bytes.NewReader(rec), io.LimitReader(zeros{}, follow)))
	if n != 1 || len(d) != 1 || d[0].AfterPacket != 1 || d[0].Offset != int64(len(head)) {
		t.Fatalf("%d packets, damage %+v; want the good packet, then damage at %d", n, d, len(head))
	}
	if msg := d[0].Error(); !strings.Contains(msg, "captured length exceeds ftpscope's limit of 1048576 bytes: 268435456") {
		t.Errorf("damage %q does not name the limit", msg)
	}
	if alloc > 16<<20 {
		t.Errorf("reading allocated %d MiB, bound 16 MiB", alloc>>20)
	}
	t.Logf("allocated %.1f MiB", float64(alloc)/(1<<20))
}

// TestPcapngTimestampOffset (issue 12, item 16): an if_tsoffset that pushes
// the packets' times past the year 9999 (they read as the year
// 292277026596, which no RFC 3339 time can say) is damage naming the
// block; a sane offset shifts the times.
func TestPcapngTimestampOffset(t *testing.T) {
	frame := data4.ether(t)
	tsoffset := func(off uint64) []byte {
		o := binary.LittleEndian.AppendUint16(nil, 14) // if_tsoffset
		o = binary.LittleEndian.AppendUint16(o, 8)
		o = binary.LittleEndian.AppendUint64(o, off)
		return append(o, 0, 0, 0, 0)
	}
	file := func(off uint64) []byte {
		b := append(ngSHB(), ngIDB(layers.LinkTypeEthernet, 65535, tsoffset(off))...)
		b = append(b, ngEPB(5_000_000, frame)...) // 5 s
		return append(b, ngEPB(6_000_000, frame)...)
	}
	src := openBytes(t, file(uint64(t0.Unix())))
	ps := readAll(t, src)
	if len(ps) != 2 || !ps[0].Time.Equal(t0.Add(5*time.Second)) || len(src.Stats().Damage) > 0 {
		t.Fatalf("sane offset: %d packets, first at %v, damage %v", len(ps), ps[0].Time, src.Stats().Damage)
	}
	for _, off := range []uint64{1 << 62, 253402300800, 1<<64 - 100} {
		src := openBytes(t, file(off))
		ps := readAll(t, src)
		d := src.Stats().Damage
		if len(ps) != 0 || len(d) != 1 {
			t.Fatalf("offset %d: %d packets (first at %v), damage %v", off, len(ps), ps, d)
		}
		if msg := d[0].Error(); !strings.Contains(msg, "pcapng block 3 (packet)") || !strings.Contains(msg, "outside 1970-9999") {
			t.Errorf("offset %d: damage %q", off, msg)
		}
	}
}
