package report_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/transfer"
)

// zeekFilesFields and zeekFilesTypes are Zeek 8.0's files.log header lines
// with its base scripts (base/frameworks/files, base/files/hash,
// base/files/extract).
const (
	zeekFilesFields = "ts\tfuid\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tsource\tdepth\tanalyzers\tmime_type\tfilename\tduration\tlocal_orig\tis_orig\tseen_bytes\ttotal_bytes\tmissing_bytes\toverflow_bytes\ttimedout\tparent_fuid\tmd5\tsha1\tsha256\textracted\textracted_cutoff\textracted_size"
	zeekFilesTypes  = "time\tstring\tstring\taddr\tport\taddr\tport\tstring\tcount\tset[string]\tstring\tstring\tinterval\tbool\tbool\tcount\tcount\tcount\tcount\tbool\tstring\tstring\tstring\tstring\tstring\tbool\tcount"
)

// files.log columns the tests read.
const (
	fTS = iota
	fFUID
	fUID
	fOrigH
	fOrigP
	fRespH
	fRespP
	fSource
	fDepth
	fAnalyzers
	fMIME
	fFilename
	fDuration
	fLocalOrig
	fIsOrig
	fSeen
	fTotal
	fMissing
	fOverflow
	fTimedout
	fParent
	fMD5
	fSHA1
	fSHA256
	fExtracted
	fCutoff
	fExtractedSize
)

// ftp.log's fuid, mime_type and file_size columns.
const (
	ftpMIME     = 10
	ftpFileSize = 11
	ftpFUID     = 18
)

// zeekLogsWithContent is zeekLogsOf with --hash (and --extract when
// extract) on.
func zeekLogsWithContent(t *testing.T, o report.ZeekOptions, hashes []string, extract bool, files ...string) string {
	t.Helper()
	to := transfer.Options{Hashes: hashes}
	if extract {
		to.ExtractDir = t.TempDir()
	}
	c, err := transfer.New(to)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return zeekLogsOf(t, o, analysis.Config{Payload: c}, files...)
}

// readLog reads one log of dir with the strict reader.
func readLog(t *testing.T, dir, name string) (zeekLog, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return readZeekTSV(t, data), data
}

// TestZeekFilesLogGolden: files.log of lab captures reads back under the
// strict reader with Zeek 8.0's header and types and matches its golden
// file; every row is an FTP_DATA file over a data connection (not the
// control connection's uid); every fuid in ftp.log is in files.log once,
// on a RETR, STOR, STOU or APPE row, and the row's file is the command's
// (its filename is the path of the row's ftp:// URL); the analyzers are the
// digests and extraction that were asked for, and nothing else; a listing
// is a file without a name.
func TestZeekFilesLogGolden(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		hashes     []string
		extract    bool
		analyzers  string
	}{
		{"18-transfer-ledger", "../pcaps/18-transfer-ledger/client.pcap", []string{"md5", "sha1", "sha256"}, false, "MD5,SHA1,SHA256"},
		{"03-proftpd", "../pcaps/03-proftpd/server.pcap", nil, false, ""},
		{"02-extended-v4-v6", "../pcaps/02-extended-v4-v6/client.pcap", []string{"sha256"}, true, "EXTRACT,SHA256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var dir string
			if tc.hashes == nil && !tc.extract {
				dir = zeekLogsOf(t, report.ZeekOptions{}, analysis.Config{}, tc.file)
			} else {
				dir = zeekLogsWithContent(t, report.ZeekOptions{}, tc.hashes, tc.extract, tc.file)
			}
			fl, data := readLog(t, dir, "files.log")
			if fl.path != "files" || strings.Join(fl.fields, "\t") != zeekFilesFields || strings.Join(fl.types, "\t") != zeekFilesTypes {
				t.Fatalf("#path %s\n#fields %v\n#types %v", fl.path, fl.fields, fl.types)
			}
			ftpl, _ := readLog(t, dir, "ftp.log")
			controls := map[string]bool{}
			for _, r := range ftpl.rows {
				controls[*r[1]] = true
			}
			byFUID := map[string][]*string{}
			for _, r := range fl.rows {
				if *r[fSource] != "FTP_DATA" || *r[fDepth] != "0" || r[fLocalOrig] != nil || *r[fTimedout] != "F" || *r[fOverflow] != "0" || r[fParent] != nil {
					t.Errorf("row %v", derefAll(r))
				}
				if controls[*r[fUID]] || !strings.HasPrefix(*r[fUID], "C") || !strings.HasPrefix(*r[fFUID], "F") {
					t.Errorf("uid %s fuid %s: not a data connection's", *r[fUID], *r[fFUID])
				}
				if *r[fAnalyzers] != tc.analyzers {
					t.Errorf("%s: analyzers %q, want %q", *r[fFUID], *r[fAnalyzers], tc.analyzers)
				}
				if (r[fSHA256] != nil) != strings.Contains(tc.analyzers, "SHA256") || (r[fMD5] != nil) != strings.Contains(tc.analyzers, "MD5") ||
					(r[fExtracted] != nil) != tc.extract || (r[fMIME] != nil) != (tc.hashes != nil) {
					t.Errorf("%s: digests, extraction or type without their flag (or missing): %v", *r[fFUID], derefAll(r))
				}
				if byFUID[*r[fFUID]] != nil {
					t.Errorf("fuid %s twice", *r[fFUID])
				}
				byFUID[*r[fFUID]] = r
			}
			linked := map[string]bool{}
			for _, r := range ftpl.rows {
				cmd := *r[8]
				if r[ftpFUID] == nil {
					continue
				}
				f := byFUID[*r[ftpFUID]]
				if f == nil {
					t.Errorf("%s: fuid %s is not in files.log", cmd, *r[ftpFUID])
					continue
				}
				linked[*r[ftpFUID]] = true
				if cmd != "RETR" && cmd != "STOR" && cmd != "APPE" && cmd != "STOU" {
					t.Errorf("%s row has a fuid", cmd)
				}
				if _, p, _ := strings.Cut(strings.TrimPrefix(*r[9], "ftp://"), "/"); f[fFilename] == nil || "/"+p != *f[fFilename] {
					t.Errorf("%s %s: the file's name is %s", cmd, *r[9], deref(f[fFilename]))
				}
				if (r[ftpMIME] == nil) != (f[fMIME] == nil) || r[ftpMIME] != nil && *r[ftpMIME] != *f[fMIME] {
					t.Errorf("%s %s: mime_type %s in ftp.log, %s in files.log", cmd, *r[9], deref(r[ftpMIME]), deref(f[fMIME]))
				}
				if wantOrig := cmd != "RETR"; (*f[fIsOrig] == "T") != (wantOrig == (*f[fOrigH] == *r[2])) {
					t.Errorf("%s: is_orig %s for a data connection from %s", cmd, *f[fIsOrig], *f[fOrigH])
				}
			}
			for fuid, f := range byFUID {
				if !linked[fuid] && f[fFilename] != nil {
					t.Errorf("file %s (%s) is linked from no ftp.log row", fuid, *f[fFilename])
				}
			}
			if len(linked) < 2 {
				t.Errorf("only %d files linked", len(linked))
			}
			golden(t, "zeek-files-"+tc.name+".log", string(data))
		})
	}
}

