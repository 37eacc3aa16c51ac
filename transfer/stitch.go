package transfer

import (
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/ftpscope/ftpscope/analysis"
)

// Resumed downloads (issue 13): pieces of one file fetched with REST from
// the same server under the same path are put together. Every whole
// download of a file is a piece [REST offset, offset + bytes); once a file
// has a piece with an offset, the ledger of that file says which ranges the
// pieces cover, and with --extract the pieces are written at their offsets
// into one file, name.stitched, whose digests are given once the ranges
// cover the announced size.

// maxStitched bounds the files followed for stitching.
const maxStitched = 4096

type stitchKey struct{ server, path string }

type stitchState struct {
	ranges  [][2]uint64
	size    uint64
	file    string // the stitched file's name in the directory ("" until written)
	resumed bool   // a piece with a REST offset was seen
	failed  bool   // writing the stitched file failed
	// pieces are the extracted pieces not yet written into the stitched
	// file (at most maxPieces): a file is stitched only once it is resumed,
	// so a file fetched once is written once.
	pieces []piece
}

type piece struct {
	name   string
	offset uint64
}

// maxPieces bounds the pieces of one file held before it is resumed.
const maxPieces = 16

// stitch records a whole download as a piece of its file and returns what
// the pieces cover, when the file was resumed at least once.
func (c *Consumer) stitch(s *analysis.Session, ch *analysis.Channel, st *stream, whole bool) *analysis.Stitch {
	t := ch.Transfer
	if !whole || t == nil || t.Path == "" || t.PathRelative || t.Direction.String() != "download" || t.Bytes == 0 {
		return nil
	}
	k := stitchKey{s.Server.Addr().String(), t.Path}
	ss := c.stitches[k]
	if ss == nil {
		if len(c.stitches) >= maxStitched {
			return nil
		}
		if c.stitches == nil {
			c.stitches = map[stitchKey]*stitchState{}
		}
		ss = &stitchState{}
		c.stitches[k] = ss
	}
	if t.ExpectedFrom != analysis.SizeNone {
		ss.size = t.ExpectedBytes
	}
	from := t.RestOffset
	ss.ranges = mergeRange(ss.ranges, [2]uint64{from, from + t.Bytes})
	if t.Rest && from > 0 {
		ss.resumed = true
	}
	if c.root != nil && st.extracted != "" && !ss.failed && len(ss.pieces) < maxPieces {
		ss.pieces = append(ss.pieces, piece{st.extracted, from})
	}
	if !ss.resumed {
		return nil
	}
	for _, p := range ss.pieces {
		if !ss.failed {
			c.writePiece(ss, p.name, p.offset)
		}
	}
	ss.pieces = ss.pieces[:0]
	out := &analysis.Stitch{Ranges: append([][2]uint64(nil), ss.ranges...), Size: ss.size}
	out.Covered = ss.size > 0 && len(ss.ranges) == 1 && ss.ranges[0][0] == 0 && ss.ranges[0][1] >= ss.size
	if ss.file != "" && !ss.failed {
		out.File = filepath.Join(c.o.ExtractDir, ss.file)
		if out.Covered {
			out.Digests = c.digestFile(ss.file, ss.size)
		}
	}
	return out
}

// mergeRange adds r to sorted, disjoint ranges.
func mergeRange(rs [][2]uint64, r [2]uint64) [][2]uint64 {
	rs = append(rs, r)
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	out := rs[:1]
	for _, x := range rs[1:] {
		last := &out[len(out)-1]
		if x[0] <= last[1] {
			last[1] = max(last[1], x[1])
		} else {
			out = append(out, x)
		}
	}
	return out
}

// writePiece copies an extracted piece into the stitched file at offset.
func (c *Consumer) writePiece(ss *stitchState, piece string, offset uint64) {
	if ss.file == "" {
		ss.file = c.name(piece + ".stitched")
	}
	src, err := c.root.Open(piece)
	if err != nil {
		ss.failed = true
		return
	}
	defer src.Close()
	dst, err := c.root.OpenFile(ss.file, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		ss.failed = true
		return
	}
	defer dst.Close()
	if _, err := dst.Seek(int64(offset), io.SeekStart); err != nil {
		ss.failed = true
		return
	}
	if _, err := io.Copy(dst, src); err != nil {
		ss.failed = true
		c.errs = append(c.errs, err)
	}
}

// digestFile hashes the first size bytes of a file in the directory.
func (c *Consumer) digestFile(name string, size uint64) []analysis.Digest {
	f, err := c.root.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []analysis.Digest
	for _, a := range c.o.Hashes {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil
		}
		h := newHash(a)
		if n, err := io.CopyN(h, f, int64(size)); err != nil || uint64(n) != size {
			return nil
		}
		out = append(out, analysis.Digest{Algorithm: a, Hex: hex.EncodeToString(h.Sum(nil))})
	}
	return out
}
