package analysis

import "testing"

// FuzzAfterTLSRecords: any bytes give a suffix of themselves (or nil), and
// printableTail a printable suffix.
func FuzzAfterTLSRecords(f *testing.F) {
	f.Add([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00, 'P', 'W', 'D'})
	f.Add([]byte{0x17, 0x03, 0x03, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := afterTLSRecords(b)
		if r != nil && (len(r) > len(b) || string(b[len(b)-len(r):]) != string(r)) {
			t.Fatalf("afterTLSRecords(%x) = %x, not a suffix", b, r)
		}
		tail := printableTail(b)
		if len(tail) > 0 && !printableLine(append([]byte("abc"), tail...)) {
			t.Fatalf("printableTail(%x) = %x", b, tail)
		}
		_, _ = clearCommand(b)
	})
}
