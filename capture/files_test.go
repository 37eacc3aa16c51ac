package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// TestFormats reads the same three packets from every file format.
func TestFormats(t *testing.T) {
	frames := [][]byte{syn("192.0.2.1:40000", "192.0.2.2:21").ether(t), data4.ether(t), data6.ether(t)}
	// Sub-microsecond times show whether nanoseconds survive.
	rs := []rec{
		{t: t0.Add(123456789 * time.Nanosecond), data: frames[0]},
		{t: t0.Add(time.Second + 1), data: frames[1]},
		{t: t0.Add(2*time.Second + 999), data: frames[2]},
	}
	eth := layers.LinkTypeEthernet
	pcapMicro := pcapBytes(t, eth, 65535, rs)
	ng := ngBytes(t, []layers.LinkType{eth}, rs)
	tests := []struct {
		name string
		file []byte
		nano bool
	}{
		{"pcap", pcapMicro, false},
		{"pcap nanoseconds", pcapNanoBytes(t, eth, rs), true},
		{"pcap big endian", rawPcap(binary.BigEndian, false, 65535, eth, rs), false},
		{"pcap big endian nanoseconds", rawPcap(binary.BigEndian, true, 65535, eth, rs), true},
		{"pcap little endian by hand", rawPcap(binary.LittleEndian, false, 65535, eth, rs), false},
		{"pcap gzip", gzipBytes(t, pcapMicro), false},
		{"pcapng", ng, true},
		{"pcapng gzip", gzipBytes(t, ng), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := readAll(t, openBytes(t, tc.file))
			if len(ps) != len(rs) {
				t.Fatalf("read %d packets, want %d", len(ps), len(rs))
			}
			for i, p := range ps {
				want := rs[i].t
				if !tc.nano {
					want = want.Truncate(time.Microsecond)
				}
				if !p.Time.Equal(want) {
					t.Errorf("packet %d time %v, want %v", i, p.Time, want)
				}
				if p.Kind != KindTCP || p.Num != uint64(i+1) || p.FileNum != uint64(i+1) || p.File != "-" {
					t.Errorf("packet %d: %v num %d filenum %d file %q", i, p.Kind, p.Num, p.FileNum, p.File)
				}
			}
		})
	}
}

// TestPcapngMixedLinkTypes: a pcapng file with interfaces of different link
// types (what Wireshark writes when capturing on several interfaces) and a
// block type we do not know.
func TestPcapngMixedLinkTypes(t *testing.T) {
	var b bytes.Buffer
	w := ngWriter(t, &b, []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2, layers.LinkTypeRaw})
	write := func(r rec) {
		if err := w.WritePacket(r.ci(), r.data); err != nil {
			t.Fatal(err)
		}
	}
	write(rec{t: t0, data: data4.ether(t), iface: 0})
	write(rec{t: t0.Add(time.Millisecond), data: sll2Frame(data6.ipPacket(t), layers.EthernetTypeIPv6), iface: 1})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	b.Write(ngBlock(0x0BADF00D, []byte("a custom block nobody knows")))
	write(rec{t: t0.Add(2 * time.Millisecond), data: data4.ipPacket(t), iface: 2})
	write(rec{t: t0.Add(3 * time.Millisecond), data: data6.ether(t), iface: 0})
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	src := openBytes(t, b.Bytes())
	want := []seg{data4, data6, data4, data6}
	for i, w := range want {
		p, err := src.Next()
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		checkSeg(t, p, w)
	}
	if _, err := src.Next(); err != io.EOF {
		t.Errorf("after the last packet: %v, want EOF", err)
	}
	if st := src.Stats(); st.TCP != 4 || len(st.Damage) != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestStdin reads "-" from FileOptions.Stdin and refuses it when absent.
