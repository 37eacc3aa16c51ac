package analysis

import (
	"github.com/ftpscope/ftpscope/analysis/ftp"
	"github.com/ftpscope/ftpscope/reassembly"
)

// tlsState is what a control channel's TLS is, as far as the capture tells.
type tlsState uint8

const (
	// tlsNone: clear text, no TLS seen.
	tlsNone tlsState = iota
	// tlsExplicit: AUTH TLS/SSL was accepted; the channel is opaque.
	tlsExplicit
	// tlsImplicit: TLS from the first byte (implicit FTPS).
	tlsImplicit
	// tlsCleared: clear text again after CCC.
	tlsCleared
)

// implicitTLS recognises a session that speaks TLS from its first byte: its
// first line, from either side, is a TLS handshake record (content type 22,
// version 3.x). Such a session is opaque from the start, as after AUTH TLS,
// and says so, instead of filling its notes with lines that are not FTP.
func (a *Analyzer) implicitTLS(st *sessionState, l reassembly.Line) bool {
	s := st.s
	if s.Commands != 0 || s.Replies != 0 || s.Greeting != "" || s.Midstream || !isTLSRecord(l.Text) {
		return false
	}
	s.setTLS(l.Time)
	st.opaque, st.tls = true, tlsImplicit
	a.stats.TLS++
	a.note(st, Note{Time: l.Time, Kind: NoteTLS, What: NoteImplicitTLS, FromServer: l.From == reassembly.RoleServer})
	return true
}

// isTLSRecord reports whether b starts like a TLS handshake record.
func isTLSRecord(b []byte) bool {
	return len(b) >= 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04
}

// clearAgain recognises the return to clear text after CCC (RFC 4217
// section 6): once both sides have sent their close_notify alerts, the
// client's next command crosses in clear. A client line of an opaque
// channel that is a known command, in printable ASCII, is taken for it (a
// TLS record's bytes are not such a line, but in chance too rare to
// matter). The replies being read and the awaited commands are forgotten:
// they were encrypted. The line is then read as any other.
func (a *Analyzer) clearAgain(st *sessionState, l *reassembly.Line) bool {
	if st.tls != tlsExplicit || l.From != reassembly.RoleClient {
		return false
	}
	// The client's close_notify and its first clear command share a line
	// when the record holds no line end: whole TLS records before the
	// command go, and so do the bytes of a record the line began inside,
	// when the command came in a segment after the line's first.
	text := afterTLSRecords(l.Text)
	if printableLine(text) {
		if _, ok := clearCommand(text); !ok {
			return false
		}
	} else {
		if l.Segments < 2 {
			return false
		}
		// The record's last bytes may be printable too: the command starts
		// at one of the tail's first few bytes.
		tail, found := printableTail(l.Text), false
		for i := 0; i < len(tail) && i < 8 && !found; i++ {
			if _, found = clearCommand(tail[i:]); found {
				text = tail[i:]
			}
		}
		if !found {
			return false
		}
	}
	cmd, _ := clearCommand(text)
	l.Text = text
	st.opaque, st.tls = false, tlsCleared
	st.replies.Reset()
	a.recostReplies(st)
	st.pending = st.pending[:0]
	a.note(st, Note{Time: l.Time, Kind: NoteTLS, What: NoteClearAgain, Wire: cmd.Verb})
	return true
}

// printableLine reports whether b is a non-empty line of printable ASCII.
func printableLine(b []byte) bool {
	if len(b) < 3 {
		return false
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// afterTLSRecords returns what follows the whole TLS records (content type
// 20 to 23, version 3.x, a length) that b starts with: b itself when it
// starts with none, nil when its last record is cut.
func afterTLSRecords(b []byte) []byte {
	for len(b) >= 5 && b[0] >= 0x14 && b[0] <= 0x17 && b[1] == 0x03 && b[2] <= 0x04 {
		n := 5 + int(b[3])<<8 | int(b[4])
		if len(b) < n {
			return nil
		}
		b = b[n:]
	}
	return b
}

// clearedLine strips, on a channel cleared by CCC, the TLS records a line
// starts with: the server's close_notify before its first clear reply.
func clearedLine(st *sessionState, l *reassembly.Line) {
	if st.tls != tlsCleared || printableLine(l.Text) {
		return
	}
	if t := afterTLSRecords(l.Text); printableLine(t) {
		l.Text = t
		return
	}
	if t := printableTail(l.Text); len(t) >= 3 && l.From == reassembly.RoleServer {
		if _, ok := ftp.Code(t); ok {
			l.Text = t
		}
	}
}

// printableTail returns the printable ASCII bytes that end b.
func printableTail(b []byte) []byte {
	i := len(b)
	for i > 0 && b[i-1] >= 0x20 && b[i-1] <= 0x7e {
		i--
	}
	return b[i:]
}

// clearCommand parses b as a clear-text command: printable ASCII, a known
// verb written in upper case.
func clearCommand(b []byte) (ftp.Command, bool) {
	if !printableLine(b) {
		return ftp.Command{}, false
	}
	cmd, err := ftp.ParseCommand(b)
	if err != nil || !ftp.IsKnownVerb(cmd.Verb) || cmd.Verb != string(b[:len(cmd.Verb)]) {
		return ftp.Command{}, false
	}
	return cmd, true
}
