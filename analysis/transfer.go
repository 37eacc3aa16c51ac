package analysis

import (
	"strings"
	"time"
	"unsafe"

	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// The transfer ledger (issue 13): each channel that a transfer command used
// gets a Transfer, the facts a forensic analyst asks for: which file moved,
// which way, with what parameters, how many bytes, and whether it arrived
// whole. analysis decides the Result and keeps the facts behind it
// (TransferCause and the numbers); report writes the sentence.

// Result is what became of a transfer.
type Result uint8

// The results.
const (
	// ResultUnknown: the capture does not tell (no final reply in it).
	ResultUnknown Result = iota
	// Complete: a final 226/250 and, where a size is known, every byte.
	Complete
	// Truncated: the connection ended short (426 or another error after
	// data, a reset, fewer bytes than announced).
	Truncated
	// Aborted: the client sent ABOR during the transfer.
	Aborted
	// Failed: a 4xx/5xx reply before any data.
	Failed
	// CaptureGap: the server says complete but the capture misses bytes of
	// the data connection (or the connection itself).
	CaptureGap
)

var resultNames = [...]string{"unknown", "complete", "truncated", "aborted", "failed", "capture-gap"}

// String returns the result's name as every output format writes it.
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "unknown"
}

// Results lists every result in report order.
var Results = []Result{Complete, Truncated, Aborted, Failed, CaptureGap, ResultUnknown}

// TransferCause is the rule that decided a transfer's Result; with the
// Transfer's numbers it is the reason report writes.
type TransferCause uint8

// The causes.
const (
	// CauseNoReply: no final reply to the command is in the capture.
	CauseNoReply TransferCause = iota
	// CauseCompleteSized: 2yz and the bytes match the announced size.
	CauseCompleteSized
	// CauseCompleteUnsized: 2yz, no size to check against (or TYPE A,
	// whose wire bytes differ from the file's).
	CauseCompleteUnsized
	// CauseCompleteLonger: 2yz with more bytes than announced (the file
	// grew, or the size was stale).
	CauseCompleteLonger
	// CauseErrorReply: the final reply was negative (Transfer.Reply).
	CauseErrorReply
	// CauseReset: the data connection was reset after it was established.
	CauseReset
	// CauseShort: fewer bytes than announced.
	CauseShort
	// CauseAbort: ABOR during the transfer.
	CauseAbort
	// CauseMissing: 2yz but the capture lacks MissingBytes of the stream.
	CauseMissing
	// CauseNoConnection: 2yz but no data connection is in the capture.
	CauseNoConnection
	// CauseAbortTooLate: the client sent ABOR, but the transfer had
	// finished: the server answered it with 2yz and every announced byte
	// (or answered the ABOR with 225, no transfer to abort).
	CauseAbortTooLate
)

// SizeSource says where an expected size came from.
type SizeSource uint8

// The size sources.
const (
	SizeNone SizeSource = iota
	// SizeOpening: the 150 reply's "(N bytes)".
	SizeOpening
	// SizeReply: a 213 reply to SIZE for the same path.
	SizeReply
	// SizeListing: a directory listing earlier in the session.
	SizeListing
)

var sizeSourceNames = [...]string{"", "150", "size", "listing"}

// String returns "150", "size" or "" (no size known).
func (s SizeSource) String() string {
	if int(s) < len(sizeSourceNames) {
		return sizeSourceNames[s]
	}
	return ""
}

