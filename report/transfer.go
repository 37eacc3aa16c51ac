package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// The transfer ledger's words and records (issue 13): analysis decides a
// transfer's result and keeps the facts; the sentence is made here.

// jsonTransfer is a channel's "transfer" object.
type jsonTransfer struct {
	Direction     string   `json:"direction"`
	Command       string   `json:"command"`
	Path          string   `json:"path"`
	PathRelative  bool     `json:"path_relative,omitempty"`
	Type          string   `json:"type,omitempty"`
	Mode          string   `json:"mode,omitempty"`
	Structure     string   `json:"structure,omitempty"`
	RestOffset    *uint64  `json:"rest_offset,omitempty"`
	Bytes         uint64   `json:"bytes"`
	MissingBytes  uint64   `json:"missing_bytes"`
	ExpectedBytes *uint64  `json:"expected_bytes,omitempty"`
	ExpectedFrom  string   `json:"expected_from,omitempty"`
	Result        string   `json:"result"`
	Reason        string   `json:"reason"`
	Reply         *int     `json:"reply,omitempty"`
	Aborted       bool     `json:"aborted,omitempty"`
	AbortIdle     bool     `json:"abort_idle,omitempty"`
	DurationMS    *float64 `json:"duration_ms,omitempty"`
	ThroughputBPS *uint64  `json:"throughput_bps,omitempty"`
	// What --hash, --mime and --extract found (absent without them).
	MIME         string `json:"mime_type,omitempty"`
	MD5          string `json:"md5,omitempty"`
	SHA1         string `json:"sha1,omitempty"`
	SHA256       string `json:"sha256,omitempty"`
	Extracted    string `json:"extracted,omitempty"`
	ExtractError string `json:"extract_error,omitempty"`
	Reordered    bool   `json:"reordered,omitempty"`
	PayloadLost  bool   `json:"payload_lost,omitempty"`
	// From the session's directory listings and later commands.
	ListedBytes  *uint64 `json:"listed_bytes,omitempty"`
	SizeMismatch bool    `json:"size_mismatch,omitempty"`
	DeletedAfter bool    `json:"deleted_after,omitempty"`
	Entries      *int    `json:"entries,omitempty"`
	// Stitched: the pieces of a file fetched with REST (issue 13).
	Stitched *jsonStitch `json:"stitched,omitempty"`
	// FUID is the Zeek-style id of the file the data connection carried:
	// its files.log row and its command's ftp.log row in --zeek-logs
	// (absent when no byte crossed).
	FUID string `json:"fuid,omitempty"`
}

// jsonStitch is what the pieces of a resumed file cover.
type jsonStitch struct {
	Ranges  [][]uint64 `json:"ranges"`
	Size    *uint64    `json:"size,omitempty"`
	Covered bool       `json:"covered"`
	File    string     `json:"file,omitempty"`
	MD5     string     `json:"md5,omitempty"`
	SHA1    string     `json:"sha1,omitempty"`
	SHA256  string     `json:"sha256,omitempty"`
}

func transferJSON(c *analysis.Channel, x *jsonScratch) *jsonTransfer {
	t := c.Transfer
	if t == nil {
		return nil
	}
	x.transfers = append(x.transfers, jsonTransfer{
		Direction: t.Direction.String(), Command: c.Command, Path: t.Path, PathRelative: t.PathRelative,
		Type: t.Type, Mode: t.Mode, Structure: t.Structure, Bytes: t.Bytes, MissingBytes: t.MissingBytes,
		ExpectedFrom: t.ExpectedFrom.String(), Result: t.Result.String(), Reason: x.keep(appendTransferReason(x.text[:0], t)), Aborted: t.Aborted, AbortIdle: t.AbortIdle,
	})
	j := &x.transfers[len(x.transfers)-1]
	if t.Rest {
		j.RestOffset = x.uint(t.RestOffset)
	}
	if t.ExpectedFrom != analysis.SizeNone {
		j.ExpectedBytes = x.uint(t.ExpectedBytes)
	}
	j.Reply = x.reply(t.Reply)
	if !t.Start.IsZero() {
		j.DurationMS = x.ms(t.Duration())
	}
	if bps, ok := t.Throughput(); ok {
		j.ThroughputBPS = x.uint(uint64(math.Round(bps)))
	}
	j.Reordered, j.PayloadLost = t.Reordered, t.PayloadLost
	j.FUID = transferFUID(c)
	j.SizeMismatch, j.DeletedAfter = t.SizeMismatch, t.DeletedAfter
	if t.Listed {
		j.ListedBytes = x.uint(t.ListedBytes)
	}
	if t.Listing != nil {
		j.Entries = x.int(len(t.Listing.Entries) + t.Listing.Dropped)
	}
	if ct := t.Content; ct != nil {
		j.MIME, j.Extracted, j.ExtractError = ct.MIME, ct.Extracted, ct.ExtractError
		j.MD5, j.SHA1, j.SHA256 = digests(ct.Digests)
		if st := ct.Stitched; st != nil {
			js := &jsonStitch{Ranges: [][]uint64{}, Covered: st.Covered, File: st.File}
			for _, r := range st.Ranges {
				js.Ranges = append(js.Ranges, []uint64{r[0], r[1]})
			}
			if st.Size > 0 {
				v := st.Size
				js.Size = &v
			}
			js.MD5, js.SHA1, js.SHA256 = digests(st.Digests)
			j.Stitched = js
		}
	}
	return j
}