func TestStdin(t *testing.T) {
	file := pcapBytes(t, layers.LinkTypeEthernet, 65535, recs(t0, data4.ether(t), data6.ether(t)))
	src, err := OpenFiles([]string{"-"}, FileOptions{Stdin: io.MultiReader(bytes.NewReader(file[:10]), bytes.NewReader(file[10:]))})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if ps := readAll(t, src); len(ps) != 2 || ps[1].File != "-" {
		t.Errorf("read %d packets", len(ps))
	}
	if _, err := OpenFiles([]string{"-"}, FileOptions{}); err == nil || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("no stdin: %v", err)
	}
	two := FileOptions{Stdin: bytes.NewReader(file)}
	if _, err := OpenFiles([]string{"-", "-"}, two); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("stdin twice: %v", err)
	}
}

// TestMerge: captures given together read as one timeline.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	a, b := data4.ether(t), data6.ether(t)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	fileA := writeFile(t, dir, "a.pcap", pcapBytes(t, layers.LinkTypeEthernet, 65535,
		[]rec{{t: ms(1), data: a}, {t: ms(3), data: a}, {t: ms(5), data: a}, {t: ms(9), data: a}}))
	fileB := writeFile(t, dir, "b.pcapng.gz", gzipBytes(t, ngBytes(t, []layers.LinkType{layers.LinkTypeEthernet},
		[]rec{{t: ms(2), data: b}, {t: ms(3), data: b}, {t: ms(4), data: b}, {t: ms(10), data: b}})))
	src, err := OpenFiles([]string{fileA, fileB}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	type got struct {
		file    string
		fileNum uint64
		ms      int
	}
	want := []got{{fileA, 1, 1}, {fileB, 1, 2}, {fileA, 2, 3}, {fileB, 2, 3}, {fileB, 3, 4}, {fileA, 3, 5}, {fileA, 4, 9}, {fileB, 4, 10}}
	ps := readAll(t, src)
	if len(ps) != len(want) {
		t.Fatalf("read %d packets, want %d", len(ps), len(want))
	}
	for i, p := range ps {
		g := got{p.File, p.FileNum, int(p.Time.Sub(t0) / time.Millisecond)}
		if g != want[i] || p.Num != uint64(i+1) {
			t.Errorf("packet %d: %+v num %d, want %+v", i+1, g, p.Num, want[i])
		}
		if (p.File == fileA) != p.Src.Addr().Is4() {
			t.Errorf("packet %d from %s decoded as %v", i+1, p.File, p.Src)
		}
	}
	st := src.Stats()
	if st.BackwardsTime != 0 || !st.First.Equal(ms(1)) || !st.Last.Equal(ms(10)) || st.Packets != 8 {
		t.Errorf("stats %+v", st)
	}
}

