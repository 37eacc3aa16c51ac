package ftp

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// checkSyntaxError fails unless err is a *SyntaxError with a bounded Input.
func checkSyntaxError(t *testing.T, fn, in string, err error) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("%s(%q): got error %v (%T), want a *SyntaxError", fn, in, err, err)
	}
	if len(se.Input) > maxErrorInput {
		t.Fatalf("%s(%q): got SyntaxError.Input of %d bytes, want at most %d", fn, in, len(se.Input), maxErrorInput)
	}
}

var verbRE = regexp.MustCompile(`^[A-Z]+[0-9]*$`)

func FuzzParseCommand(f *testing.F) {
	for _, tc := range commandCases {
		f.Add([]byte(tc.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		in := string(line)
		c, err := ParseCommand(line)
		// Appending CRLF never changes the outcome.
		c2, err2 := ParseCommand(append(line[:len(line):len(line)], '\r', '\n'))
		if c != c2 || (err == nil) != (err2 == nil) {
			t.Fatalf("ParseCommand(%q) = %+v, %v but with CRLF appended = %+v, %v", in, c, err, c2, err2)
		}
		if err != nil {
			checkSyntaxError(t, "ParseCommand", in, err)
			if c != (Command{}) {
				t.Fatalf("ParseCommand(%q): got %+v with an error", in, c)
			}
			return
		}
		if len(c.Verb) == 0 || len(c.Verb) > maxVerb || !verbRE.MatchString(c.Verb) {
			t.Fatalf("ParseCommand(%q): got verb %q, want 1..16 upper-case letters then digits", in, c.Verb)
		}
		if strings.HasSuffix(c.Arg, "\r") || strings.HasSuffix(c.Arg, "\n") {
			t.Fatalf("ParseCommand(%q): got argument %q ending in CR or LF", in, c.Arg)
		}
		// Writing the command back in canonical form parses to the same value.
		canon := c.Verb
		if c.Arg != "" {
			canon += " " + c.Arg
		}
		back, err := ParseCommand([]byte(canon))
		if err != nil || back != c {
			t.Fatalf("ParseCommand(%q) = %+v, but its canonical form %q parses to %+v, %v", in, c, canon, back, err)
		}
	})
}

// replyModel is a deliberately plain re-statement of the ReplyReader rules
// (RFC 959 4.2 plus the MaxLines policy), used as an oracle by
// FuzzReplyReader.
type replyModel struct {
	max     int
	open    bool
	swallow bool
	code    string
	lines   []string
}

var replyStartRE = regexp.MustCompile(`^[1-5][0-9][0-9]([ -]|$)`)

func (m *replyModel) feed(line string) (rep Reply, done, isErr bool) {
	line = strings.TrimRight(line, "\r\n")
	textAfterCode := func() string {
		if len(line) > 4 {
			return line[4:]
		}
		return ""
	}
	if !m.open {
		if !replyStartRE.MatchString(line) {
			return Reply{}, false, true
		}
		n, _ := strconv.Atoi(line[:3])
		if strings.HasPrefix(line[3:], "-") {
			m.open, m.swallow, m.code, m.lines = true, false, line[:3], []string{textAfterCode()}
			return Reply{}, false, false
		}
		return Reply{Code: ReplyCode(n), Lines: []string{textAfterCode()}}, true, false
	}
	closing := line == m.code || strings.HasPrefix(line, m.code+" ")
	n, _ := strconv.Atoi(m.code)
	switch {
	case m.swallow:
		if closing {
			*m = replyModel{max: m.max}
		}
		return Reply{}, false, false
	case len(m.lines) >= m.max:
		rep = Reply{Code: ReplyCode(n), Lines: m.lines, Multiline: true, Truncated: true}
		if closing {
			*m = replyModel{max: m.max}
		} else {
			m.swallow, m.lines = true, nil
		}
		return rep, true, false
	case closing:
		rep = Reply{Code: ReplyCode(n), Lines: append(m.lines, textAfterCode()), Multiline: true}
		*m = replyModel{max: m.max}
		return rep, true, false
	}
	m.lines = append(m.lines, strings.TrimPrefix(line, m.code+"-"))
	return Reply{}, false, false
}

func cloneReply(r Reply) Reply {
	if r.Lines != nil {
		lines := make([]string, len(r.Lines))
		for i, l := range r.Lines {
			lines[i] = strings.Clone(l)
		}
		r.Lines = lines
	}
	return r
}

func FuzzReplyReader(f *testing.F) {
	for _, tc := range replyCases {
		var lines []string
		for _, st := range tc.steps {
			lines = append(lines, st.line)
		}
		f.Add([]byte(strings.Join(lines, "\n")), uint8(tc.maxLines))
	}
	f.Add([]byte("227-a\r\n227-b\r\n227 (1,2,3,4,5,6)\r\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, maxLines uint8) {
		max := int(maxLines % 8) // small limits reach truncation often
		r := ReplyReader{MaxLines: max}
		rn := ReplyReader{MaxLines: max} // read with Next: the same replies
		if max == 0 {
			max = DefaultMaxLines
		}
		m := replyModel{max: max}
		var got, kept []Reply
		// Feed a private copy: it is overwritten below, and the fuzzing engine
		// still owns data (it saves it to the corpus).
		buf := bytes.Clone(data)
		for i, line := range bytes.Split(buf, []byte("\n")) {
			wasPending := r.Pending()
			rep, done, err := r.Feed(line)
			code, text, nDone, nErr := rn.Next(bytes.Clone(line))
			if nDone != done || (nErr != nil) != (err != nil) || rn.Pending() != r.Pending() ||
				done && (code != rep.Code || text != rep.Text()) {
				t.Fatalf("line %d %q: Next gives %v %q, done %v, err %v; Feed %v %q, done %v, err %v",
					i, line, code, text, nDone, nErr, rep.Code, rep.Text(), done, err)
			}
			wantRep, wantDone, wantErr := m.feed(string(line))
			if (err != nil) != wantErr || done != wantDone || !reflect.DeepEqual(rep, wantRep) {
				t.Fatalf("line %d %q: got %#v, %v, %v; model says %#v, %v, err=%v", i, line, rep, done, err, wantRep, wantDone, wantErr)
			}
			if err != nil {
				checkSyntaxError(t, "Feed", string(line), err)
				if wasPending || r.Pending() {
					t.Fatalf("line %d %q: got a syntax error while a reply was open", i, line)
				}
			}
			if done {
				if !rep.Code.Valid() {
					t.Fatalf("line %d %q: got a reply with code %d outside 100..599", i, line, rep.Code)
				}
				if len(rep.Lines) == 0 || len(rep.Lines) > max || (!rep.Multiline && len(rep.Lines) != 1) {
					t.Fatalf("line %d %q: got %d lines (multiline %v, max %d)", i, line, len(rep.Lines), rep.Multiline, max)
				}
				if !rep.Truncated && r.Pending() {
					t.Fatalf("line %d %q: got Pending() after a complete reply", i, line)
				}
				got = append(got, rep)
				kept = append(kept, cloneReply(rep))
			}
			if r.Pending() != m.open {
				t.Fatalf("line %d %q: got Pending() %v, model says %v", i, line, r.Pending(), m.open)
			}
		}
		// The reader must not have kept references into data.
		for i := range buf {
			buf[i] ^= 0xA5
		}
		if !reflect.DeepEqual(got, kept) {
			t.Fatalf("replies changed when the input buffer was overwritten")
		}
	})
}

// addrSeeds turns a case table into fuzz seeds.
func addrSeeds(f *testing.F, cases []addrCase) {
	for _, tc := range cases {
		f.Add(tc.in)
	}
}

// checkEndpoint applies the properties every successful parse must have.
func checkEndpoint(t *testing.T, fn, in string, ap netip.AddrPort) {
	t.Helper()
	a := ap.Addr()
	if !ap.IsValid() || ap.Port() == 0 || a.Zone() != "" || a.Is4In6() {
		t.Fatalf("%s(%q): got %v; want a valid, unzoned, unmapped address and a non-zero port", fn, in, ap)
	}
}

func FuzzParsePORT(f *testing.F) {
	addrSeeds(f, portCases)
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := ParsePORT(arg)
		if err != nil {
			checkSyntaxError(t, "ParsePORT", arg, err)
			return
		}
		checkEndpoint(t, "ParsePORT", arg, ap)
		if !ap.Addr().Is4() {
			t.Fatalf("ParsePORT(%q): got %v, want IPv4", arg, ap)
		}
		s := FormatPORT(ap)
		if back, err := ParsePORT(s); err != nil || back != ap {
			t.Fatalf("ParsePORT(%q) = %v; FormatPORT gives %q which parses to %v, %v", arg, ap, s, back, err)
		}
	})
}