// digests returns the md5, sha1 and sha256 among ds.
func digests(ds []analysis.Digest) (md5, sha1, sha256 string) {
	for _, d := range ds {
		switch d.Algorithm {
		case "md5":
			md5 = d.Hex
		case "sha1":
			sha1 = d.Hex
		case "sha256":
			sha256 = d.Hex
		}
	}
	return md5, sha1, sha256
}

// contentLine is the table's line for what --hash and --extract found.
func contentLine(t *analysis.Transfer) string {
	ct := t.Content
	var parts []string
	if ct.MIME != "" {
		parts = append(parts, ct.MIME)
	}
	for _, d := range ct.Digests {
		parts = append(parts, d.Algorithm+" "+d.Hex)
	}
	if ct.Extracted != "" {
		parts = append(parts, "extracted to "+ct.Extracted)
	}
	if ct.ExtractError != "" {
		parts = append(parts, "extraction: "+ct.ExtractError)
	}
	if t.PayloadLost {
		parts = append(parts, "no digest: the out-of-order data outgrew --max-held-payload")
	}
	if st := ct.Stitched; st != nil {
		w := fmt.Sprintf("resumed: pieces cover %v", st.Ranges)
		if st.Covered {
			w += " (the whole file)"
		}
		if st.File != "" {
			w += ", stitched into " + st.File
		}
		for _, d := range st.Digests {
			w += ", whole file " + d.Algorithm + " " + d.Hex
		}
		parts = append(parts, w)
	}
	return strings.Join(parts, "; ")
}

// appendTransferJSON appends the "transfer" object.
func appendTransferJSON(b []byte, t *jsonTransfer) []byte {
	b = append(b, `{"direction":`...)
	b = appendJSONString(b, t.Direction)
	b = append(b, `,"command":`...)
	b = appendJSONString(b, t.Command)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, t.Path)
	if t.PathRelative {
		b = append(b, `,"path_relative":true`...)
	}
	for _, f := range [...]struct{ k, v string }{{`,"type":`, t.Type}, {`,"mode":`, t.Mode}, {`,"structure":`, t.Structure}} {
		if f.v != "" {
			b = appendJSONString(append(b, f.k...), f.v)
		}
	}
	b = appendOptUint(b, `,"rest_offset":`, t.RestOffset)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendUint(b, t.Bytes, 10)
	b = append(b, `,"missing_bytes":`...)
	b = strconv.AppendUint(b, t.MissingBytes, 10)
	b = appendOptUint(b, `,"expected_bytes":`, t.ExpectedBytes)
	if t.ExpectedFrom != "" {
		b = appendJSONString(append(b, `,"expected_from":`...), t.ExpectedFrom)
	}
	b = append(b, `,"result":`...)
	b = appendJSONString(b, t.Result)
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, t.Reason)
	b = appendOptInt(b, `,"reply":`, t.Reply)
	if t.Aborted {
		b = append(b, `,"aborted":true`...)
	}
	if t.AbortIdle {
		b = append(b, `,"abort_idle":true`...)
	}
	b = appendOptMS(b, `,"duration_ms":`, t.DurationMS)
	b = appendOptUint(b, `,"throughput_bps":`, t.ThroughputBPS)
	for _, f := range [...]struct{ k, v string }{{`,"mime_type":`, t.MIME}, {`,"md5":`, t.MD5}, {`,"sha1":`, t.SHA1},
		{`,"sha256":`, t.SHA256}, {`,"extracted":`, t.Extracted}, {`,"extract_error":`, t.ExtractError}} {
		if f.v != "" {
			b = appendJSONString(append(b, f.k...), f.v)
		}
	}
	if t.Reordered {
		b = append(b, `,"reordered":true`...)
	}
	if t.PayloadLost {
		b = append(b, `,"payload_lost":true`...)
	}
	b = appendOptUint(b, `,"listed_bytes":`, t.ListedBytes)
	if t.SizeMismatch {
		b = append(b, `,"size_mismatch":true`...)
	}
	if t.DeletedAfter {
		b = append(b, `,"deleted_after":true`...)
	}
	b = appendOptInt(b, `,"entries":`, t.Entries)
	if st := t.Stitched; st != nil {
		b = append(b, `,"stitched":{"ranges":[`...)
		for i, r := range st.Ranges {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for k, v := range r {
				if k > 0 {
					b = append(b, ',')
				}
				b = strconv.AppendUint(b, v, 10)
			}
			b = append(b, ']')
		}
		b = append(b, ']')
		b = appendOptUint(b, `,"size":`, st.Size)
		b = append(b, `,"covered":`...)
		b = appendJSONBool(b, st.Covered)
		for _, f := range [...]struct{ k, v string }{{`,"file":`, st.File}, {`,"md5":`, st.MD5}, {`,"sha1":`, st.SHA1}, {`,"sha256":`, st.SHA256}} {
			if f.v != "" {
				b = appendJSONString(append(b, f.k...), f.v)
			}
		}
		b = append(b, '}')
	}
	if t.FUID != "" {
		b = appendJSONString(append(b, `,"fuid":`...), t.FUID)
	}
	return append(b, '}')
}