// TestMergeRotated: rotated captures (tcpdump -G / -C) do not overlap, so
// each file is reopened only when its turn comes. Files given out of order
// still read in time order.
func TestMergeRotated(t *testing.T) {
	dir := t.TempDir()
	var names []string
	for i := 4; i >= 0; i-- { // newest first on the command line
		var rs []rec
		for j := range 3 {
			rs = append(rs, rec{t: t0.Add(time.Duration(i*10+j) * time.Second), data: data4.ether(t)})
		}
		names = append(names, writeFile(t, dir, "rot"+string(rune('0'+i))+".pcap", pcapBytes(t, layers.LinkTypeEthernet, 65535, rs)))
	}
	names = append(names, writeFile(t, dir, "empty.pcap", pcapBytes(t, layers.LinkTypeEthernet, 65535, nil)))
	src, err := OpenFiles(names, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fs := src.(*fileSource)
	for _, in := range fs.inputs {
		if in.active {
			t.Errorf("%s still open after OpenFiles", in.name)
		}
	}
	ps := readAll(t, src)
	if len(ps) != 15 {
		t.Fatalf("read %d packets", len(ps))
	}
	for i, p := range ps {
		wantFile := names[4-i/3]
		if p.File != wantFile || p.FileNum != uint64(i%3+1) || !p.Time.Equal(t0.Add(time.Duration(i/3*10+i%3)*time.Second)) {
			t.Errorf("packet %d: %s #%d at %v", i+1, filepath.Base(p.File), p.FileNum, p.Time)
		}
	}
	if st := src.Stats(); st.BackwardsTime != 0 || len(st.Damage) != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestMergeFileChanged: a file replaced between OpenFiles and its turn is
// reported, not silently read.
func TestMergeFileChanged(t *testing.T) {
	dir := t.TempDir()
	first := writeFile(t, dir, "first.pcap", pcapBytes(t, layers.LinkTypeEthernet, 65535, recs(t0, data4.ether(t))))
	second := writeFile(t, dir, "second.pcap", pcapBytes(t, layers.LinkTypeEthernet, 65535, recs(t0.Add(time.Hour), data4.ether(t))))
	src, err := OpenFiles([]string{first, second}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	writeFile(t, dir, "second.pcap", pcapBytes(t, layers.LinkTypeEthernet, 65535, recs(t0.Add(2*time.Hour), data4.ether(t))))
	if ps := readAll(t, src); len(ps) != 1 {
		t.Errorf("read %d packets, want 1", len(ps))
	}
	st := src.Stats()
	if len(st.Damage) != 1 || st.Damage[0].File != second || !strings.Contains(st.Damage[0].Error(), "changed") {
		t.Errorf("damage %v", st.Damage)
	}
}

// TestBackwardsTime counts frames older than the one before them.
func TestBackwardsTime(t *testing.T) {
	f := data4.ether(t)
	s := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	src := openBytes(t, pcapBytes(t, layers.LinkTypeEthernet, 65535,
		[]rec{{t: s(1), data: f}, {t: s(3), data: f}, {t: s(2), data: f}, {t: s(2), data: f}, {t: s(4), data: f}, {t: s(0), data: f}}))
	ps := readAll(t, src)
	st := src.Stats()
	if len(ps) != 6 || st.BackwardsTime != 2 || !st.First.Equal(s(1)) || !st.Last.Equal(s(0)) {
		t.Errorf("read %d, stats %+v", len(ps), st)
	}
}

// TestOpenErrors: what cannot be read at all is an error naming the file.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good := pcapBytes(t, layers.LinkTypeEthernet, 65535, recs(t0, data4.ether(t)))
	ng := ngBytes(t, []layers.LinkType{layers.LinkTypeEthernet}, recs(t0, data4.ether(t)))
	hugeSnap := bytes.Clone(good)
	binary.LittleEndian.PutUint32(hugeSnap[16:20], 0xffffffff)
	version := bytes.Clone(good)
	binary.LittleEndian.PutUint16(version[4:6], 3)
	minor := bytes.Clone(good)
	binary.LittleEndian.PutUint16(minor[6:8], 3)
	badOrder := bytes.Clone(ng)
	badOrder[8] = 0x99
	tests := []struct {
		name string
		file []byte // nil: no such file
		want string
		is   error
	}{
		{"missing", nil, "no such file", fs.ErrNotExist},
		{"empty", []byte{}, "empty file", nil},
		{"wrong magic", []byte("GET / HTTP/1.1\r\n\r\n"), "not a pcap or pcapng file (starts with 0x47455420)", nil},
		{"three bytes of garbage", []byte("abc"), "not a pcap or pcapng file (starts with 0x616263)", nil},
		{"three bytes of a pcap magic", good[:3], "truncated inside the file header", nil},
		{"pcap header cut", good[:20], "truncated inside the file header (20 of 24 bytes)", nil},
		{"pcapng header cut", ng[:20], "truncated inside the file header", nil},
		{"gzip of pcap header cut", gzipBytes(t, good[:12]), "truncated inside the file header (12 of 24 bytes)", nil},
		{"gzip header cut", gzipBytes(t, good)[:5], "truncated inside the gzip header", nil},
		{"gzip of nothing", gzipBytes(t, nil), "empty file (after gzip decompression)", nil},
		{"gzip of text", gzipBytes(t, []byte("hello world")), "not a pcap or pcapng file (starts with 0x68656c6c)", nil},
		{"absurd snaplen", hugeSnap, "absurd snap length 4294967295", nil},
		{"pcap version 3.4", version, "unsupported pcap version 3.4", nil},
		{"pcap version 2.3", minor, "unsupported pcap version 2.3", nil},
		{"pcapng byte order magic", badOrder, "bad pcapng section header", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if tc.file != nil {
				writeFile(t, dir, filepath.Base(name), tc.file)
			}
			// A good file first: the error must not depend on being alone,
			// and the good one must be closed again.
			goodName := writeFile(t, dir, "good.pcap", good)
			src, err := OpenFiles([]string{goodName, name}, FileOptions{})
			if err == nil {
				src.Close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to name %s and say %q", err, name, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
	if _, err := OpenFiles(nil, FileOptions{}); err == nil {
		t.Error("no files: no error")
	}
	if _, err := OpenFiles([]string{dir}, FileOptions{}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: %v", err)
	}
}

// TestDamage: an input that breaks mid-way delivers every packet before the
// break, says where it broke, and does not stop the other inputs.
func TestDamage(t *testing.T) {
	frame := data4.ether(t)
	rs := recs(t0, frame, frame, frame, frame)
	good := pcapBytes(t, layers.LinkTypeEthernet, 65535, rs)
	recLen := 16 + len(frame)
	third := 24 + 3*recLen // where the fourth record starts
	ng := ngBytes(t, []layers.LinkType{layers.LinkTypeEthernet}, rs)
	ngRec := 32 + (len(frame)+3)/4*4 // one enhanced packet block, no options
	absurd := bytes.Clone(good)
	binary.LittleEndian.PutUint32(absurd[third+8:], 0x7fffffff)
	binary.LittleEndian.PutUint32(absurd[third+12:], 0x7fffffff)
	capOverLen := bytes.Clone(good)
	binary.LittleEndian.PutUint32(capOverLen[third+12:], 10)
	badBlock := bytes.Clone(ng)
	binary.LittleEndian.PutUint32(badBlock[len(ng)-ngRec+8:], 7) // EPB for interface 7

	tests := []struct {
		name    string
		file    []byte
		after   uint64
		offset  int64
		want    string
		unexpEO bool
	}{
		{"cut inside a record header", good[:third+7], 3, int64(third),
			"unexpected EOF inside a record header (7 of 16 bytes)", true},
		{"cut inside a packet", good[:third+16+20], 3, int64(third),
			"unexpected EOF inside a packet record (20 of 70 bytes)", true},
		{"cut right after a header", good[:third+16], 3, int64(third),
			"unexpected EOF inside a packet record (0 of 70 bytes)", true},
		{"cut after the file header", good[:24+5], 0, 24, "unexpected EOF inside a record header (5 of 16 bytes)", true},
		{"absurd caplen", absurd, 3, int64(third), "bad record header: capture length exceeds snap length", false},
		{"caplen over wire length", capOverLen, 3, int64(third), "bad record header: capture length exceeds original packet length", false},
		{"gzip stream cut", gzipBytes(t, good)[:60], 0, -2, "unexpected EOF", true},
		{"pcapng cut inside a block", ng[:len(ng)-10], 3, int64(len(ng) - ngRec), "unexpected EOF inside a pcapng block", true},
		{"pcapng packet for a missing interface", badBlock, 3, int64(len(ng) - ngRec), "corrupt pcapng block: Interface id 7 not present", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bad := writeFile(t, dir, "trace.pcap", tc.file)
			// The intact file's packets come later, so they are only read
			// if the damage did not end the run.
			other := writeFile(t, dir, "other.pcap", pcapBytes(t, layers.LinkTypeEthernet, 65535, recs(t0.Add(time.Hour), frame, frame)))
			src, err := OpenFiles([]string{bad, other}, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			ps := readAll(t, src)
			var fromBad, fromOther uint64
			for _, p := range ps {
				if p.File == bad {
					fromBad++
					if p.Kind != KindTCP {
						t.Errorf("damaged file's packet %d is %v", p.FileNum, p.Kind)
					}
				} else {
					fromOther++
				}
			}
			if tc.offset != -2 && fromBad != tc.after || fromOther != 2 {
				t.Errorf("read %d packets from the damaged file and %d from the other, want %d and 2", fromBad, fromOther, tc.after)
			}
			st := src.Stats()
			if len(st.Damage) != 1 {
				t.Fatalf("damage %v", st.Damage)
			}
			d := st.Damage[0]
			if d.File != bad || tc.offset != -2 && (d.AfterPacket != tc.after || d.Offset != tc.offset) {
				t.Errorf("damage %+v, want after packet %d at offset %d", d, tc.after, tc.offset)
			}
			prefix := "capture " + bad + " damaged after packet "
			if msg := d.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q, want %q...%q", msg, prefix, tc.want)
			}
			if errors.Is(d, io.ErrUnexpectedEOF) != tc.unexpEO {
				t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = %v", d, !tc.unexpEO)
			}
			if !st.Truncated() {
				t.Error("Truncated() = false")
			}
		})
	}
}

// TestDamageMessage pins the wording of one damage line.
func TestDamageMessage(t *testing.T) {
	frame := data4.ether(t)
	var rs []rec
	for i := range 1234 {
		rs = append(rs, rec{t: t0.Add(time.Duration(i) * time.Millisecond), data: frame})
	}
	file := pcapBytes(t, layers.LinkTypeEthernet, 65535, append(rs, rec{t: t0.Add(time.Hour), data: frame}))
	src, err := OpenFiles([]string{writeFile(t, t.TempDir(), "trace.pcap", file[:len(file)-30])}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if n := len(readAll(t, src)); n != 1234 {
		t.Errorf("read %d packets", n)
	}
	st := src.Stats()
	if len(st.Damage) != 1 {
		t.Fatalf("damage %v", st.Damage)
	}
	d := st.Damage[0]
	d.File = "trace.pcap"
	if got, want := d.Error(), "capture trace.pcap damaged after packet 1234: unexpected EOF inside a packet record (40 of 70 bytes)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	d.File = "-"
	if got := d.Error(); !strings.HasPrefix(got, "capture standard input damaged after packet 1234") {
		t.Errorf("stdin: %q", got)
	}
}

// TestZeroLengthRecords: empty records are frames like any other.
func TestZeroLengthRecords(t *testing.T) {
	frame := data4.ether(t)
	src := openBytes(t, pcapBytes(t, layers.LinkTypeEthernet, 65535,
		[]rec{{t: t0, data: nil}, {t: t0, data: frame}, {t: t0, data: []byte{}, wire: 60}, {t: t0, data: frame}}))
	ps := readAll(t, src)
	if len(ps) != 4 || ps[0].Kind != KindOther || ps[1].Kind != KindTCP || ps[2].Kind != KindOther || ps[2].Len != 60 || ps[3].Kind != KindTCP {
		t.Errorf("packets %+v", ps)
	}
	if st := src.Stats(); st.Other != 2 || st.Undecodable != 2 || len(st.Damage) != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestClose: Next after Close fails; Close twice is harmless; files are
// released.
func TestClose(t *testing.T) {
	name := writeFile(t, t.TempDir(), "a.pcap", pcapBytes(t, layers.LinkTypeEthernet, 65535, recs(t0, data4.ether(t), data4.ether(t))))
	src, err := OpenFiles([]string{name}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(); err == nil {
		t.Error("Next after Close: no error")
	}
	if err := src.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if f := src.(*fileSource).inputs[0]; f.file != nil || f.active {
		t.Error("input still open")
	}
	// A source that is read to the end stays at EOF.
	src = openBytes(t, pcapBytes(t, layers.LinkTypeEthernet, 65535, nil))
	for range 3 {
		if _, err := src.Next(); err != io.EOF {
			t.Errorf("empty capture: %v", err)
		}
	}
	_ = os.ErrClosed
}