func FuzzParseEPRT(f *testing.F) {
	addrSeeds(f, eprtCases)
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := ParseEPRT(arg)
		if err != nil {
			checkSyntaxError(t, "ParseEPRT", arg, err)
			return
		}
		checkEndpoint(t, "ParseEPRT", arg, ap)
		s := FormatEPRT(ap)
		if back, err := ParseEPRT(s); err != nil || back != ap {
			t.Fatalf("ParseEPRT(%q) = %v; FormatEPRT gives %q which parses to %v, %v", arg, ap, s, back, err)
		}
	})
}

func FuzzParseLPRT(f *testing.F) {
	addrSeeds(f, lprtCases)
	f.Fuzz(func(t *testing.T, arg string) {
		ap, err := ParseLPRT(arg)
		if err != nil {
			checkSyntaxError(t, "ParseLPRT", arg, err)
			return
		}
		checkEndpoint(t, "ParseLPRT", arg, ap)
		s := FormatLPRT(ap)
		if back, err := ParseLPRT(s); err != nil || back != ap {
			t.Fatalf("ParseLPRT(%q) = %v; FormatLPRT gives %q which parses to %v, %v", arg, ap, s, back, err)
		}
	})
}

func FuzzParsePASVReply(f *testing.F) {
	addrSeeds(f, pasvCases)
	f.Fuzz(func(t *testing.T, text string) {
		ap, err := ParsePASVReply(text)
		if err != nil {
			checkSyntaxError(t, "ParsePASVReply", text, err)
			return
		}
		checkEndpoint(t, "ParsePASVReply", text, ap)
		if !ap.Addr().Is4() {
			t.Fatalf("ParsePASVReply(%q): got %v, want IPv4", text, ap)
		}
		canon := "227 Entering Passive Mode (" + FormatPORT(ap) + ")."
		if back, err := ParsePASVReply(canon); err != nil || back != ap {
			t.Fatalf("ParsePASVReply(%q) = %v; canonical %q parses to %v, %v", text, ap, canon, back, err)
		}
	})
}

