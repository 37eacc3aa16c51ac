package main

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// TestDigest holds hashread to crypto/sha256 over files shorter than,
// equal to and longer than its read buffer, with the hash reused between
// files as main reuses it: a digest that kept state across files, or
// dropped a buffer's tail, would differ.
func TestDigest(t *testing.T) {
	dir := t.TempDir()
	h := sha256.New()
	buf := make([]byte, 1000)
	for _, n := range []int{0, 1, 999, 1000, 1001, 5000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + n)
		}
		name := filepath.Join(dir, "f")
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := digest(h, buf, name)
		if err != nil {
			t.Fatal(err)
		}
		if want := sha256.Sum256(data); string(got) != string(want[:]) {
			t.Errorf("%d bytes: digest %x, want %x", n, got, want)
		}
	}
	if _, err := digest(h, buf, filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file gave no error")
	}
}
