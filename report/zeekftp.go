package report

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strings"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/analysis/ftp"
)

// ftpLogFields are the columns of Zeek's ftp.log (base/protocols/ftp,
// FTP::Info and its ExpectedDataChannel), in Zeek's order.
var ftpLogFields = []zeekField{
	{"ts", zTime}, {"uid", zString}, {"id.orig_h", zAddr}, {"id.orig_p", zPort}, {"id.resp_h", zAddr}, {"id.resp_p", zPort},
	{"user", zString}, {"password", zString}, {"command", zString}, {"arg", zString}, {"mime_type", zString},
	{"file_size", zCount}, {"reply_code", zCount}, {"reply_msg", zString},
	{"data_channel.passive", zBool}, {"data_channel.orig_h", zAddr}, {"data_channel.resp_h", zAddr}, {"data_channel.resp_p", zPort},
	{"fuid", zString},
}

// zeekLoggedCommands are the commands that get an ftp.log row
// (FTP::logged_commands' default).
var zeekLoggedCommands = map[string]bool{
	"APPE": true, "DELE": true, "RETR": true, "STOR": true, "STOU": true, "ACCT": true,
	"PORT": true, "PASV": true, "EPRT": true, "EPSV": true,
}

// zeekFileCommands are the commands whose argument Zeek logs as an ftp://
// URL built from the working directory (main.zeek's file_cmds).
var zeekFileCommands = map[string]bool{
	"APPE": true, "CWD": true, "DELE": true, "MKD": true, "RETR": true, "RMD": true, "RNFR": true, "RNTO": true,
	"STOR": true, "STOU": true, "REST": true, "SIZE": true, "MDTM": true,
}

// Zeek's limits on logged fields (FTP::max_user_length and friends).
const (
	zeekMaxUser     = 128
	zeekMaxPassword = 128
	zeekMaxArg      = 4096
)

// zeekHidden is what Zeek logs for a password it hides.
const zeekHidden = "<hidden>"

// ftpLogRows returns a session's ftp.log rows, replaying its command log
// as Zeek's FTP scripts do: the user and password are the latest USER and
// PASS, the working directory follows CWD (250), CDUP (200, 250) and PWD
// (257) replies, and a row is written for each logged command. A password
// is <hidden> unless showPasswords (ftpscope never keeps a hidden one, so
// an anonymous login's is hidden too, where Zeek would show it).
func ftpLogRows(s *analysis.Session, showPasswords bool) [][]zv {
	au := s.Audit
	if au == nil {
		return nil
	}
	uid := SessionUID(s)
	user, password, havePassword, cwd := "<unknown>", "", false, "."
	var rows [][]zv
	for i := range au.Commands {
		c := &au.Commands[i]
		switch c.Verb {
		case "USER":
			user = cutBytes(c.Arg, zeekMaxUser)
		case "PASS":
			password, havePassword = cutBytes(c.Arg, zeekMaxPassword), true
		}
		if zeekLoggedCommands[c.Verb] {
			rows = append(rows, ftpLogRow(s, c, uid, user, password, havePassword, showPasswords, cwd))
		}
		switch {
		case c.Verb == "CWD" && c.Code == 250:
			cwd = zeekBuildPath(cwd, c.Arg)
		case c.Verb == "CDUP" && (c.Code == 200 || c.Code == 250):
			cwd = zeekBuildPath(cwd, "/..")
		case (c.Verb == "PWD" || c.Verb == "XPWD") && c.Code == 257:
			cwd = zeekExtractPath(c.ReplyText)
		}
	}
	return rows
}

