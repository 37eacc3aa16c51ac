// Package transfer is what ftpscope does with the bytes of the files that
// FTP moved (issue 13): it takes the ordered payload of every data
// connection matched to a transfer from analysis (analysis.PayloadConsumer),
// sniffs its MIME type, hashes it (--hash) and writes it under a directory
// (--extract), safely whatever the names on the wire, with a manifest.
// analysis decides whether a transfer arrived whole; this package only
// reports digests of streams analysis says are whole.
package transfer

import (
	"bufio"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/ftpscope/ftpscope/analysis"
)

// Algorithms are the digests --hash offers, in the order they are reported.
var Algorithms = []string{"md5", "sha1", "sha256"}

func newHash(name string) hash.Hash {
	switch name {
	case "md5":
		return md5.New()
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	}
	return nil
}

// ParseHashes checks a --hash list ("md5,sha256") and returns it in
// Algorithms order, each once.
func ParseHashes(list []string) ([]string, error) {
	want := map[string]bool{}
	for _, h := range list {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if newHash(h) == nil {
			return nil, fmt.Errorf("unknown hash %q (md5, sha1, sha256)", h)
		}
		want[h] = true
	}
	var out []string
	for _, a := range Algorithms {
		if want[a] {
			out = append(out, a)
		}
	}
	return out, nil
}

// sniffLen is how many first bytes the MIME type is told from (mimetype's
// default read limit).
const sniffLen = 3072

// Options says what a Consumer does with the bytes.
type Options struct {
	// Hashes are the digests to compute (ParseHashes).
	Hashes []string
	// ExtractDir, when set, is where the files are written.
	ExtractDir string
	// MaxExtractBytes caps the bytes written under ExtractDir in all
	// (0: no cap).
	MaxExtractBytes int64
}

// Consumer is an analysis.PayloadConsumer. It is used from the analysing
// goroutine only.
type Consumer struct {
	o        Options
	root     *os.Root
	manifest *os.File
	// written counts the bytes written under the directory; partials
	// numbers the temporary files; taken holds the names given.
	written  int64
	partials int
	taken    map[string]bool
	capped   bool
	errs     []error
	// stitches follows the files fetched in pieces (stitch.go).
	stitches map[stitchKey]*stitchState
	// Files counts the files extracted.
	Files int
}

// New returns a Consumer; with an extraction directory it creates it (and
// its parents) and its manifest.jsonl.
func New(o Options) (*Consumer, error) {
	c := &Consumer{o: o, taken: map[string]bool{"manifest.jsonl": true}}
	if o.ExtractDir == "" {
		return c, nil
	}
	if err := os.MkdirAll(o.ExtractDir, 0o755); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	root, err := os.OpenRoot(o.ExtractDir)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	if fi, err := root.Lstat("manifest.jsonl"); err == nil && !fi.Mode().IsRegular() {
		root.Close()
		return nil, fmt.Errorf("extract: %s is not a regular file", filepath.Join(o.ExtractDir, "manifest.jsonl"))
	}
	m, err := root.OpenFile("manifest.jsonl", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("extract: %w", err)
	}
	c.root, c.manifest = root, m
	return c, nil
}

// Close closes the manifest and the directory; it returns the first error
// of the run (Errors has them all).
func (c *Consumer) Close() error {
	if c.manifest != nil {
		if err := c.manifest.Close(); err != nil {
			c.errs = append(c.errs, fmt.Errorf("extract: %w", err))
		}
		c.root.Close()
		c.manifest, c.root = nil, nil
	}
	if len(c.errs) > 0 {
		return c.errs[0]
	}
	return nil
}

// Errors returns what went wrong while extracting, each naming its file
// (at most one per file, and one for the --extract-max-bytes cap).
func (c *Consumer) Errors() []error { return c.errs }

// Begin implements analysis.PayloadConsumer.
func (c *Consumer) Begin(s *analysis.Session, ch *analysis.Channel) analysis.PayloadStream {
	st := &stream{c: c, sniff: make([]byte, 0, 512)}
	for _, a := range c.o.Hashes {
		st.hashes = append(st.hashes, newHash(a))
	}
	if c.root != nil {
		c.partials++
		st.tmp = ".ftpscope-partial-" + itoa(c.partials)
		f, err := c.root.OpenFile(st.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			st.err = err
		} else {
			st.f, st.w = f, bufio.NewWriterSize(f, 32<<10)
		}
	}
	return st
}

// stream is one transfer's bytes on their way to the hashes and the file.
type stream struct {
	c      *Consumer
	hashes []hash.Hash
	sniff  []byte
	f      *os.File
	w      *bufio.Writer // over f (32 KiB per open transfer): a segment is a write of 1.4 KB, a syscall each without it
	tmp    string
	n      uint64
	wrote  int64
	err    error // the first write error (the file stops there)
	capped bool  // --extract-max-bytes stopped the file
	// extracted is the file's name in the directory once renamed.
	extracted string
}

// Write implements analysis.PayloadStream.
func (st *stream) Write(p []byte) bool {
	st.n += uint64(len(p))
	if room := sniffLen - len(st.sniff); room > 0 {
		st.sniff = append(st.sniff, p[:min(room, len(p))]...)
	}
	for _, h := range st.hashes {
		h.Write(p)
	}
	if st.f != nil && st.err == nil && !st.capped {
		st.writeFile(p)
	}
	return len(st.hashes) > 0 || (st.f != nil && st.err == nil && !st.capped) || len(st.sniff) < sniffLen
}