// Transfer is what one transfer command moved over its data channel.
type Transfer struct {
	// Direction is download, upload or listing, from the command.
	Direction ftp.Direction
	// Path is the argument resolved against the working directory, as the
	// server resolved it: absolute, "." and ".." folded. When the working
	// directory is not known (no PWD reply, a capture begun mid-session)
	// a relative argument stays relative and PathRelative is set. Path
	// keeps at most StoredMax bytes, like every wire string.
	Path         string
	PathRelative bool
	// Type, Mode and Structure are the TYPE, MODE and STRU in force ("I",
	// "A", "L 8"; "S"; "F"): the RFC 959 defaults (A, S, F) when the
	// session set none, empty when a capture begun mid-session cannot tell.
	Type, Mode, Structure string
	// RestOffset is the REST offset accepted (350) before the command;
	// Rest says there was one.
	RestOffset uint64
	Rest       bool
	// Bytes is what the data connection carried in the transfer's
	// direction, in TCP sequence space (as Channel.Bytes counts);
	// MissingBytes is the part of it the capture lacks (segments lost at
	// the capture point, payload cut by the snap length).
	Bytes, MissingBytes uint64
	// ExpectedBytes is the file's size as announced (ExpectedFrom says
	// where; SizeNone: no size known).
	ExpectedBytes uint64
	ExpectedFrom  SizeSource
	// Result is the outcome; Cause the rule behind it, Reply the final
	// reply it read (0: none).
	Result Result
	Cause  TransferCause
	Reply  ftp.ReplyCode
	// Aborted says the client sent ABOR before the transfer's final reply;
	// AbortIdle that the server answered it 225 (no transfer to abort).
	Aborted, AbortIdle bool
	// Start and End are the capture times of the first and the last
	// segment carrying data (zero when none did).
	Start, End time.Time
	// Content is what Config.Payload found in the bytes (nil without
	// one); Reordered says out-of-order data was held to put them in
	// order, PayloadLost that more than Config.MaxHeldPayload bytes were
	// waiting and the stream was given up.
	Content                *Content
	Reordered, PayloadLost bool
	// Listing is a listing's parsed entries (Direction Listing only).
	Listing *Listing
	// ListedBytes is the size a listing earlier in the session gave the
	// file (Listed says there was one); SizeMismatch says the bytes that
	// crossed differ from it, or from the 150 or SIZE announcement, in a
	// binary transfer the server called complete.
	ListedBytes  uint64
	Listed       bool
	SizeMismatch bool
	// DeletedAfter says the client deleted the file (DELE, accepted)
	// after this download, in the same session.
	DeletedAfter bool
	// Opened150 says a 150 reply came to the command; Opened150Number is
	// the last decimal number in its first line (0 when none), whatever
	// that number counts: what Zeek's ftp.log logs as a RETR's file_size
	// (extract_count(msg, F) in base/protocols/ftp/main.zeek).
	Opened150       bool
	Opened150Number uint64
	// Encrypted says the data connection carried TLS (PROT P, RFC 4217
	// 9): its bytes are records, not the file's, so they are held to no
	// size and given to no hash, MIME sniffing or extraction.
	Encrypted bool
}

// Duration is the time from the first to the last data segment.
func (t *Transfer) Duration() time.Duration {
	if t.Start.IsZero() || t.End.Before(t.Start) {
		return 0
	}
	return t.End.Sub(t.Start)
}

// Throughput is the transfer's rate in bits per second over Duration; ok is
// false when the duration is zero (one segment, or no data).
func (t *Transfer) Throughput() (bps float64, ok bool) {
	d := t.Duration()
	if d <= 0 || t.Bytes == 0 {
		return 0, false
	}
	return float64(t.Bytes) * 8 / d.Seconds(), true
}

// Needed is how many bytes a complete transfer of the announced size
// carries: the size less the REST offset.
func (t *Transfer) Needed() uint64 {
	if t.RestOffset >= t.ExpectedBytes {
		return 0
	}
	return t.ExpectedBytes - t.RestOffset
}

// sizeChecked reports whether the wire bytes can be held to the announced
// size: not in TYPE A or E, which convert line endings on the wire.
func (t *Transfer) sizeChecked() bool {
	return t.ExpectedFrom != SizeNone && !t.Encrypted && (t.Type == "" || t.Type[0] == 'I' || t.Type[0] == 'L')
}

// xferState is what a session remembers for its transfers: the working
// directory and the parameters in force. It is allocated at the session's
// first command that needs it, so a session that never gets that far
// (most of a SYN flood, a scan) pays one pointer.
type xferState struct {
	cwd            string
	typ, mode, str string
	// sizePath and size are the last SIZE reply's path and size.
	sizePath string
	size     uint64
	rest     uint64
	sizeSet  bool
	restSet  bool
	// cwdLost: a CWD whose argument was cut (StoredMax) was accepted, so
	// the working directory is no longer known.
	cwdLost bool
	// listedSizes are the file sizes the session's listings gave, by
	// path, at most maxListedSizes (listedOrder, oldest first).
	listedSizes map[string]uint64
	listedOrder []string
}

const (
	xferStateCost = int64(unsafe.Sizeof(xferState{}))
	transferCost  = int64(unsafe.Sizeof(Transfer{}))
)

func (x *xferState) strings() int64 {
	return strCost(x.cwd) + strCost(x.sizePath) + strCost(x.typ) + strCost(x.mode) + strCost(x.str)
}

// xfer returns the session's transfer state, allocated on first use.
func (a *Analyzer) xfer(st *sessionState) *xferState {
	if st.xfer == nil {
		st.xfer = &xferState{}
		a.charge(st.s, xferStateCost)
	}
	return st.xfer
}

// resolve resolves a path argument against the session's working directory.
func (x *xferState) resolve(arg string) (p string, relative bool) {
	cwd := x.cwd
	if x.cwdLost {
		cwd = ""
	}
	p = ftp.ResolvePath(cwd, arg)
	p, _ = stored(p)
	return p, p == "" || p[0] != '/'
}

