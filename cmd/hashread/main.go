// Command hashread is the yardstick `make bench` holds ftpscope's --hash
// sha256 to: it digests files with SHA-256 and nothing else. It uses Go's
// crypto/sha256, the implementation ftpscope's --hash uses (with the CPU's
// SHA instructions where it has them), so the comparison is of the work
// around the digest, not of two SHA-256 implementations: coreutils'
// sha256sum is portable C without those instructions and several times
// slower on such CPUs, which would flatter ftpscope.
//
// Usage: hashread FILE... — prints one "digest  name" line per file, as
// sha256sum does, so a digest can be checked against ftpscope's.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// bufSize is a large read, so the cost left beside the digest is one
// copy out of the page cache.
const bufSize = 1 << 20

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hashread FILE...")
		os.Exit(2)
	}
	buf := make([]byte, bufSize)
	h := sha256.New()
	for _, name := range os.Args[1:] {
		sum, err := digest(h, buf, name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hashread:", err)
			os.Exit(1)
		}
		fmt.Printf("%s  %s\n", hex.EncodeToString(sum), name)
	}
}

// digest returns the SHA-256 of the file name, reading through buf.
func digest(h interface {
	io.Writer
	Reset()
	Sum([]byte) []byte
}, buf []byte, name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer f.Close()
	h.Reset()
	if _, err := io.CopyBuffer(h, f, buf); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return h.Sum(nil), nil
}