func (st *stream) writeFile(p []byte) {
	c := st.c
	if max := c.o.MaxExtractBytes; max > 0 && c.written+int64(len(p)) > max {
		p = p[:max-c.written]
		st.capped = true
	}
	n, err := st.w.Write(p)
	st.wrote += int64(n)
	c.written += int64(n)
	if err != nil {
		st.err = err
	}
}

// End implements analysis.PayloadStream.
func (st *stream) End(s *analysis.Session, ch *analysis.Channel, whole bool) *analysis.Content {
	c := st.c
	out := &analysis.Content{Streamed: st.n}
	if len(st.sniff) > 0 {
		out.MIME = mimetype.Detect(st.sniff).String()
	}
	if whole {
		for i, h := range st.hashes {
			out.Digests = append(out.Digests, analysis.Digest{Algorithm: c.o.Hashes[i], Hex: hex.EncodeToString(h.Sum(nil))})
		}
	}
	if c.root == nil || ch.Transfer == nil {
		st.discard()
		out.Stitched = c.stitch(s, ch, st, whole)
		return out
	}
	if st.f != nil {
		if err := st.w.Flush(); err != nil {
			// What stayed in the buffer never reached the file.
			st.wrote -= int64(st.w.Buffered())
			if st.err == nil {
				st.err = err
			}
		}
		if err := st.f.Close(); err != nil && st.err == nil {
			st.err = err
		}
	}
	name := c.name(baseName(ch))
	shown := filepath.Join(c.o.ExtractDir, name)
	if st.f != nil {
		if err := c.root.Rename(st.tmp, name); err != nil {
			st.err = errors.Join(st.err, err)
			c.root.Remove(st.tmp)
		} else {
			out.Extracted = shown
			st.extracted = name
			c.Files++
		}
	}
	if st.f != nil {
		out.ExtractedBytes, out.ExtractCut = uint64(max(st.wrote, 0)), st.err != nil || st.capped
	}
	switch {
	case st.err != nil:
		out.ExtractError = fmt.Sprintf("write %s: %v", shown, unwrapPath(st.err))
		c.errs = append(c.errs, fmt.Errorf("extract: %s", out.ExtractError))
	case st.capped:
		out.ExtractError = fmt.Sprintf("%s cut at %d bytes: --extract-max-bytes %d reached", shown, st.wrote, c.o.MaxExtractBytes)
		if !c.capped {
			c.capped = true
			c.errs = append(c.errs, fmt.Errorf("extract: --extract-max-bytes %d reached at %s; later files are not written", c.o.MaxExtractBytes, shown))
		}
	}
	c.writeManifest(s, ch, out, whole && st.err == nil && !st.capped, st.wrote)
	out.Stitched = c.stitch(s, ch, st, whole && st.err == nil && !st.capped)
	return out
}

// discard drops the temporary file of a stream that has no file to become.
func (st *stream) discard() {
	if st.f != nil {
		st.f.Close()
		st.c.root.Remove(st.tmp)
		st.f = nil
	}
}

// name returns a name not yet taken in the directory: base, else base-1,
// base-2... An existing entry of any kind (a file, a symlink planted
// there) is never written through or replaced.
func (c *Consumer) name(base string) string {
	name := base
	for n := 1; ; n++ {
		if !c.taken[name] {
			if _, err := c.root.Lstat(name); errors.Is(err, fs.ErrNotExist) {
				c.taken[name] = true
				return name
			}
		}
		name = withSuffix(base, n)
	}
}

// unwrapPath drops the *PathError around a write error: its path is the
// temporary name, and the message names the final one.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// manifestLine is one line of DIR/manifest.jsonl: a file and the facts of
// its transfer.
type manifestLine struct {
	File      string            `json:"file"`
	Client    string            `json:"client"`
	Server    string            `json:"server"`
	Command   string            `json:"command"`
	Path      string            `json:"path"`
	Direction string            `json:"direction"`
	Start     string            `json:"start,omitempty"`
	Bytes     uint64            `json:"bytes"`
	Written   int64             `json:"written"`
	Whole     bool              `json:"whole"`
	Result    string            `json:"result"`
	MIME      string            `json:"mime_type,omitempty"`
	Digests   map[string]string `json:"digests,omitempty"`
	Error     string            `json:"error,omitempty"`
}

func (c *Consumer) writeManifest(s *analysis.Session, ch *analysis.Channel, out *analysis.Content, whole bool, wrote int64) {
	if c.manifest == nil || out.Extracted == "" {
		return
	}
	t := ch.Transfer
	l := manifestLine{File: filepath.Base(out.Extracted), Client: s.Client.String(), Server: s.Server.String(), Command: ch.Command,
		Path: t.Path, Direction: t.Direction.String(), Bytes: t.Bytes, Written: wrote, Whole: whole,
		Result: t.Result.String(), MIME: out.MIME, Error: out.ExtractError}
	if !t.Start.IsZero() {
		l.Start = t.Start.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
	}
	if len(out.Digests) > 0 {
		l.Digests = map[string]string{}
		for _, d := range out.Digests {
			l.Digests[d.Algorithm] = d.Hex
		}
	}
	b, err := json.Marshal(l)
	if err == nil {
		_, err = c.manifest.Write(append(b, '\n'))
	}
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("extract: write %s: %w", filepath.Join(c.o.ExtractDir, "manifest.jsonl"), unwrapPath(err)))
	}
}