func FuzzParseLPSVReply(f *testing.F) {
	addrSeeds(f, lpsvCases)
	f.Fuzz(func(t *testing.T, text string) {
		ap, err := ParseLPSVReply(text)
		if err != nil {
			checkSyntaxError(t, "ParseLPSVReply", text, err)
			return
		}
		checkEndpoint(t, "ParseLPSVReply", text, ap)
		canon := "228 Entering Long Passive Mode (" + FormatLPRT(ap) + ")"
		if back, err := ParseLPSVReply(canon); err != nil || back != ap {
			t.Fatalf("ParseLPSVReply(%q) = %v; canonical %q parses to %v, %v", text, ap, canon, back, err)
		}
	})
}

func FuzzParseEPSVReply(f *testing.F) {
	for _, tc := range epsvCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rep, err := ParseEPSVReply(text)
		if err != nil {
			checkSyntaxError(t, "ParseEPSVReply", text, err)
			if rep != (EPSVReply{}) {
				t.Fatalf("ParseEPSVReply(%q): got %+v with an error", text, rep)
			}
			return
		}
		if rep.Port == 0 {
			t.Fatalf("ParseEPSVReply(%q): got port 0", text)
		}
		if a := rep.Addr; a.IsValid() && (a.Zone() != "" || a.Is4In6()) {
			t.Fatalf("ParseEPSVReply(%q): got address %v, want unzoned and unmapped", text, a)
		}
		if rep.Parens && (!strings.Contains(text, "(") || !strings.Contains(text, ")")) {
			t.Fatalf("ParseEPSVReply(%q): got Parens without parentheses in the text", text)
		}
		// The canonical form of what was found parses back to the same reply.
		canon := "229 Entering Extended Passive Mode (|||" + strconv.Itoa(int(rep.Port)) + "|)"
		if rep.Addr.IsValid() {
			canon = "229 Entering Extended Passive Mode (" + FormatEPRT(netip.AddrPortFrom(rep.Addr, rep.Port)) + ")"
		}
		if back, err := ParseEPSVReply(canon); err != nil || back != (EPSVReply{Port: rep.Port, Addr: rep.Addr, Parens: true}) {
			t.Fatalf("ParseEPSVReply(%q) = %+v; canonical %q parses to %+v, %v", text, rep, canon, back, err)
		}
	})
}
