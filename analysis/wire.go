package analysis

import (
	"bytes"

	"github.com/ftpscope/ftpscope/analysis/ftp"
	"github.com/ftpscope/ftpscope/reassembly"
)

// wireText is bytes from a control connection as analysis may keep and
// quote them: with every password redacted, unless Config.ShowPasswords.
// Only wireLine and wireSegment make one, and they are the only doors
// through which control bytes enter the analysis: each line before it is
// parsed, and each segment the helper lint quotes. Everything a Session
// holds (user, arguments, greeting, replies, notes, lint, the ladder's
// transcript) is cut from a wireText, so no output, present or future, can
// meet a password that skipped the redaction. quote takes a wireText, not
// bytes, so a note cannot quote raw bytes by mistake.
type wireText struct{ b []byte }

// suspectTail replaces a client line that may be the end of a PASS line.
const suspectTail = ftp.Redacted + " (may be the end of a PASS line)"

// wireLine makes the wireText of one control line. Besides every PASS
// argument, it hides a client line that could be the tail of a PASS line
// whose start the capture does not have (the first client line of a
// session caught mid-stream, or the first after missing bytes), unless it
// is a known command.
func (a *Analyzer) wireLine(st *sessionState, l reassembly.Line) wireText {
	if l.From == reassembly.RoleClient {
		suspect := st.clientSuspect || l.AfterGap
		st.clientSuspect = false
		if a.cfg.ShowPasswords {
			return wireText{l.Text}
		}
		if suspect && !knownCommand(l.Text) {
			return wireText{[]byte(suspectTail)}
		}
	}
	if a.cfg.ShowPasswords {
		return wireText{l.Text}
	}
	return wireText{ftp.Redact(l.Text)}
}

// wireSegment makes the wireText of a control segment the lint quotes. A
// client segment that comes before the session's first whole client line
// (caught mid-stream, or after missing bytes) may begin inside a PASS line:
// its bytes up to the first line end are hidden too.
func (a *Analyzer) wireSegment(st *sessionState, b []byte, fromClient bool) wireText {
	if a.cfg.ShowPasswords {
		return wireText{b}
	}
	b = ftp.Redact(b)
	if fromClient && st.clientSuspect {
		first := b
		if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
			first = b[:i]
		}
		if !knownCommand(first) {
			b = append([]byte(suspectTail), b[len(first):]...)
		}
	}
	return wireText{b}
}

func knownCommand(line []byte) bool {
	c, err := ftp.ParseCommand(line)
	return err == nil && ftp.IsKnownVerb(c.Verb)
}

// quoteMax is how much of a line or segment a note or a lint finding quotes.
const quoteMax = 64

// quotedWire cuts wire text for a note or a lint finding: at most quoteMax
// bytes, and whether there was more.
func quotedWire(w wireText) (text string, cut bool) {
	if len(w.b) > quoteMax {
		return string(w.b[:quoteMax]), true
	}
	return string(w.b), false
}

// quoted sets a note's quoted wire text.
func quoted(n Note, w wireText) Note {
	n.Wire, n.Cut = quotedWire(w)
	return n
}