// transferCommand starts the ledger entry of a transfer command that used
// ch (nil when no announcement preceded it), and consumes a REST.
func (a *Analyzer) transferCommand(st *sessionState, verb, arg string, ch *Channel) {
	x := a.xfer(st)
	rest, restSet := x.rest, x.restSet
	x.rest, x.restSet = 0, false
	if ch == nil {
		return
	}
	dir := ftp.TransferDirection(verb)
	t := &Transfer{Direction: dir, RestOffset: rest, Rest: restSet, Type: x.typ, Mode: x.mode, Structure: x.str}
	if !st.s.Midstream {
		def := func(v *string, d string) {
			if *v == "" {
				*v = d
			}
		}
		def(&t.Type, "A")
		def(&t.Mode, "S")
		def(&t.Structure, "F")
	}
	if dir == ftp.Listing {
		if verb != "MLSD" {
			arg = ftp.ListPath(arg)
		}
	}
	if verb != "STOU" || arg != "" {
		t.Path, t.PathRelative = x.resolve(arg)
	}
	if dir == ftp.Download && x.sizeSet && x.sizePath == t.Path && t.Path != "" {
		t.ExpectedBytes, t.ExpectedFrom = x.size, SizeReply
	}
	if n, ok := x.listedSizes[t.Path]; ok && dir == ftp.Download && t.Path != "" {
		t.ListedBytes, t.Listed = n, true
		if t.ExpectedFrom == SizeNone {
			t.ExpectedBytes, t.ExpectedFrom = n, SizeListing
		}
	}
	ch.Transfer = t
	a.recost(ch)
}

// transferPrelim reads a transfer's 1yz reply: "(N bytes)" announces the
// size; STOU's "FILE: name" (RFC 1123 4.1.2.9) names the file stored.
func (a *Analyzer) transferPrelim(st *sessionState, ch *Channel, code ftp.ReplyCode, text string) {
	t := ch.Transfer
	if t == nil {
		return
	}
	if code == 150 && !t.Opened150 {
		t.Opened150, t.Opened150Number = true, ftp.LastNumber(text)
	}
	if t.Direction == ftp.Download {
		if n, ok := ftp.ParseOpeningSize(text); ok {
			t.ExpectedBytes, t.ExpectedFrom = n, SizeOpening
		}
	}
	if name, ok := ftp.ParseUniqueName(text); ok && ch.Command == "STOU" {
		// A copy: text may be a view of the wire's bytes.
		t.Path, t.PathRelative = a.xfer(st).resolve(strings.Clone(name))
		a.recost(ch)
	}
}

// abort marks the transfer under way, if any, as aborted by the client.
func (a *Analyzer) abort(st *sessionState) {
	chs := st.s.Channels
	for i := len(chs) - 1; i >= 0; i-- {
		ch := chs[i]
		if ch.Transfer == nil {
			continue
		}
		if !ch.final && ch.finalReply() == 0 {
			ch.Transfer.Aborted = true
		}
		return
	}
}

// stateReply applies what an accepted command changes (ftp.StateEffect).
// arg is the command's argument as stored, argLen its length on the wire.
func (a *Analyzer) stateReply(st *sessionState, p *pending, code ftp.ReplyCode, text string) {
	if code == 225 && p.verb == "ABOR" {
		for i := len(st.s.Channels) - 1; i >= 0; i-- {
			if t := st.s.Channels[i].Transfer; t != nil {
				t.AbortIdle = t.Aborted
				break
			}
		}
	}
	e := ftp.StateEffect(p.verb)
	if e == ftp.EffectNone || code.Class() == ftp.TransientNegative || code.Class() == ftp.PermanentNegative {
		return
	}
	x := a.xfer(st)
	before := x.strings()
	switch e {
	case ftp.EffectCWD:
		if code.Class() != ftp.Completion {
			break
		}
		if p.cut {
			x.cwdLost = true
			break
		}
		if x.cwdLost && (p.arg == "" || p.arg[0] != '/') {
			break // relative to a directory no longer known
		}
		x.cwd, x.cwdLost = ftp.ResolvePath(x.cwd, p.arg), false
		x.cwd, _ = stored(x.cwd)
	case ftp.EffectCDUP:
		if code.Class() == ftp.Completion && x.cwd != "" && !x.cwdLost {
			x.cwd = ftp.ResolvePath(x.cwd, "..")
		}
	case ftp.EffectPWD:
		if code == 257 {
			if dir, err := ftp.ParsePWDReply(text); err == nil && dir[0] == '/' {
				// dir is ParsePWDReply's own string, never a view of text.
				x.cwd, _ = stored(ftp.ResolvePath("", dir))
				x.cwdLost = false
			}
		}
	case ftp.EffectType:
		if code.Class() == ftp.Completion {
			if v, err := ftp.ParseType(p.arg); err == nil {
				x.typ = v
			}
		}
	case ftp.EffectMode:
		if code.Class() == ftp.Completion {
			if v, err := ftp.ParseModeOrStru(p.arg, "SBC"); err == nil {
				x.mode = v
			}
		}
	case ftp.EffectStru:
		if code.Class() == ftp.Completion {
			if v, err := ftp.ParseModeOrStru(p.arg, "FRP"); err == nil {
				x.str = v
			}
		}
	case ftp.EffectRest:
		if code == 350 {
			if n, err := ftp.ParseRest(p.arg); err == nil {
				x.rest, x.restSet = n, true
			}
		}
	case ftp.EffectDelete:
		if code.Class() == ftp.Completion && !p.cut {
			path, _ := x.resolve(p.arg)
			chs := st.s.Channels
			for i := len(chs) - 1; i >= 0; i-- {
				if t := chs[i].Transfer; t != nil && t.Direction == ftp.Download && t.Path == path {
					t.DeletedAfter = true
					break
				}
			}
		}
	case ftp.EffectSize:
		if code == 213 && !p.cut {
			if n, err := ftp.ParseSizeReply(text); err == nil {
				x.sizePath, _ = x.resolve(p.arg)
				x.size, x.sizeSet = n, true
			}
		}
	}
	a.charge(st.s, x.strings()-before)
}