// appendListingJSON appends a {"type":"listing"} record: a parsed
// directory listing with its entries.
//
// rc is the channel's own record, whose community_id and fuid the listing
// repeats (each a hash: made once).
func appendListingJSON(b []byte, s *analysis.Session, c *analysis.Channel, rc *jsonChannel, x *jsonScratch) []byte {
	t := c.Transfer
	l := t.Listing
	b = append(b, `{"type":"listing","client":`...)
	b = appendJSONString(b, s.Client.String())
	b = append(b, `,"server":`...)
	b = appendJSONString(b, s.Server.String())
	b = append(b, `,"time":`...)
	b = append(x.appendStamp(append(b, '"'), c.CommandTime), '"') // digits and punctuation only
	b = append(b, `,"command":`...)
	b = appendJSONString(b, c.Command)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, t.Path)
	b = append(b, `,"format":`...)
	b = appendJSONString(b, l.Format.String())
	b = append(b, `,"result":`...)
	b = appendJSONString(b, t.Result.String())
	b = append(b, `,"whole":`...)
	b = appendJSONBool(b, l.Whole)
	b = append(b, `,"entries":[`...)
	for i, e := range l.Entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, e.Name)
		b = append(b, `,"type":`...)
		b = appendJSONString(b, e.Type.String())
		if e.HasSize {
			b = append(b, `,"size":`...)
			b = strconv.AppendUint(b, e.Size, 10)
		}
		for _, f := range [...]struct{ k, v string }{{`,"modified":`, e.Modified}, {`,"target":`, e.Target}, {`,"mode":`, e.Mode}} {
			if f.v != "" {
				b = appendJSONString(append(b, f.k...), f.v)
			}
		}
		b = append(b, '}')
	}
	b = append(b, `],"entries_dropped":`...)
	b = strconv.AppendInt(b, int64(l.Dropped), 10)
	b = append(b, `,"unparsed_lines":`...)
	b = strconv.AppendInt(b, int64(l.Unparsed), 10)
	if rc.CommunityID != "" { // the channel has a connection
		b = append(b, `,"community_id":`...)
		b = appendJSONString(b, rc.CommunityID)
	}
	if fuid := rc.Transfer.FUID; fuid != "" {
		b = append(b, `,"fuid":`...)
		b = appendJSONString(b, fuid)
	}
	return append(b, "}\n"...)
}

// appendOptUint appends an omitempty *uint64 field with its key.
func appendOptUint(b []byte, key string, v *uint64) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendUint(append(b, key...), *v, 10)
}

// TransferReason is the one sentence behind a transfer's result.
func TransferReason(t *analysis.Transfer) string {
	return string(appendTransferReason(make([]byte, 0, 128), t))
}

