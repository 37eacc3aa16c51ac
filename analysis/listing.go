package analysis

import (
	"bytes"
	"strings"
	"unsafe"

	"github.com/ftpscope/ftpscope/analysis/ftp"
	"github.com/ftpscope/ftpscope/reassembly"
)

// Directory listings (issue 13 item 3): the bytes of a LIST, NLST or MLSD
// data connection are parsed into entries as they stream (listingStream),
// whether or not a PayloadConsumer takes them too. A session remembers the
// sizes its listings gave (bounded), so a later RETR can be held to them.

// Listing is a parsed directory listing.
type Listing struct {
	// Format is the form of the first entry (LIST: unix or dos; MLSD;
	// NLST).
	Format ftp.ListFormat
	// Entries are the entries in listed order, at most
	// Config.MaxListingEntries; Dropped counts those beyond.
	Entries []ftp.ListEntry
	Dropped int
	// Unparsed counts lines of no known form ("total 12", banners) and
	// lines longer than maxListingLine.
	Unparsed int
	// Whole says every byte of the listing was parsed.
	Whole bool
}

// DefaultMaxListingEntries is Config.MaxListingEntries' default.
const DefaultMaxListingEntries = 1000

// maxListingLine bounds one listing line held while it is incomplete.
const maxListingLine = 4096

// maxListedSizes bounds the listed sizes a session remembers.
const maxListedSizes = 256

// listingStream parses a listing's bytes line by line.
type listingStream struct {
	a     *Analyzer
	ch    *Channel
	verb  string
	l     Listing
	line  []byte
	long  bool // the line under way is over maxListingLine: skipped
	bytes uint64
}

// Write implements PayloadStream.
func (ls *listingStream) Write(p []byte) bool {
	ls.bytes += uint64(len(p))
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			ls.add(p)
			return true
		}
		ls.add(p[:i])
		ls.endLine()
		p = p[i+1:]
	}
	return true
}

func (ls *listingStream) add(b []byte) {
	if ls.long {
		return
	}
	if len(ls.line)+len(b) > maxListingLine {
		ls.long, ls.line = true, ls.line[:0]
		return
	}
	ls.line = append(ls.line, b...)
}

func (ls *listingStream) endLine() {
	raw, long := ls.line, ls.long
	ls.line, ls.long = ls.line[:0], false
	if long || (ls.verb != "MLSD" && ls.verb != "NLST" && !maybeListLine(raw)) {
		ls.l.Unparsed++
		return
	}
	line := string(raw)
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return
	}
	var (
		e  ftp.ListEntry
		f  ftp.ListFormat
		ok = true
	)
	switch ls.verb {
	case "MLSD":
		var err error
		e, err = ftp.ParseMLSDLine(line)
		f, ok = ftp.FormatMLSD, err == nil
	case "NLST":
		e, f = ftp.ListEntry{Name: line}, ftp.FormatNLST
	default:
		// Why a line is neither form is not needed to count it unparsed:
		// MatchListLine allocates no reason.
		e, f, ok = ftp.MatchListLine(line)
	}
	if !ok {
		ls.l.Unparsed++
		return
	}
	if ls.l.Format == ftp.FormatUnknown {
		ls.l.Format = f
	}
	if len(ls.l.Entries) >= ls.a.cfg.MaxListingEntries {
		ls.l.Dropped++
		return
	}
	e.Name, _ = stored(e.Name)
	e.Target, _ = stored(e.Target)
	ls.l.Entries = append(ls.l.Entries, e)
	ls.remember(e)
}

// maybeListLine says whether a LIST line may parse: its first byte past
// the blanks is a file type of ls -l or a digit (a DOS date), or it is
// blank. Other lines are counted unparsed without copying them, so a server
// that sends something else (or listings that are not text) costs no
// allocation per line. The test is the parsers' own first check, so it
// changes no result; a non-ASCII byte goes the long way (TrimSpace knows
// Unicode blanks).
func maybeListLine(b []byte) bool {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\v' || b[i] == '\f') {
		i++
	}
	if i == len(b) {
		return true
	}
	c := b[i]
	return c >= 0x80 || (c >= '0' && c <= '9') || strings.IndexByte("-dlbcps", c) >= 0
}

// remember keeps a listed file's size in the session as soon as it is
// parsed: the RETR that follows a listing often comes before the listing's
// channel is judged.
func (ls *listingStream) remember(e ftp.ListEntry) {
	t := ls.ch.Transfer
	if e.Type != ftp.EntryFile || !e.HasSize || t == nil {
		return
	}
	s := ls.ch.session
	st := ls.a.session(reassembly.ConnKey{Client: s.Client, Server: s.Server})
	if st == nil {
		return
	}
	name := e.Name
	if ls.verb != "NLST" && !strings.HasPrefix(name, "/") && !(t.PathRelative && t.Path == "") {
		name = ftp.ResolvePath(t.Path, name)
	}
	ls.a.charge(s, ls.a.xfer(st).listed(name, e.Size))
}

// End implements PayloadStream: the listing goes on the transfer, its sizes
// into the session's memory.
func (ls *listingStream) End(s *Session, ch *Channel, whole bool) *Content {
	if len(ls.line) > 0 || ls.long {
		ls.endLine() // a last line without its newline
	}
	t := ch.Transfer
	if t == nil {
		return nil
	}
	ls.l.Whole = whole
	l := ls.l
	t.Listing = &l
	ls.a.recost(ch)
	return nil
}

// listingBytes is what a listing holds.
func listingBytes(l *Listing) int64 {
	n := int64(unsafe.Sizeof(Listing{}))
	for _, e := range l.Entries {
		n += listEntryCost + strCost(e.Name) + strCost(e.Target) + strCost(e.Modified) + strCost(e.Mode)
	}
	return n
}

var listEntryCost = int64(unsafe.Sizeof(ftp.ListEntry{}))

// listed remembers a listed file's size, within maxListedSizes (the oldest
// go first).
// It returns the change in bytes held.
func (x *xferState) listed(path string, size uint64) int64 {
	if x.listedSizes == nil {
		x.listedSizes = make(map[string]uint64)
	}
	var cost int64
	if _, ok := x.listedSizes[path]; !ok {
		if len(x.listedOrder) >= maxListedSizes {
			old := x.listedOrder[0]
			delete(x.listedSizes, old)
			x.listedOrder = x.listedOrder[1:]
			cost -= mapSlot + strCost(old)
		}
		x.listedOrder = append(x.listedOrder, path)
		cost += mapSlot + strCost(path)
	}
	x.listedSizes[path] = size
	return cost
}

// teeStream hands the same bytes to two streams (the listing parser and
// the PayloadConsumer's); End returns the second's Content.
type teeStream struct{ a, b PayloadStream }

func (t *teeStream) Write(p []byte) bool {
	ma := t.a.Write(p)
	mb := t.b.Write(p)
	return ma || mb
}

func (t *teeStream) End(s *Session, ch *Channel, whole bool) *Content {
	t.a.End(s, ch, whole)
	return t.b.End(s, ch, whole)
}