// dataIndex is the index of the server's direction in a data connection's
// per-direction counts: the initiator is [0], and the server initiates in
// active mode.
func (ch *Channel) dataIndex(fromServer bool) int {
	if (ch.Mode() == Active) == fromServer {
		return 0
	}
	return 1
}

// judgeTransfer fills the transfer's numbers from the data connection and
// decides its result. It runs when the channel is judged.
func (a *Analyzer) judgeTransfer(ch *Channel) {
	t := ch.Transfer
	if t == nil {
		a.endPayload(ch, nil)
		return
	}
	t.Reply = ch.finalReply()
	t.Encrypted = ch.DataTLS
	at := ch.Connection()
	if at != nil && at.Established() {
		i := ch.dataIndex(t.Direction.FromServer())
		t.Bytes, t.MissingBytes = at.Sent[i], at.MissingBytes(i)
		t.Start, t.End = at.DataTimes(i)
	} else {
		at = nil
	}
	t.Result, t.Cause = decideTransfer(t, at)
	if t.Reply.Class() == ftp.Completion && t.Type != "" && t.Type[0] != 'A' && t.Type[0] != 'E' && at != nil && !t.Encrypted {
		need := func(size uint64) uint64 { return size - min(size, t.RestOffset) }
		t.SizeMismatch = t.Listed && t.Bytes != need(t.ListedBytes) ||
			(t.ExpectedFrom == SizeOpening || t.ExpectedFrom == SizeReply) && t.Bytes != t.Needed() && t.Bytes != t.ExpectedBytes
	}
	a.endPayload(ch, at)
}

// decideTransfer is the ledger's rule, first match wins.
func decideTransfer(t *Transfer, at *Attempt) (Result, TransferCause) {
	final := t.Reply
	negative := final.Class() == ftp.TransientNegative || final.Class() == ftp.PermanentNegative
	whole := at != nil && t.MissingBytes == 0 && (t.AbortIdle || t.sizeChecked() && t.Bytes >= t.Needed())
	switch {
	case t.Aborted && final.Class() == ftp.Completion && whole:
		return Complete, CauseAbortTooLate
	case t.Aborted:
		return Aborted, CauseAbort
	case negative && t.Bytes == 0:
		return Failed, CauseErrorReply
	case negative:
		return Truncated, CauseErrorReply
	case final.Class() == ftp.Completion:
		switch {
		case at == nil:
			return CaptureGap, CauseNoConnection
		case t.MissingBytes > 0:
			return CaptureGap, CauseMissing
		case !t.sizeChecked():
			return Complete, CauseCompleteUnsized
		case t.Bytes < t.Needed() && t.Bytes != t.ExpectedBytes:
			return Truncated, CauseShort
		case t.Bytes > t.Needed() && t.Bytes != t.ExpectedBytes:
			return Complete, CauseCompleteLonger
		}
		return Complete, CauseCompleteSized
	case at != nil && at.ResetLater:
		return Truncated, CauseReset
	case at != nil && at.FIN && t.sizeChecked() && t.Bytes < t.Needed():
		return Truncated, CauseShort
	}
	return ResultUnknown, CauseNoReply
}
