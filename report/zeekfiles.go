package report

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/analysis/ftp"
	"github.com/ftpscope/ftpscope/flowid"
)

// filesLogFields are the columns of Zeek's files.log as Zeek 8.0 writes it
// with its base scripts: Files::Info (base/frameworks/files/main.zeek,
// one row per file and connection since Zeek 5.1), then the fields
// base/files/hash (md5, sha1, sha256) and base/files/extract (extracted,
// extracted_cutoff, extracted_size) add, in the order they are loaded.
var filesLogFields = []zeekField{
	{"ts", zTime}, {"fuid", zString}, {"uid", zString},
	{"id.orig_h", zAddr}, {"id.orig_p", zPort}, {"id.resp_h", zAddr}, {"id.resp_p", zPort},
	{"source", zString}, {"depth", zCount}, {"analyzers", zSetString}, {"mime_type", zString}, {"filename", zString},
	{"duration", zInterval}, {"local_orig", zBool}, {"is_orig", zBool},
	{"seen_bytes", zCount}, {"total_bytes", zCount}, {"missing_bytes", zCount}, {"overflow_bytes", zCount},
	{"timedout", zBool}, {"parent_fuid", zString},
	{"md5", zString}, {"sha1", zString}, {"sha256", zString},
	{"extracted", zString}, {"extracted_cutoff", zBool}, {"extracted_size", zCount},
}

// zeekFile is one file a data connection carried, as Zeek's FTP_DATA
// analyzer sees it: the bytes one side of the connection sent.
type zeekFile struct {
	fuid     string
	at       *analysis.Attempt
	isOrig   bool
	sent     uint64 // the bytes in sequence space
	missing  uint64
	from, to time.Time
}

// channelFiles returns the files a channel's data connection carried: the
// transfer's bytes when the channel has a transfer, else each direction
// that carried any (a capture that missed the command). Zeek makes a file
// of every data connection's stream with a byte in it, listings included;
// an empty one is no file, and neither is a TLS-protected one. The fuid is derived from the connection and the
// direction (flowid.FUID), so the same capture gives the same ids.
func channelFiles(c *analysis.Channel) []zeekFile {
	at := fileConnection(c)
	if at == nil {
		return nil
	}
	start := connStart(at)
	file := func(i int) zeekFile {
		f := zeekFile{at: at, isOrig: i == 0, sent: at.Sent[i], missing: at.MissingBytes(i)}
		f.from, f.to = at.DataTimes(i)
		f.fuid = flowid.FUID(at.From, at.To, start, f.isOrig)
		return f
	}
	if c.Transfer != nil {
		i, ok := transferFile(c, at)
		if !ok {
			return nil
		}
		return []zeekFile{file(i)}
	}
	var out []zeekFile
	for i := range 2 {
		if at.Sent[i] > 0 {
			out = append(out, file(i))
		}
	}
	return out
}

// dataIndex is the index of a direction in a data connection's counts:
// the initiator's is [0], and the server initiates in active mode.
func dataIndex(c *analysis.Channel, fromServer bool) int {
	if (c.Mode() == analysis.Active) == fromServer {
		return 0
	}
	return 1
}

// transferFUID is the fuid of the file a transfer's data connection
// carried ("" when it carried none): the fuid of its files.log row and of
// its command's ftp.log row.
func transferFUID(c *analysis.Channel) string {
	if c.Transfer == nil {
		return ""
	}
	// channelFiles(c)[0].fuid, without the rest of the file's row (every
	// JSON channel record with a transfer asks).
	at := fileConnection(c)
	if at == nil {
		return ""
	}
	i, ok := transferFile(c, at)
	if !ok {
		return ""
	}
	return flowid.FUID(at.From, at.To, connStart(at), i == 0)
}

// fileConnection is the data connection in which a channel's files are
// looked for, nil when it can carry none.
func fileConnection(c *analysis.Channel) *analysis.Attempt {
	at := c.Connection()
	if at == nil || !at.Established() || at.Bytes == 0 || c.DataTLS {
		// A protected channel (PROT P) carries TLS records: no file
		// analysis reads a file in them.
		return nil
	}
	return at
}

// transferFile is the index (dataIndex) of the direction of at that
// carried the channel's transfer; ok is false when that direction carried
// no byte, and so no file.
func transferFile(c *analysis.Channel, at *analysis.Attempt) (i int, ok bool) {
	i = dataIndex(c, c.Transfer.Direction.FromServer())
	return i, at.Sent[i] != 0
}