// TestZeekFilesLogHostileNames: files named with a tab, a backslash, a
// byte that is not UTF-8, a right-to-left override, "-" and "(empty)" are
// fetched over passive data connections: files.log's filename is escaped as
// Zeek escapes wire text and reads back to the wire's path; the digest is
// the bytes' own, the fuid links the RETR row of ftp.log and the JSON
// transfer object, file_size is the 150 reply's last number (Zeek's rule,
// 0 when the reply has none), and the JSON form of files.log has Zeek's
// keys only, no unset one, the analyzers as an array.
func TestZeekFilesLogHostileNames(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("198.51.100.21:21")
	client := netip.MustParseAddrPort("192.0.2.10:40000")
	names := []string{"a\tb.txt", `c\d.txt`, "caf\xe9.txt", "evil\u202etxt.exe", "-", "(empty)"}
	content := func(i int) string { return strings.Repeat(fmt.Sprintf("file %d\n", i), 100+i) }
	path := craftCapture(t, func(w *craft.Writer) {
		c := w.Dial(t0, client, server)
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
		step(craft.FromClient, "PWD\r\n")
		step(craft.FromServer, "257 \"/pub\" is the current directory\r\n")
		step(craft.FromClient, "TYPE I\r\n")
		step(craft.FromServer, "200 ok\r\n")
		for i, n := range names {
			port := uint16(50000 + i)
			step(craft.FromClient, "PASV\r\n")
			step(craft.FromServer, fmt.Sprintf("227 Entering Passive Mode (198,51,100,21,%d,%d).\r\n", port>>8, port&0xff))
			step(craft.FromClient, "RETR "+n+"\r\n")
			opening := fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).\r\n", n, len(content(i)))
			if i == len(names)-1 {
				opening = "150 Here it comes.\r\n"
			}
			step(craft.FromServer, opening)
			at = at.Add(time.Millisecond)
			d := w.Dial(at, netip.AddrPortFrom(client.Addr(), uint16(45000+i)), netip.AddrPortFrom(server.Addr(), port))
			at = at.Add(time.Millisecond)
			d.Server(at, content(i))
			at = at.Add(time.Millisecond)
			d.CloseFrom(at, craft.FromServer)
			step(craft.FromServer, "226 done\r\n")
		}
		step(craft.FromClient, "QUIT\r\n")
		step(craft.FromServer, "221 bye\r\n")
		c.Close(at.Add(time.Millisecond))
	})
	dir := zeekLogsWithContent(t, report.ZeekOptions{}, []string{"sha256"}, false, path)
	fl, data := readLog(t, dir, "files.log")
	if len(fl.rows) != len(names) {
		t.Fatalf("%d files, want %d:\n%s", len(fl.rows), len(names), data)
	}
	ftpl, _ := readLog(t, dir, "ftp.log")
	var retrs [][]*string
	for _, r := range ftpl.rows {
		if *r[8] == "RETR" {
			retrs = append(retrs, r)
		}
	}
	if len(retrs) != len(names) {
		t.Fatalf("%d RETR rows", len(retrs))
	}
	for i, r := range fl.rows {
		sum := sha256.Sum256([]byte(content(i)))
		want := "/pub/" + names[i]
		if r[fFilename] == nil || *r[fFilename] != want || *r[fSHA256] != hex.EncodeToString(sum[:]) ||
			*r[fSeen] != fmt.Sprint(len(content(i))) || *r[fIsOrig] != "F" || *r[fAnalyzers] != "SHA256" || *r[fMIME] != "text/plain" {
			t.Errorf("file %d: %v", i, derefAll(r))
		}
		if r[fTotal] == nil && i < len(names)-1 || r[fTotal] != nil && *r[fTotal] != fmt.Sprint(len(content(i))) {
			t.Errorf("file %d: total_bytes %s", i, deref(r[fTotal]))
		}
		wantSize := fmt.Sprint(len(content(i)))
		if i == len(names)-1 {
			wantSize = "0"
		}
		if rr := retrs[i]; rr[ftpFUID] == nil || *rr[ftpFUID] != *r[fFUID] || deref(rr[ftpFileSize]) != wantSize || deref(rr[ftpMIME]) != "text/plain" {
			t.Errorf("RETR %q: fuid %s (file %s), file_size %s, mime_type %s", names[i], deref(rr[ftpFUID]), *r[fFUID], deref(rr[ftpFileSize]), deref(rr[ftpMIME]))
		}
	}
	raw := string(data)
	for _, esc := range []string{`/pub/a\x09b.txt`, `/pub/c\x5cd.txt`, `/pub/caf\xe9.txt`, `/pub/evil\xe2\x80\xaetxt.exe`, "\t/pub/-\t", "\t/pub/(empty)\t"} {
		if !strings.Contains(raw, esc) {
			t.Errorf("files.log lacks %q", esc)
		}
	}
	if strings.Contains(raw, "\u202e") {
		t.Error("a raw bidi override is in files.log")
	}

	// The JSON transfer object carries the same fuid.
	jdir := zeekLogsWithContent(t, report.ZeekOptions{JSON: true}, []string{"sha256"}, false, path)
	jdata, err := os.ReadFile(filepath.Join(jdir, "files.log"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, f := range strings.Split(zeekFilesFields, "\t") {
		known[f] = true
	}
	lines := strings.Split(strings.TrimSuffix(string(jdata), "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%d JSON rows", len(lines))
	}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("row %d: %v: %s", i, err, line)
		}
		for k := range rec {
			if !known[k] {
				t.Errorf("row %d: %q is not a files.log field", i, k)
			}
		}
		if rec["fuid"] != *fl.rows[i][fFUID] || rec["is_orig"] != false || rec["seen_bytes"] != float64(len(content(i))) {
			t.Errorf("row %d: %s", i, line)
		}
		if a, ok := rec["analyzers"].([]any); !ok || len(a) != 1 || a[0] != "SHA256" {
			t.Errorf("row %d: analyzers %v", i, rec["analyzers"])
		}
		if _, ok := rec["local_orig"]; ok {
			t.Errorf("row %d: an unset field is written: %s", i, line)
		}
	}
	fuids := jsonTransferFUIDs(t, path)
	for i, r := range fl.rows {
		if i >= len(fuids) || fuids[i] != *r[fFUID] {
			t.Errorf("JSON transfer fuids %v, files.log row %d has %s", fuids, i, *r[fFUID])
		}
	}
}

// jsonTransferFUIDs returns the fuids of the transfer objects in the JSON
// report of path, in order.
func jsonTransferFUIDs(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, s := range jsonSessionsOf(t, path) {
		for _, c := range s.Channels {
			if c.Transfer != nil && c.Transfer.FUID != "" {
				out = append(out, c.Transfer.FUID)
			}
		}
	}
	return out
}

type jsonSessionFUIDs struct {
	Type     string `json:"type"`
	Channels []struct {
		Transfer *struct {
			FUID string `json:"fuid"`
		} `json:"transfer"`
	} `json:"channels"`
}

// jsonSessionsOf returns the session records of path's JSON report.
func jsonSessionsOf(t *testing.T, path string) []jsonSessionFUIDs {
	t.Helper()
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
	var recs []jsonSessionFUIDs
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec jsonSessionFUIDs
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Type == "session" {
			recs = append(recs, rec)
		}
	}
	return recs
}