func ftpLogRow(s *analysis.Session, c *analysis.CommandRecord, uid, user, password string, havePassword, show bool, cwd string) []zv {
	row := make([]zv, len(ftpLogFields))
	row[0], row[1] = zAt(c.Time), zStr(uid)
	row[2], row[3] = zAddrOf(s.Client.Addr()), zNum(uint64(s.Client.Port()))
	row[4], row[5] = zAddrOf(s.Server.Addr()), zNum(uint64(s.Server.Port()))
	row[6] = zStr(user)
	if havePassword {
		if !show {
			password = zeekHidden
		}
		row[7] = zStr(password)
	}
	row[8] = zStr(c.Verb)
	arg := c.Arg
	if zeekFileCommands[c.Verb] {
		arg = zeekURL(s.Server.Addr(), cwd, arg)
	}
	if arg != "" {
		row[9] = zStr(cutBytes(arg, zeekMaxArg))
	}
	if c.Code != 0 {
		row[12], row[13] = zNum(uint64(c.Code)), zStr(c.ReplyText)
	}
	if ch := channelOfCommand(s, c); ch != nil {
		switch {
		case ftp.IsDataSetup(c.Verb) && !ch.SetupRefused:
			orig := s.Server.Addr()
			if ch.Mode() == analysis.Passive {
				orig = s.Client.Addr()
			}
			row[14], row[15] = zFlag(ch.Mode() == analysis.Passive), zAddrOf(orig)
			row[16], row[17] = zAddrOf(ch.Announced.Addr()), zNum(uint64(ch.Announced.Port()))
		case ch.Transfer != nil && (c.Verb == "RETR" || c.Verb == "STOR" || c.Verb == "APPE" || c.Verb == "STOU"):
			// As base/protocols/ftp fills them: the fuid and the sniffed
			// type of the file the data connection carried (files.zeek),
			// and for RETR the last number of the 150 reply (main.zeek).
			if fuid := transferFUID(ch); fuid != "" {
				row[18] = zStr(fuid)
				if ct := ch.Transfer.Content; ct != nil && zeekMIME(ct.MIME) != "" {
					row[10] = zStr(zeekMIME(ct.MIME))
				}
			}
			if c.Verb == "RETR" && ch.Transfer.Opened150 {
				row[11] = zNum(ch.Transfer.Opened150Number)
			}
		}
	}
	return row
}

// channelOfCommand finds the channel a command set up or used: the PORT
// or EPRT that announced it, the PASV or EPSV its announcement answered, or
// the transfer that used it. Sessions keep channels, not links from their
// command log, so the command's time is the key.
func channelOfCommand(s *analysis.Session, c *analysis.CommandRecord) *analysis.Channel {
	for _, ch := range s.Channels {
		switch {
		case ftp.Verb(c.Verb).Class == ftp.ActiveSetup && ch.Method.String() == c.Verb && ch.Time.Equal(c.Time):
			return ch
		case ftp.Verb(c.Verb).Class == ftp.PassiveSetup && ch.Mode() == analysis.Passive && ch.Asked.Equal(c.Time):
			return ch
		case ftp.IsTransfer(c.Verb) && ch.Command == c.Verb && ch.CommandTime.Equal(c.Time):
			return ch
		}
	}
	return nil
}

// cutBytes cuts s to n bytes on a UTF-8 boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}

// zeekURL builds an ftp:// URL as FTP::build_url_ftp does: the server's
// address (IPv6 in brackets) and the argument resolved against the
// working directory, with a leading "/".
func zeekURL(server netip.Addr, cwd, arg string) string {
	p := zeekBuildPath(cwd, arg)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	host := server.String()
	if server.Is6() && !server.Is4In6() {
		host = "[" + host + "]"
	}
	return "ftp://" + host + p
}

// zeekAbsolute is base/utils/paths' absolute_path_pat.
var zeekAbsolute = regexp.MustCompile(`^(/|[A-Za-z]:[\\/])`)

// zeekBuildPath is build_path_compressed: the name joined to the directory
// unless it is absolute, then compressed.
func zeekBuildPath(dir, name string) string {
	p := name
	if !zeekAbsolute.MatchString(name) && dir != "" {
		sep := "/"
		if strings.HasSuffix(dir, "/") {
			sep = ""
		}
		p = dir + sep + name
	}
	return zeekCompressPath(p)
}

// zeekCompressPath is Zeek's compress_path (util::normalize_path): empty
// and "." components go (a leading "." stays), ".." takes the component
// before it away, a trailing "/" goes.
func zeekCompressPath(p string) string {
	if !strings.Contains(p, "/.") && !strings.Contains(p, "//") {
		if len(p) > 1 && strings.HasSuffix(p, "/") {
			return p[:len(p)-1]
		}
		return p
	}
	var out []string
	for i, c := range strings.Split(p, "/") {
		if c == "" || c == "." && i != 0 {
			continue
		}
		out = append(out, c)
		if c == ".." && len(out) > 1 {
			if last := out[len(out)-2]; last != "." && last != ".." {
				out = out[:len(out)-2]
			}
		}
	}
	s := strings.Join(out, "/")
	if strings.HasPrefix(p, "/") {
		s = "/" + s
	}
	return s
}