// appendTransferReason appends TransferReason(t) to b.
func appendTransferReason(b []byte, t *analysis.Transfer) []byte {
	s := &sentence{b: b}
	// of appends the bytes carried, against the size when one was announced.
	of := func() {
		if t.ExpectedFrom == analysis.SizeNone {
			s.uint(t.Bytes).str(" bytes")
			return
		}
		s.uint(t.Bytes).str(" of ").uint(t.Needed()).str(" bytes (").str(sizeWhere(t)).str(")")
	}
	replied := func() *sentence { return s.str("the server replied ").code(t.Reply) }
	switch t.Cause {
	case analysis.CauseCompleteSized:
		replied().str(" after ").uint(t.Bytes).str(" bytes, the size ").str(sizeWhere(t))
		if t.Rest {
			s.str(" less the REST offset ").uint(t.RestOffset)
		}
	case analysis.CauseCompleteUnsized:
		replied().str(" after ").uint(t.Bytes).str(" bytes")
		switch {
		case t.Encrypted:
			s.str("; the data connection is TLS (PROT P): its bytes are TLS records, held to no size")
		case t.ExpectedFrom != analysis.SizeNone:
			s.str("; in TYPE ").str(t.Type).str(" the wire bytes are not held to the size ").uint(t.ExpectedBytes).
				str(" ").str(sizeWhere(t)).str(" (line endings are converted)")
		}
	case analysis.CauseCompleteLonger:
		replied().str(" after ").uint(t.Bytes).str(" bytes, more than the ").uint(t.Needed()).str(" ").str(sizeWhere(t)).
			str(" (the file grew, or the size was stale)")
	case analysis.CauseErrorReply:
		if t.Bytes == 0 {
			replied().str(" before any data")
		} else {
			replied().str(" after ")
			of()
		}
	case analysis.CauseReset:
		s.str("the data connection was reset after ")
		of()
		s.str(", with no final reply")
	case analysis.CauseShort:
		if t.Reply != 0 {
			replied().str(", but the connection carried only ")
			of()
		} else {
			s.str("the data connection closed after ")
			of()
			s.str(", with no final reply")
		}
	case analysis.CauseAbort:
		s.str("the client sent ABOR after ")
		of()
		if t.Reply != 0 {
			s.str("; ")
			replied()
		}
	case analysis.CauseAbortTooLate:
		s.str("the client sent ABOR, but the transfer had finished: ")
		replied().str(" after ")
		of()
		if t.AbortIdle {
			s.str(" and answered the ABOR with 225 (no transfer to abort)")
		}
	case analysis.CauseMissing:
		replied().str(", but the capture lacks ").uint(t.MissingBytes).str(" of the ").uint(t.Bytes).
			str(" bytes the connection carried (loss at the capture point or a short snap length)")
	case analysis.CauseNoConnection:
		replied().str(", but the data connection is not in the capture")
	default:
		s.str("no final reply to ").str(directionVerb(t.Direction)).str(" is in the capture (")
		of()
		s.str(" so far)")
	}
	if t.MissingBytes > 0 && t.Cause != analysis.CauseMissing {
		s.str("; the capture lacks ").uint(t.MissingBytes).str(" of them")
	}
	return s.b
}

func sizeWhere(t *analysis.Transfer) string {
	switch t.ExpectedFrom {
	case analysis.SizeOpening:
		return "the 150 reply announced"
	case analysis.SizeReply:
		return "the SIZE reply gave"
	case analysis.SizeListing:
		return "the directory listing gave"
	}
	return ""
}

func directionVerb(d ftp.Direction) string {
	switch d {
	case ftp.Download:
		return "the download"
	case ftp.Upload:
		return "the upload"
	case ftp.Listing:
		return "the listing"
	}
	return "the transfer"
}

// transferRate writes a rate in bits per second for people ("8.4 Mbit/s").
func transferRate(t *analysis.Transfer) string {
	bps, ok := t.Throughput()
	if !ok {
		return "-"
	}
	switch {
	case bps >= 1e9:
		return fmt.Sprintf("%.1f Gbit/s", bps/1e9)
	case bps >= 1e6:
		return fmt.Sprintf("%.1f Mbit/s", bps/1e6)
	case bps >= 1e3:
		return fmt.Sprintf("%.1f kbit/s", bps/1e3)
	}
	return fmt.Sprintf("%.0f bit/s", bps)
}

// transferDuration writes a transfer's duration for people.
func transferDuration(t *analysis.Transfer) string {
	if t.Start.IsZero() {
		return "-"
	}
	d := t.Duration()
	if d < time.Second {
		return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
	}
	return span(d)
}