// zeekMIME is a media type as Zeek's file sniffing names it: without
// parameters ("text/plain", not "text/plain; charset=utf-8"), as
// ftp.log's file_transferred handler cuts it at ";".
func zeekMIME(m string) string {
	m, _, _ = strings.Cut(m, ";")
	return strings.TrimSpace(m)
}

// filesLogRows returns the files.log rows of a session's channels, one per
// file, in channel order. What Zeek's base scripts fill is filled as they
// do: ts is the first data byte, duration runs to the last, is_orig says
// whether the connection's originator sent the bytes, seen_bytes are the
// bytes the capture holds and missing_bytes the rest, local_orig stays
// unset (Site::local_nets is empty by default). The analyzers, hashes and
// mime_type are what --hash, --mime and --extract computed (Zeek's
// hash-all-files and extract scripts name their analyzers MD5, SHA1, SHA256
// and EXTRACT). Two fields Zeek leaves unset for FTP are filled from the
// control connection, because ftpscope knows them: filename (the
// transfer's path; a listing has none) and total_bytes (the size a 150 or
// SIZE reply announced for a binary transfer without REST).
func filesLogRows(s *analysis.Session) [][]zv {
	var rows [][]zv
	for _, c := range s.Channels {
		for _, f := range channelFiles(c) {
			rows = append(rows, filesLogRow(c, &f))
		}
	}
	return rows
}

func filesLogRow(c *analysis.Channel, f *zeekFile) []zv {
	row := make([]zv, len(filesLogFields))
	ts := f.from
	if ts.IsZero() {
		ts = f.at.FirstData
	}
	row[0], row[1] = zAt(ts), zStr(f.fuid)
	row[2] = zStr(flowid.UID(f.at.From, f.at.To, connStart(f.at)))
	row[3], row[4] = zAddrOf(f.at.From.Addr()), zNum(uint64(f.at.From.Port()))
	row[5], row[6] = zAddrOf(f.at.To.Addr()), zNum(uint64(f.at.To.Port()))
	row[7], row[8] = zStr("FTP_DATA"), zNum(0)
	dur := 0.0
	if !f.from.IsZero() && f.to.After(f.from) {
		dur = f.to.Sub(f.from).Seconds()
	}
	row[12] = zFloat(dur)
	row[14] = zFlag(f.isOrig)
	seen := f.sent - min(f.missing, f.sent)
	row[15], row[17], row[18] = zNum(seen), zNum(f.missing), zNum(0)
	row[19] = zFlag(false)
	analyzers := []string{}
	if t := c.Transfer; t != nil {
		if t.Direction != ftp.Listing && t.Path != "" {
			row[11] = zStr(t.Path)
		}
		if (t.ExpectedFrom == analysis.SizeOpening || t.ExpectedFrom == analysis.SizeReply) && !t.Rest &&
			(t.Type == "" || t.Type[0] == 'I' || t.Type[0] == 'L') {
			row[16] = zNum(t.ExpectedBytes)
		}
		if ct := t.Content; ct != nil {
			if m := zeekMIME(ct.MIME); m != "" {
				row[10] = zStr(m)
			}
			md5, sha1, sha256 := digests(ct.Digests)
			for _, h := range [...]struct {
				col       int
				name, hex string
			}{{21, "MD5", md5}, {22, "SHA1", sha1}, {23, "SHA256", sha256}} {
				if h.hex != "" {
					row[h.col] = zStr(h.hex)
					analyzers = append(analyzers, h.name)
				}
			}
			if ct.Extracted != "" {
				// Zeek logs the name under FileExtract::prefix; ftpscope's
				// is under --extract DIR.
				row[24], row[25] = zStr(filepath.Base(ct.Extracted)), zFlag(ct.ExtractCut)
				if ct.ExtractCut {
					row[26] = zNum(ct.ExtractedBytes)
				}
				analyzers = append([]string{"EXTRACT"}, analyzers...)
			}
		}
	}
	row[9] = zList(analyzers...)
	return row
}

// connStart is a data connection's start as its uid is derived from it:
// its first SYN, or its first data when the capture began after the SYN.
func connStart(at *analysis.Attempt) time.Time {
	if at.First.IsZero() {
		return at.FirstData
	}
	return at.First
}