var (
	zeekQuotedDir = regexp.MustCompile(`"(/|[A-Za-z]:[\\/])[^"]*"`)
	zeekDir       = regexp.MustCompile(`(/|[A-Za-z]:[\\/])([^" ]|(\\ ))*`)
)

// zeekExtractPath is base/utils/paths' extract_path: the quoted absolute
// path in a 257 reply, else the first absolute path, else "".
func zeekExtractPath(s string) string {
	if m := zeekQuotedDir.FindString(s); m != "" {
		return strings.Trim(m, `"`)
	}
	return zeekDir.FindString(s)
}

// ZeekOptions tunes the Zeek logs.
type ZeekOptions struct {
	// JSON writes Zeek's JSON form (LogAscii::use_json) instead of TSV.
	JSON bool
	// ShowPasswords logs passwords instead of <hidden>.
	ShowPasswords bool
	// Stream writes each notice.log row as the notice is raised (live
	// capture), not after its session.
	Stream bool
}

// zeekWriter writes the Zeek logs beside the report inner writes.
type zeekWriter struct {
	inner Writer
	root  *os.Root
	o     ZeekOptions
	ftp   *zeekLog
	files *zeekLog
	note  *zeekLog
}

// WithZeekLogs returns a Writer that writes inner's report and, in dir
// (made if missing), Zeek's ftp.log for every session, files.log for the
// files its data connections carried and notice.log for its notices. The
// logs' names are fixed, never taken from the wire, and opened through an
// os.Root, so nothing is written outside dir.
func WithZeekLogs(inner Writer, dir string, o ZeekOptions) (Writer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--zeek-logs: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("--zeek-logs: %w", err)
	}
	z := &zeekWriter{inner: inner, root: root, o: o}
	z.ftp = &zeekLog{path: "ftp", fields: ftpLogFields, json: o.JSON, root: root}
	z.files = &zeekLog{path: "files", fields: filesLogFields, json: o.JSON, root: root}
	z.note = &zeekLog{path: "notice", fields: noticeLogFields, json: o.JSON, root: root}
	return z, nil
}

func (z *zeekWriter) Session(s *analysis.Session) error {
	if err := z.inner.Session(s); err != nil {
		return err
	}
	for _, row := range ftpLogRows(s, z.o.ShowPasswords) {
		if err := z.ftp.row(row, row[0].t); err != nil {
			return err
		}
	}
	for _, row := range filesLogRows(s) {
		if err := z.files.row(row, row[0].t); err != nil {
			return err
		}
	}
	if !z.o.Stream { // streamed, each notice row went out when it was raised
		ns := sessionNotices(s)
		for i := range ns {
			if err := z.note.row(noticeLogRow(s, &ns[i]), ns[i].Time); err != nil {
				return err
			}
		}
	}
	return nil
}

// Notice implements Writer: with Options.Stream the notice.log row is
// written as soon as the notice is raised.
func (z *zeekWriter) Notice(s *analysis.Session, n *analysis.Notice) error {
	if z.o.Stream {
		if err := z.note.row(noticeLogRow(s, n), n.Time); err != nil {
			return err
		}
	}
	return z.inner.Notice(s, n)
}

func (z *zeekWriter) Channel(s *analysis.Session, c *analysis.Channel) error {
	return z.inner.Channel(s, c)
}

func (z *zeekWriter) Flush() error {
	if err := errors.Join(z.ftp.flush(), z.files.flush(), z.note.flush()); err != nil {
		return err
	}
	return z.inner.Flush()
}

func (z *zeekWriter) Close(sum Summary) error {
	end := sum.Capture.Last
	err := errors.Join(z.ftp.close(end), z.files.close(end), z.note.close(end))
	if cerr := z.root.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("--zeek-logs: %w", cerr)
	}
	if ierr := z.inner.Close(sum); ierr != nil {
		return ierr
	}
	return err
}
