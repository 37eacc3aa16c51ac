package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// compareWithPcapgo reads file (a pcap file's bytes) with pcapRecords and
// with pcapgo's ZeroCopyReadPacketData through read buffers of bufSize (at
// least 4096, or pcapgo would put a buffer of its own in front), and fails on
// the first record, capture info, error or consumed offset where they part.
func compareWithPcapgo(t *testing.T, file []byte, bufSize int) {
	t.Helper()
	if len(file) < pcapFileHeaderLen {
		return
	}
	magic := binary.BigEndian.Uint32(file)
	var order binary.ByteOrder
	switch magic {
	case magicPcapMicro, magicPcapNano:
		order = binary.BigEndian
	case magicPcapMicroSwapped, magicPcapNanoSwapped:
		order = binary.LittleEndian
	default:
		return
	}
	snaplen := order.Uint32(file[16:20])
	if snaplen > maxSnaplen {
		return // refused before either reader starts
	}
	rawA, rawB := &countingReader{r: bytes.NewReader(file)}, &countingReader{r: bytes.NewReader(file)}
	bufA := bufio.NewReaderSize(rawA, bufSize)
	ra, errA := pcapgo.NewReader(bufA)
	bufB := bufio.NewReaderSize(rawB, bufSize)
	_, errB := pcapgo.NewReader(bufB)
	if errA != nil || errB != nil {
		return
	}
	rb := newPcapRecords(bufB, rawB, order, magic == magicPcapNano || magic == magicPcapNanoSwapped, snaplen, bufSize)
	for i := 1; ; i++ {
		da, ca, ea := ra.ZeroCopyReadPacketData()
		var cb gopacket.CaptureInfo
		db, eb := rb.next(&cb)
		if errors.Is(eb, errRecordTooLong) && ca.CaptureLength > maxRecordLen {
			return // pcapgo takes records up to the snap length; ftpscope stops at its limit
		}
		if (ea == nil) != (eb == nil) || ea != nil && ea.Error() != eb.Error() {
			t.Fatalf("record %d: pcapgo says %v, pcapRecords %v", i, ea, eb)
		}
		if ea == nil && !bytes.Equal(da, db) {
			t.Fatalf("record %d: bytes differ", i)
		}
		if ca.Timestamp != cb.Timestamp || ca.CaptureLength != cb.CaptureLength || ca.Length != cb.Length {
			t.Fatalf("record %d: capture info %+v, want pcapgo's %+v", i, cb, ca)
		}
		// Where each has got to: what the file gave minus what is left
		// buffered (minus, for pcapRecords, the record handed out).
		if a, b := rawA.n-int64(bufA.Buffered()), rawB.n-int64(bufB.Buffered()+rb.pending()); a != b {
			t.Fatalf("record %d (error %v): pcapgo consumed %d bytes, pcapRecords %d", i, ea, a, b)
		}
		if ea != nil {
			// The end, damage or a failed length check: the file reader
			// stops at the first error.
			if !errors.Is(ea, io.EOF) && !errors.Is(ea, io.ErrUnexpectedEOF) && cb.CaptureLength == 0 {
				t.Fatalf("record %d: unexpected error %v", i, ea)
			}
			return
		}
	}
}

// pcapFixtures returns the classic pcap files of the corpus.
func pcapFixtures(t testing.TB) [][]byte {
	var out [][]byte
	for _, pat := range []string{"../pcaps/*/*.pcap", "../pcaps/*/*/*.pcap"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d pcap files in ../pcaps", len(out))
	}
	return out
}

// TestPcapRecordsMatchPcapgo: on every pcap of the corpus, cut at every
// length, with read buffers smaller and larger than the records, the in-place
// reader hands out what pcapgo would, and stops where and as pcapgo would.
func TestPcapRecordsMatchPcapgo(t *testing.T) {
	files := pcapFixtures(t)
	// A record larger than the small read buffer, and odd headers.
	big := pcapBytes(t, layers.LinkTypeEthernet, 262144, recs(t0, bytes.Repeat([]byte{0xab}, 9000), []byte("short frame")))
	bad := append([]byte(nil), big...)
	binary.LittleEndian.PutUint32(bad[24+8:], 300000) // caplen above the snap length
	worse := append([]byte(nil), big...)
	binary.LittleEndian.PutUint32(worse[24+12:], 10) // caplen above the wire length
	files = append(files, big, bad, worse)
	// The other byte order, and nanosecond timestamps.
	files = append(files, swapPcap(t, files[0], false), swapPcap(t, files[0], true))
	for i, f := range files {
		for _, size := range []int{4096, readBufSize} {
			compareWithPcapgo(t, f, size)
			if i < 3 || len(f) < 4096 {
				for cut := pcapFileHeaderLen; cut < len(f); cut += 1 + cut/64 {
					compareWithPcapgo(t, f[:cut], size)
				}
			}
		}
	}
}

// FuzzPcapRecords holds pcapRecords to pcapgo on arbitrary files.
func FuzzPcapRecords(f *testing.F) {
	for _, b := range pcapFixtures(f) {
		if len(b) < 2000 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		compareWithPcapgo(t, file, 4096)
	})
}

// swapPcap rewrites a little-endian microsecond pcap file as big-endian,
// with nanosecond timestamps when nano is set.
func swapPcap(t *testing.T, le []byte, nano bool) []byte {
	t.Helper()
	if binary.LittleEndian.Uint32(le) != 0xa1b2c3d4 {
		t.Fatal("swapPcap wants a little-endian microsecond pcap")
	}
	be := append([]byte(nil), le...)
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	binary.BigEndian.PutUint32(be[0:], magic)
	binary.BigEndian.PutUint16(be[4:], binary.LittleEndian.Uint16(le[4:]))
	binary.BigEndian.PutUint16(be[6:], binary.LittleEndian.Uint16(le[6:]))
	for _, off := range []int{8, 12, 16, 20} {
		binary.BigEndian.PutUint32(be[off:], binary.LittleEndian.Uint32(le[off:]))
	}
	for off := pcapFileHeaderLen; off+pcapRecordHeaderLen <= len(le); {
		for i := 0; i < 16; i += 4 {
			v := binary.LittleEndian.Uint32(le[off+i:])
			if i == 4 && nano {
				v *= 1000
			}
			binary.BigEndian.PutUint32(be[off+i:], v)
		}
		off += pcapRecordHeaderLen + int(binary.LittleEndian.Uint32(le[off+8:]))
	}
	return be
}
