package ftp

import (
	"strconv"
	"strings"
	"unsafe"
)

// ReplyClass is the first digit of a reply code (RFC 959 4.2.1): whether the
// command is still running, done, waiting for more, or failed.
type ReplyClass uint8

// Reply classes, named after RFC 959 4.2.1.
const (
	// Preliminary (1yz): the action is starting; expect another reply.
	Preliminary ReplyClass = 1
	// Completion (2yz): the action succeeded.
	Completion ReplyClass = 2
	// Intermediate (3yz): the command was accepted; more input is needed.
	Intermediate ReplyClass = 3
	// TransientNegative (4yz): the action failed; trying again may work.
	TransientNegative ReplyClass = 4
	// PermanentNegative (5yz): the action failed and will fail again.
	PermanentNegative ReplyClass = 5
)

// String returns the RFC 959 name of the class, such as "completion".
func (c ReplyClass) String() string {
	switch c {
	case Preliminary:
		return "preliminary"
	case Completion:
		return "completion"
	case Intermediate:
		return "intermediate"
	case TransientNegative:
		return "transient negative"
	case PermanentNegative:
		return "permanent negative"
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Class returns the first digit of the code as a ReplyClass. Codes outside
// 100..599 give a class that is none of the named constants.
func (c ReplyCode) Class() ReplyClass {
	if c < 100 || c > 999 {
		return 0
	}
	return ReplyClass(c / 100)
}

// Valid reports whether c is in 100..599, the codes RFC 959 defines and the
// only ones ReplyReader produces.
func (c ReplyCode) Valid() bool { return c >= 100 && c <= 599 }

// String returns the code as three digits ("227"); a value that does not fit
// in three digits is written in full.
func (c ReplyCode) String() string {
	if c > 999 {
		return strconv.Itoa(int(c))
	}
	b := [3]byte{byte('0' + c/100), byte('0' + c/10%10), byte('0' + c%10)}
	return string(b[:])
}

// Text returns the reply's lines joined with "\n", without the code.
func (r Reply) Text() string { return strings.Join(r.Lines, "\n") }

// Code reports the reply code a server line starts with: three digits, the
// first 1 to 5, followed by a space, a '-' or the end of the line. ok is false
// for any other line, such as the free text inside a multi-line reply.
func Code(line []byte) (ReplyCode, bool) {
	c, _, ok := lineCode(line)
	return c, ok
}

// lineCode is Code that also returns the byte after the code (0 at the end of
// the line).
func lineCode(line []byte) (code ReplyCode, sep byte, ok bool) {
	if len(line) < 3 || line[0] < '1' || line[0] > '5' || !isDigit(line[1]) || !isDigit(line[2]) {
		return 0, 0, false
	}
	if len(line) > 3 {
		sep = line[3]
		if sep != ' ' && sep != '-' {
			return 0, 0, false
		}
	}
	code = ReplyCode(line[0]-'0')*100 + ReplyCode(line[1]-'0')*10 + ReplyCode(line[2]-'0')
	return code, sep, true
}

// DefaultMaxLines is the ReplyReader line limit used when MaxLines is 0. Real
// multi-line replies (FEAT, HELP, STAT, banners) stay far below it.
const DefaultMaxLines = 1000

// ReplyReader assembles server lines into replies (RFC 959 4.2). Feed it every
// line the server sends, in order; it keeps the state of an open multi-line
// reply between calls. The zero value is ready to use. A ReplyReader holds at
// most MaxLines lines, so memory stays bounded whatever the server sends.
type ReplyReader struct {
	// MaxLines bounds the lines of one reply; 0 (or less) means
	// DefaultMaxLines.
	MaxLines int

	// The fields are ordered to leave no padding: one reader is held per
	// open control connection.
	open      bool      // a "ddd-" line was seen and its closing line was not
	swallow   bool      // the open reply was already returned truncated
	code      ReplyCode // code of the open reply
	closeMark [4]byte   // "ddd " of the open reply, to recognise its end
	lines     []string  // lines of the open reply so far
}

// Feed pushes one server line, without its CRLF (trailing CR and LF bytes are
// removed anyway). It returns done=true with the reply when the line completes
// one: a single-line "ddd text" or "ddd", or the closing "ddd text" line of a
// multi-line reply opened by "ddd-text". Lines inside a multi-line reply are
// free text, even when they start with another code.
//
// A line that is not a reply while no multi-line reply is open gives a
// *SyntaxError; the line is dropped and the reader stays usable. When a
// multi-line reply grows past MaxLines lines, Feed returns what it has with
// done=true and Truncated set, then silently drops lines (done=false, no
// error) up to and including the reply's closing line. Feed copies what it
// keeps and never retains line.
func (r *ReplyReader) Feed(line []byte) (rep Reply, done bool, err error) {
	line = trimEOL(line)
	if !r.open {
		code, sep, ok := lineCode(line)
		if !ok {
			return Reply{}, false, syntaxErrorBytes("not an FTP reply line", line)
		}
		text := ""
		if len(line) > 4 {
			text = string(line[4:])
		}
		if sep != '-' {
			return Reply{Code: code, Lines: []string{text}}, true, nil
		}
		r.open, r.swallow, r.code = true, false, code
		r.closeMark = [4]byte{line[0], line[1], line[2], ' '}
		r.lines = append(r.lines[:0], text)
		return Reply{}, false, nil
	}

	closing := r.isClosing(line)
	if r.swallow {
		if closing {
			r.Reset()
		}
		return Reply{}, false, nil
	}
	if len(r.lines) >= r.maxLines() {
		rep = r.take()
		rep.Truncated = true
		if closing {
			r.Reset()
		} else {
			r.open, r.swallow = true, true
		}
		return rep, true, nil
	}
	if closing {
		text := ""
		if len(line) > 4 {
			text = string(line[4:])
		}
		r.lines = append(r.lines, text)
		rep = r.take()
		r.Reset()
		return rep, true, nil
	}
	if len(line) >= 4 && line[3] == '-' && line[0] == r.closeMark[0] && line[1] == r.closeMark[1] && line[2] == r.closeMark[2] {
		line = line[4:] // "ddd-" repeating our own code is framing, not text
	}
	r.lines = append(r.lines, string(line))
	return Reply{}, false, nil
}

// Next is Feed for a caller that copies what it keeps: it returns the
// reply's code and its text (what Reply.Text returns), and the text of a
// single-line reply is a view of line's own bytes, valid only until line's
// bytes change. A multi-line reply's text is its own, as Feed's is. Most
// replies are one line, and most of them are read and never kept: Feed's
// two allocations for each (the text and the one-line slice) were an
// eighth to a fifth of all the allocations of a control-heavy run.
func (r *ReplyReader) Next(line []byte) (code ReplyCode, text string, done bool, err error) {
	if !r.open {
		l := trimEOL(line)
		if c, sep, ok := lineCode(l); ok && sep != '-' {
			if len(l) > 4 {
				text = unsafe.String(&l[4], len(l)-4)
			}
			return c, text, true, nil
		}
	}
	rep, done, err := r.Feed(line)
	return rep.Code, rep.Text(), done, err
}

// isClosing reports whether line ends the open multi-line reply: the same
// code followed by a space, or the bare code.
func (r *ReplyReader) isClosing(line []byte) bool {
	if len(line) < 3 || line[0] != r.closeMark[0] || line[1] != r.closeMark[1] || line[2] != r.closeMark[2] {
		return false
	}
	return len(line) == 3 || line[3] == ' '
}

// take hands the open reply's lines to a Reply. The slice is given away, not
// reused, because the caller keeps the Reply.
func (r *ReplyReader) take() Reply {
	lines := r.lines
	r.lines = nil
	return Reply{Code: r.code, Lines: lines, Multiline: true}
}

func (r *ReplyReader) maxLines() int {
	if r.MaxLines <= 0 {
		return DefaultMaxLines
	}
	return r.MaxLines
}

// Held returns how many bytes the reader keeps for the open multi-line
// reply: its lines' text and their string headers. A caller that bounds its
// memory counts them (they are given away with the reply when it closes).
func (r *ReplyReader) Held() int {
	n := 0
	for _, l := range r.lines {
		n += len(l) + 16
	}
	return n
}

// Pending reports whether a multi-line reply is open: its "ddd-" line was fed
// and its closing line was not, including after a truncated reply was
// returned.
func (r *ReplyReader) Pending() bool { return r.open }

// Reset forgets any open reply, as when a capture gap makes the next line's
// place in the reply unknown. MaxLines is kept.
func (r *ReplyReader) Reset() {
	r.open, r.swallow, r.code = false, false, 0
	r.lines = nil
	r.closeMark = [4]byte{}
}
