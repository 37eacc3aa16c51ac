package report_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/reassembly"
	"github.com/ftpscope/ftpscope/report"
)

// zeekFTPFields and zeekFTPTypes are Zeek's ftp.log header lines (Zeek 5
// and later, base scripts only).
const (
	zeekFTPFields = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tuser\tpassword\tcommand\targ\tmime_type\tfile_size\treply_code\treply_msg\tdata_channel.passive\tdata_channel.orig_h\tdata_channel.resp_h\tdata_channel.resp_p\tfuid"
	zeekFTPTypes  = "time\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tstring\tcount\tcount\tstring\tbool\taddr\taddr\tport\tstring"
)

// zeekLog is a Zeek TSV log read back by readZeekTSV: its header and its
// rows, each value decoded (unset values are nil).
type zeekLog struct {
	path          string
	fields, types []string
	open, close   string
	rows          [][]*string
}

var (
	zeekStampRe = regexp.MustCompile(`^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$`)
	zeekTimeRe  = regexp.MustCompile(`^\d+\.\d{6}$`)
	zeekEscRe   = regexp.MustCompile(`\\x[0-9a-f]{2}`)
)

// readZeekTSV reads a log as a strict reader of Zeek's ASCII format does:
// the eight header lines in Zeek's order with Zeek's values, every row with
// one value per field, each value valid for its column's type, nothing
// but \xNN escapes after a backslash, no raw control character, and #close
// last.
func readZeekTSV(t *testing.T, data []byte) zeekLog {
	t.Helper()
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] != "" {
		t.Fatalf("the log does not end with a newline")
	}
	lines = lines[:len(lines)-1]
	if len(lines) < 9 {
		t.Fatalf("%d lines: no room for the header and #close", len(lines))
	}
	want := []string{`#separator \x09`, "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-"}
	for i, w := range want {
		if lines[i] != w {
			t.Fatalf("header line %d is %q, want %q", i+1, lines[i], w)
		}
	}
	var l zeekLog
	for i, key := range []string{"#path", "#open", "#fields", "#types"} {
		k, v, ok := strings.Cut(lines[4+i], "\t")
		if !ok || k != key {
			t.Fatalf("header line %d is %q, want %s", 5+i, lines[4+i], key)
		}
		switch key {
		case "#path":
			l.path = v
		case "#open":
			l.open = v
		case "#fields":
			l.fields = strings.Split(v, "\t")
		case "#types":
			l.types = strings.Split(v, "\t")
		}
	}
	if !zeekStampRe.MatchString(l.open) || len(l.fields) != len(l.types) {
		t.Fatalf("#open %q, %d fields, %d types", l.open, len(l.fields), len(l.types))
	}
	last := lines[len(lines)-1]
	k, v, _ := strings.Cut(last, "\t")
	if k != "#close" || !zeekStampRe.MatchString(v) {
		t.Fatalf("last line %q, want #close and a time", last)
	}
	l.close = v
	for n, line := range lines[8 : len(lines)-1] {
		if strings.HasPrefix(line, "#") {
			t.Fatalf("row %d is a header line: %q", n+1, line)
		}
		vals := strings.Split(line, "\t")
		if len(vals) != len(l.fields) {
			t.Fatalf("row %d has %d values for %d fields", n+1, len(vals), len(l.fields))
		}
		row := make([]*string, len(vals))
		for i, raw := range vals {
			for _, c := range []byte(raw) {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("row %d %s: raw control byte %#x", n+1, l.fields[i], c)
				}
			}
			if strings.Count(raw, `\`) != len(zeekEscRe.FindAllString(raw, -1)) {
				t.Fatalf("row %d %s: a backslash that is not \\xNN: %q", n+1, l.fields[i], raw)
			}
			if raw == "-" {
				continue
			}
			val := zeekUnescape(raw)
			if raw == "(empty)" {
				val = ""
			}
			if err := checkZeekType(l.types[i], raw, val); err != nil {
				t.Fatalf("row %d %s (%s): %v", n+1, l.fields[i], l.types[i], err)
			}
			row[i] = &val
		}
		l.rows = append(l.rows, row)
	}
	return l
}

func zeekUnescape(s string) string {
	return zeekEscRe.ReplaceAllStringFunc(s, func(e string) string {
		b, _ := strconv.ParseUint(e[2:], 16, 8)
		return string([]byte{byte(b)})
	})
}

func checkZeekType(typ, raw, val string) error {
	switch typ {
	case "time", "interval":
		if !zeekTimeRe.MatchString(raw) {
			return fmt.Errorf("%q is not seconds with six decimals", raw)
		}
	case "addr":
		if _, err := netip.ParseAddr(val); err != nil {
			return err
		}
	case "port":
		if n, err := strconv.ParseUint(raw, 10, 16); err != nil || raw != strconv.FormatUint(n, 10) {
			return fmt.Errorf("%q is not a port", raw)
		}
	case "count":
		if n, err := strconv.ParseUint(raw, 10, 64); err != nil || raw != strconv.FormatUint(n, 10) {
			return fmt.Errorf("%q is not a count", raw)
		}
	case "bool":
		if raw != "T" && raw != "F" {
			return fmt.Errorf("%q is not T or F", raw)
		}
	case "double":
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			return err
		}
	case "string", "enum", "set[enum]", "set[string]":
	default:
		return fmt.Errorf("type %q is not one ftpscope writes", typ)
	}
	return nil
}

// zeekLogsOf runs the engine over files with the Zeek logs on, into a
// temporary directory, and returns it.
func zeekLogsOf(t *testing.T, o report.ZeekOptions, cfg analysis.Config, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := capture.OpenFiles(files, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var mem report.Memory
	w, err := report.WithZeekLogs(&mem, dir, o)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Audit = true
	pc := pipeline.Config{Reassembly: reassembly.Config{ControlPorts: []uint16{21, 2121}}, Analysis: cfg}
	if _, err := pipeline.Run(context.Background(), src, pc, w); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestZeekFTPLogGolden: the ftp.log of lab and hand-made captures reads
// back under the strict reader with Zeek's exact header, and matches its
// golden file; the facts are checked too: one row per logged command of
// the capture, the RETR/STOR arguments as ftp:// URLs, passwords hidden.
func TestZeekFTPLogGolden(t *testing.T) {
	logged := map[string]bool{"APPE": true, "DELE": true, "RETR": true, "STOR": true, "STOU": true, "ACCT": true, "PORT": true, "PASV": true, "EPRT": true, "EPSV": true}
	for _, tc := range []struct{ name, file string }{
		{"01-basic-v4", "../pcaps/01-basic-v4/client.pcap"},
		{"02-extended-v4-v6", "../pcaps/02-extended-v4-v6/client.pcap"},
		{"03-proftpd", "../pcaps/03-proftpd/server.pcap"},
		{"15-long-session-abort-kill", "../pcaps/15-long-session-abort-kill/client.pcap"},
		{"nat-227", "../pcaps/handmade/nat-227.pcap"},
		{"17-bruteforce-proftpd", "../pcaps/17-bruteforce-proftpd/client.pcap"},
		{"midsession", "../pcaps/handmade/midsession.pcap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := zeekLogsOf(t, report.ZeekOptions{}, analysis.Config{}, tc.file)
			data, err := os.ReadFile(filepath.Join(dir, "ftp.log"))
			if err != nil {
				t.Fatal(err)
			}
			l := readZeekTSV(t, data)
			if l.path != "ftp" || strings.Join(l.fields, "\t") != zeekFTPFields || strings.Join(l.types, "\t") != zeekFTPTypes {
				t.Fatalf("#path %s\n#fields %v\n#types %v", l.path, l.fields, l.types)
			}
			sessions := sessionsAudited(t, tc.file)
			want := 0
			for _, s := range sessions {
				for _, c := range s.Audit.Commands {
					if logged[c.Verb] {
						want++
					}
				}
			}
			if len(l.rows) != want || want == 0 {
				t.Errorf("%d rows, want %d (the logged commands)", len(l.rows), want)
			}
			for _, r := range l.rows {
				cmd, arg := *r[8], r[9]
				if (cmd == "RETR" || cmd == "STOR") && (arg == nil || !strings.HasPrefix(*arg, "ftp://")) {
					t.Errorf("%s arg %v is not an ftp:// URL", cmd, arg)
				}
				if r[7] != nil && *r[7] != "<hidden>" {
					t.Errorf("password %q logged", *r[7])
				}
				if (cmd == "PASV" || cmd == "EPSV") && r[12] != nil && (*r[12] == "227" || *r[12] == "229") && (r[14] == nil || *r[14] != "T") {
					t.Errorf("%s row without its passive data channel", cmd)
				}
			}
			golden(t, "zeek-ftp-"+tc.name+".log", string(data))
		})
	}
}

// sessionsAudited is sessionsOf with the audit kept.
func sessionsAudited(t *testing.T, file string) []*analysis.Session {
	src, err := capture.OpenFiles([]string{file}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out report.Memory
	cfg := pipeline.Config{Reassembly: reassembly.Config{ControlPorts: []uint16{21, 2121}}, Analysis: analysis.Config{Audit: true}}
	if _, err := pipeline.Run(context.Background(), src, cfg, &out); err != nil {
		t.Fatal(err)
	}
	return out.Sessions
}

// craftCapture writes a capture with craft and returns its path.
func craftCapture(t *testing.T, write func(w *craft.Writer)) string {
	t.Helper()
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	w, err := craft.NewWriter(bw)
	if err != nil {
		t.Fatal(err)
	}
	write(w)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crafted.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestZeekFTPLogHostileNames: file names with a tab, a backslash, bytes that
// are not UTF-8, a name that is "-", and a name that climbs out of the
// directory are escaped as Zeek escapes them and read back to the wire's
// bytes; the URL is built from the working directory as Zeek builds it;
// with --show-passwords the password is logged; the JSON form holds the
// same rows.
func TestZeekFTPLogHostileNames(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("[2001:db8::21]:21")
	names := []string{"a\tb.txt", `c\d.txt`, "caf\xe9.txt", "-", "../../etc/passwd"}
	path := craftCapture(t, func(w *craft.Writer) {
		c := w.Dial(t0, netip.MustParseAddrPort("[2001:db8::10]:40000"), server)
		at := t0.Add(time.Millisecond)
		step := func(from craft.Side, s string) {
			at = at.Add(time.Millisecond)
			c.Send(at, from, []byte(s))
		}
		step(craft.FromServer, "220 ready\r\n")
		step(craft.FromClient, "USER alice\r\n")
		step(craft.FromServer, "331 pw\r\n")
		step(craft.FromClient, "PASS s3cret\r\n")
		step(craft.FromServer, "230 ok\r\n")
		step(craft.FromClient, "CWD pub\r\n")
		step(craft.FromServer, "250 ok\r\n")
		for _, n := range names {
			step(craft.FromClient, "DELE "+n+"\r\n")
			step(craft.FromServer, "250 gone\r\n")
		}
		c.Close(at.Add(time.Millisecond))
	})
	for _, show := range []bool{false, true} {
		dir := zeekLogsOf(t, report.ZeekOptions{ShowPasswords: show}, analysis.Config{ShowPasswords: show}, path)
		data, err := os.ReadFile(filepath.Join(dir, "ftp.log"))
		if err != nil {
			t.Fatal(err)
		}
		l := readZeekTSV(t, data)
		if len(l.rows) != len(names) {
			t.Fatalf("%d rows, want %d:\n%s", len(l.rows), len(names), data)
		}
		for i, r := range l.rows {
			// Zeek's working directory starts as "." and a relative CWD
			// joins it; compress_path keeps a leading "." and a ".." it
			// cannot take back (Zeek's ftp-ipv4 baseline logs
			// ftp://199.233.217.249/./robots.txt).
			want := "ftp://[2001:db8::21]/./pub/" + names[i]
			if names[i] == "../../etc/passwd" {
				want = "ftp://[2001:db8::21]/./../etc/passwd"
			}
			if *r[8] != "DELE" || r[9] == nil || *r[9] != want {
				t.Errorf("row %d: %s %v, want DELE %q", i, *r[8], deref(r[9]), want)
			}
			wantPW := "<hidden>"
			if show {
				wantPW = "s3cret"
			}
			if r[7] == nil || *r[7] != wantPW || *r[6] != "alice" {
				t.Errorf("row %d: user %v password %v", i, deref(r[6]), deref(r[7]))
			}
		}
		if show {
			continue
		}
		if strings.Contains(string(data), "s3cret") {
			t.Error("the password is in the log")
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 2 {
			t.Errorf("%d files in the log directory, want ftp.log and notice.log", len(entries))
		}
		// alice's password crossed public addresses in clear.
		nd, err := os.ReadFile(filepath.Join(dir, "notice.log"))
		if err != nil {
			t.Fatal(err)
		}
		nl := readZeekTSV(t, nd)
		if nl.path != "notice" || len(nl.rows) != 1 || *nl.rows[0][10] != "FTPScope::Cleartext_Credentials" {
			t.Errorf("notice.log:\n%s", nd)
		}
	}
	dir := zeekLogsOf(t, report.ZeekOptions{JSON: true}, analysis.Config{}, path)
	data, err := os.ReadFile(filepath.Join(dir, "ftp.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%d JSON rows, want %d", len(lines), len(names))
	}
	known := map[string]bool{}
	for _, f := range strings.Split(zeekFTPFields, "\t") {
		known[f] = true
	}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("row %d: %v: %s", i, err, line)
		}
		for k := range rec {
			if !known[k] {
				t.Errorf("row %d: field %q is not ftp.log's", i, k)
			}
		}
		if _, ok := rec["ts"].(float64); !ok || rec["id.resp_p"] != float64(21) || rec["command"] != "DELE" || rec["password"] != "<hidden>" {
			t.Errorf("row %d: %s", i, line)
		}
		if _, ok := rec["mime_type"]; ok {
			t.Errorf("row %d: an unset field is written: %s", i, line)
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

// zeekNoticeFields is Zeek's notice.log header with the community-id
// package's notice column.
const zeekNoticeFields = "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tfuid\tfile_mime_type\tfile_desc\tproto\tnote\tmsg\tsub\tsrc\tdst\tp\tn\tpeer_descr\tactions\temail_dest\tsuppress_for\tremote_location.country_code\tremote_location.region\tremote_location.city\tremote_location.latitude\tremote_location.longitude\tcommunity_id"

const zeekNoticeTypes = "time\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tenum\tenum\tstring\tstring\taddr\taddr\tport\tcount\tstring\tset[enum]\tset[string]\tinterval\tstring\tstring\tstring\tdouble\tdouble\tstring"

// TestZeekNoticeBruteforce: 25 failed logins over five control
// connections, then a success: notice.log holds Zeek's FTP::Bruteforcing
// row (Zeek's message, the source only, 20 failures) and the success,
// under the strict reader; the JSON output has the two notice records and
// the summary counts them.
func TestZeekNoticeBruteforce(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("10.9.0.2:21")
	path := craftCapture(t, func(w *craft.Writer) {
		at := t0
		for conn := range 5 {
			c := w.Dial(at, netip.AddrPortFrom(netip.MustParseAddr("10.9.0.1"), uint16(41000+conn)), server)
			at = at.Add(10 * time.Millisecond)
			c.Server(at, "220 ready\r\n")
			for i := range 5 {
				at = at.Add(time.Second)
				c.Client(at, fmt.Sprintf("USER user%d\r\n", i))
				c.Server(at.Add(time.Millisecond), "331 Please specify the password.\r\n")
				c.Client(at.Add(2*time.Millisecond), "PASS guess\r\n")
				c.Server(at.Add(3*time.Millisecond), "530 Login incorrect.\r\n")
			}
			if conn == 4 {
				at = at.Add(time.Second)
				c.Client(at, "USER admin\r\n")
				c.Server(at.Add(time.Millisecond), "331 Please specify the password.\r\n")
				c.Client(at.Add(2*time.Millisecond), "PASS letmein\r\n")
				c.Server(at.Add(3*time.Millisecond), "230 Login successful.\r\n")
			}
			c.Client(at.Add(5*time.Millisecond), "QUIT\r\n")
			c.Server(at.Add(6*time.Millisecond), "221 Goodbye.\r\n")
			c.Close(at.Add(7 * time.Millisecond))
		}
	})
	dir := zeekLogsOf(t, report.ZeekOptions{}, analysis.Config{}, path)
	data, err := os.ReadFile(filepath.Join(dir, "notice.log"))
	if err != nil {
		t.Fatal(err)
	}
	l := readZeekTSV(t, data)
	if strings.Join(l.fields, "\t") != zeekNoticeFields || strings.Join(l.types, "\t") != zeekNoticeTypes {
		t.Fatalf("notice.log header:\n%s", data)
	}
	if len(l.rows) != 2 {
		t.Fatalf("%d rows:\n%s", len(l.rows), data)
	}
	b, s := l.rows[0], l.rows[1]
	if *b[10] != "FTP::Bruteforcing" || *b[11] != "10.9.0.1 had 20 failed logins on 1 FTP server in 0m19s" || *b[13] != "10.9.0.1" ||
		b[1] != nil || b[2] != nil || *b[16] != "20" || *b[18] != "Notice::ACTION_LOG" || *b[19] != "" || *b[20] != "3600.000000" {
		t.Errorf("bruteforce row %v", derefAll(b))
	}
	if *s[10] != "FTPScope::Bruteforce_Success" || s[1] == nil || *s[2] != "10.9.0.1" || *s[4] != "10.9.0.2" || *s[5] != "21" || s[26] == nil ||
		!strings.Contains(*s[11], `logged in as "admin" after 25 failed logins`) {
		t.Errorf("success row %v", derefAll(s))
	}

	var out bytes.Buffer
	jw, err := report.New(report.JSON, &out, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.OpenFiles([]string{path}, capture.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pc := pipeline.Config{Analysis: analysis.Config{Audit: true}}
	if _, err := pipeline.Run(context.Background(), src, pc, jw); err != nil {
		t.Fatal(err)
	}
	var notices []map[string]any
	var summary map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		switch rec["type"] {
		case "notice":
			notices = append(notices, rec)
		case "summary":
			summary = rec
		}
	}
	if len(notices) != 2 || notices[0]["kind"] != "bruteforce" || notices[0]["failures"] != float64(20) ||
		notices[1]["kind"] != "bruteforce-success" || notices[1]["user"] != "admin" || notices[0]["source"] != "10.9.0.1" {
		t.Fatalf("notices %v", notices)
	}
	counts := summary["notices"].(map[string]any)
	if counts["bruteforce"] != float64(1) || counts["bruteforce-success"] != float64(1) || counts["fxp"] != float64(0) {
		t.Errorf("summary notices %v", counts)
	}
	if strings.Contains(out.String(), "letmein") || strings.Contains(string(data), "letmein") {
		t.Error("a password is in the output")
	}
}

func derefAll(r []*string) []string {
	out := make([]string, len(r))
	for i, p := range r {
		out[i] = deref(p)
	}
	return out
}

// TestLabBruteforce: the lab's real brute force (pcaps/17-bruteforce-proftpd:
// curl against proftpd's real account). The truth is proftpd's own log:
// every "PASS" line answered 530 is a failure, the one answered 230 the
// success. At both capture points ftpscope raises bruteforce at the 20th
// failure and bruteforce-success with every failure counted, each session's
// login says failure or success as proftpd answered, and notice.log reads
// back under the strict reader.
func TestLabBruteforce(t *testing.T) {
	dir := "../pcaps/17-bruteforce-proftpd"
	logData, err := os.ReadFile(filepath.Join(dir, "logs", "proftpd-main.log"))
	if err != nil {
		t.Fatal(err)
	}
	failures, successes := 0, 0
	for _, line := range strings.Split(string(logData), "\n") {
		switch {
		case strings.Contains(line, `"PASS (hidden)" 530`):
			failures++
		case strings.Contains(line, `"PASS (hidden)" 230`):
			successes++
		}
	}
	if failures != 25 || successes != 1 {
		t.Fatalf("proftpd logged %d failures and %d successes", failures, successes)
	}
	for _, vantage := range []string{"client.pcap", "server.pcap"} {
		file := filepath.Join(dir, vantage)
		var gotFail, gotOK int
		var ns []analysis.Notice
		for _, s := range sessionsAudited(t, file) {
			switch s.Audit.Login.Outcome {
			case analysis.LoginFailure:
				gotFail += s.Audit.Login.Failures
			case analysis.LoginSuccess:
				gotOK++
			}
			ns = append(ns, s.Audit.Notices...)
		}
		if gotFail != failures || gotOK != successes {
			t.Errorf("%s: %d failed and %d successful logins, proftpd logged %d and %d", vantage, gotFail, gotOK, failures, successes)
		}
		if len(ns) != 2 || ns[0].Kind != analysis.NoticeBruteforce || ns[0].Failures != 20 ||
			ns[1].Kind != analysis.NoticeBruteforceSuccess || ns[1].Failures != failures || ns[1].User != "labuser" {
			t.Fatalf("%s: notices %+v", vantage, ns)
		}
		logs := zeekLogsOf(t, report.ZeekOptions{}, analysis.Config{}, file)
		data, err := os.ReadFile(filepath.Join(logs, "notice.log"))
		if err != nil {
			t.Fatal(err)
		}
		l := readZeekTSV(t, data)
		if len(l.rows) != 2 || *l.rows[0][10] != "FTP::Bruteforcing" || !strings.HasPrefix(*l.rows[0][11], "10.0.1.2 had 20 failed logins on 1 FTP server in ") {
			t.Errorf("%s: notice.log:\n%s", vantage, data)
		}
	}
}
