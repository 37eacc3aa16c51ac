package pcaps_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// tsvLog is a Zeek TSV log read by column name (the strict reader is
// report's; this one only needs the values).
type tsvLog struct {
	col  map[string]int
	rows [][]string
}

var zeekEscape = regexp.MustCompile(`\\x[0-9a-f]{2}`)

func readTSVLog(t *testing.T, path string) tsvLog {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l := tsvLog{col: map[string]int{}}
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if f, ok := strings.CutPrefix(line, "#fields\t"); ok {
			for i, name := range strings.Split(f, "\t") {
				l.col[name] = i
			}
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		vals := strings.Split(line, "\t")
		for i, v := range vals {
			vals[i] = zeekEscape.ReplaceAllStringFunc(v, func(e string) string {
				b, _ := strconv.ParseUint(e[2:], 16, 8)
				return string([]byte{byte(b)})
			})
		}
		l.rows = append(l.rows, vals)
	}
	return l
}

func (l tsvLog) get(row []string, name string) string { return row[l.col[name]] }

// TestZeekFilesLogLab runs ftpscope as the README shows (-r capture
// --zeek-logs DIR --hash md5,sha1,sha256 --mime) on the lab's transfer
// ledger at both vantage points: every ftp.log fuid is a files.log row, the
// JSON report's transfers carry the same fuids, and each file's digests
// and seen_bytes are those of the real file the lab served or uploaded
// (labFiles, never the capture), less a REST offset.
func TestZeekFilesLogLab(t *testing.T) {
	bin := ftpscope(t)
	files := labFiles()
	for _, vantage := range []string{"client", "server"} {
		capture := filepath.Join("18-transfer-ledger", vantage+".pcap")
		t.Run(capture, func(t *testing.T) {
			dir := t.TempDir()
			out, err := exec.Command(bin, "-r", capture, "--format", "json", "--zeek-logs", dir, "--hash", "md5,sha1,sha256", "--mime").Output()
			if err != nil {
				t.Fatalf("ftpscope: %v", err)
			}
			type transferRec struct {
				Path   string `json:"path"`
				Rest   int    `json:"rest_offset"`
				Result string `json:"result"`
				FUID   string `json:"fuid"`
				Bytes  int    `json:"bytes"`
			}
			jsonFUIDs := map[string]transferRec{}
			dec := json.NewDecoder(bytes.NewReader(out))
			for dec.More() {
				var rec struct {
					Channels []struct {
						Transfer *transferRec `json:"transfer"`
					} `json:"channels"`
				}
				if err := dec.Decode(&rec); err != nil {
					t.Fatal(err)
				}
				for _, c := range rec.Channels {
					if x := c.Transfer; x != nil && x.FUID != "" {
						jsonFUIDs[x.FUID] = *x
					}
				}
			}
			ftpl := readTSVLog(t, filepath.Join(dir, "ftp.log"))
			fl := readTSVLog(t, filepath.Join(dir, "files.log"))
			byFUID := map[string][]string{}
			for _, r := range fl.rows {
				byFUID[fl.get(r, "fuid")] = r
			}
			checked := 0
			for _, r := range ftpl.rows {
				cmd, fuid := ftpl.get(r, "command"), ftpl.get(r, "fuid")
				if cmd != "RETR" && cmd != "STOR" && cmd != "APPE" {
					continue
				}
				x, inJSON := jsonFUIDs[fuid]
				f := byFUID[fuid]
				if fuid == "-" {
					if inJSON {
						t.Errorf("%s: no fuid in ftp.log, one in the JSON report", cmd)
					}
					continue
				}
				if f == nil || !inJSON {
					t.Errorf("%s %s: fuid %s in files.log %v, in the JSON report %v", cmd, ftpl.get(r, "arg"), fuid, f != nil, inJSON)
					continue
				}
				content, ok := files[x.Path]
				if cmd != "RETR" {
					content, ok = files["upload"], true
				}
				if !ok || x.Result != "complete" {
					continue
				}
				content = content[x.Rest:]
				for _, h := range []struct{ col, want string }{{"md5", md5hex(content)}, {"sha1", sha1hex(content)}, {"sha256", sha256hex(content)}} {
					if got := fl.get(f, h.col); got != h.want {
						t.Errorf("%s %s: %s %s, the real file's is %s", cmd, x.Path, h.col, got, h.want)
					}
				}
				if got := fl.get(f, "seen_bytes"); got != strconv.Itoa(len(content)) || fl.get(f, "filename") != x.Path {
					t.Errorf("%s %s: seen_bytes %s for %d bytes, filename %q", cmd, x.Path, got, len(content), fl.get(f, "filename"))
				}
				checked++
			}
			if len(jsonFUIDs) != len(fl.rows) {
				t.Errorf("%d transfers with a fuid in the JSON report, %d files.log rows", len(jsonFUIDs), len(fl.rows))
			}
			if checked < 8 {
				t.Errorf("only %d files checked against the real files", checked)
			}
		})
	}
}

// TestDataProtectionCCC: the lab's CCC session (pcaps/20-ccc-proftpd:
// curl sent PROT P before CCC, as its log and proftpd's show) fetches
// /pub/small.txt over a TLS-protected data connection. At both vantage
// points the channel's data_protection is "tls", the transfer is complete
// on the server's 226 without being held to the 4096 bytes the 150
// announced (the wire carries TLS records: 4670 bytes), no digest or MIME
// type is made of the ciphertext, and the Zeek logs have the RETR row
// without a fuid and no files.log; every channel of a clear lab session
// says "clear".
func TestDataProtectionCCC(t *testing.T) {
	bin := ftpscope(t)
	curlLog, err := os.ReadFile(filepath.Join("20-ccc-proftpd", "logs", "r1-curl.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(curlLog), "> PROT P") || !strings.Contains(string(curlLog), "> CCC") {
		t.Fatalf("the lab's curl did not send PROT P and CCC:\n%s", curlLog)
	}
	type channel struct {
		Command        string `json:"command"`
		DataProtection string `json:"data_protection"`
		Transfer       *struct {
			Path         string `json:"path"`
			Result       string `json:"result"`
			Bytes        int    `json:"bytes"`
			SizeMismatch bool   `json:"size_mismatch"`
			SHA256       string `json:"sha256"`
			MIME         string `json:"mime_type"`
			FUID         string `json:"fuid"`
		} `json:"transfer"`
	}
	channelsOf := func(t *testing.T, args ...string) []channel {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("ftpscope %v: %v", args, err)
		}
		var chs []channel
		dec := json.NewDecoder(bytes.NewReader(out))
		for dec.More() {
			var rec struct {
				Channels []channel `json:"channels"`
			}
			if err := dec.Decode(&rec); err != nil {
				t.Fatal(err)
			}
			chs = append(chs, rec.Channels...)
		}
		return chs
	}
	for _, vantage := range []string{"client", "server"} {
		capture := filepath.Join("20-ccc-proftpd", vantage+".pcap")
		t.Run(capture, func(t *testing.T) {
			dir := t.TempDir()
			chs := channelsOf(t, "-r", capture, "--format", "json", "--hash", "sha256", "--zeek-logs", dir)
			if len(chs) != 1 || chs[0].Command != "RETR" || chs[0].Transfer == nil {
				t.Fatalf("channels %+v", chs)
			}
			c, x := chs[0], chs[0].Transfer
			if c.DataProtection != "tls" || x.Path != "/pub/small.txt" || x.Result != "complete" || x.SizeMismatch ||
				x.Bytes <= 4096 || x.SHA256 != "" || x.MIME != "" || x.FUID != "" {
				t.Errorf("channel %s, transfer %+v", c.DataProtection, *x)
			}
			if _, err := os.Stat(filepath.Join(dir, "files.log")); !os.IsNotExist(err) {
				t.Errorf("files.log of TLS records: %v", err)
			}
			ftpl := readTSVLog(t, filepath.Join(dir, "ftp.log"))
			for _, r := range ftpl.rows {
				if ftpl.get(r, "command") == "RETR" && ftpl.get(r, "fuid") != "-" {
					t.Errorf("RETR row with fuid %s", ftpl.get(r, "fuid"))
				}
			}
		})
	}
	for _, c := range channelsOf(t, "-r", filepath.Join("01-basic-v4", "client.pcap"), "--format", "json") {
		if c.Transfer != nil && c.Transfer.Bytes > 0 && c.DataProtection != "clear" {
			t.Errorf("%s %s: data_protection %q in a clear lab session", c.Command, c.Transfer.Path, c.DataProtection)
		}
	}
}

// lab24Session is what TestDataProtectionLab24 reads of a JSON record.
type lab24Session struct {
	Type     string `json:"type"`
	TLSMode  string `json:"tls_mode"`
	Channels []struct {
		Command        string `json:"command"`
		DataProtection string `json:"data_protection"`
		Transfer       *struct {
			Result string `json:"result"`
			Bytes  int    `json:"bytes"`
			SHA256 string `json:"sha256"`
			FUID   string `json:"fuid"`
		} `json:"transfer"`
	} `json:"channels"`
}

// TestDataProtectionLab24: lftp with ftp:ssl-use-ccc on proftpd's mod_tls
// (pcaps/24-ccc-prot-lftp) fetches /pub/small.txt with PROT C, then with
// PROT P, both in clear control after CCC, as proftpd's log shows. At both
// vantage points the session is tls_mode ccc with two RETR channels: the
// PROT C one is clear and has the real file's digest, the PROT P one is tls
// and has none; files.log holds the clear file only, with the real
// digest, and its fuid is the first RETR's in ftp.log.
func TestDataProtectionLab24(t *testing.T) {
	bin := ftpscope(t)
	dir := "24-ccc-prot-lftp"
	plog, err := os.ReadFile(filepath.Join(dir, "logs", "proftpd-main.log"))
	if err != nil {
		t.Fatal(err)
	}
	var prot []string
	for _, line := range strings.Split(string(plog), "\n") {
		for _, cmd := range []string{`"PROT C" 200`, `"PROT P" 200`, `"RETR pub/small.txt" 226`} {
			if strings.Contains(line, cmd) {
				prot = append(prot, cmd)
			}
		}
	}
	if strings.Join(prot, "; ") != `"PROT C" 200; "RETR pub/small.txt" 226; "PROT P" 200; "RETR pub/small.txt" 226` {
		t.Fatalf("proftpd logged %v", prot)
	}
	real := sha256hex(labFiles()["/pub/small.txt"])
	for _, vantage := range []string{"client", "server"} {
		capture := filepath.Join(dir, vantage+".pcap")
		t.Run(capture, func(t *testing.T) {
			logs := t.TempDir()
			out, err := exec.Command(bin, "-r", capture, "--format", "json", "--hash", "sha256", "--zeek-logs", logs).Output()
			if err != nil {
				t.Fatalf("ftpscope: %v", err)
			}
			var sessions []lab24Session
			dec := json.NewDecoder(bytes.NewReader(out))
			for dec.More() {
				var rec lab24Session
				if err := dec.Decode(&rec); err != nil {
					t.Fatal(err)
				}
				if rec.Type == "session" {
					sessions = append(sessions, rec)
				}
			}
			if len(sessions) != 1 || sessions[0].TLSMode != "ccc" || len(sessions[0].Channels) != 2 {
				t.Fatalf("sessions %+v", sessions)
			}
			clear, prot := sessions[0].Channels[0], sessions[0].Channels[1]
			if clear.Command != "RETR" || clear.DataProtection != "clear" || clear.Transfer == nil || clear.Transfer.Result != "complete" ||
				clear.Transfer.Bytes != 4096 || clear.Transfer.SHA256 != real || clear.Transfer.FUID == "" {
				t.Errorf("PROT C channel %+v %+v", clear, clear.Transfer)
			}
			if prot.Command != "RETR" || prot.DataProtection != "tls" || prot.Transfer == nil || prot.Transfer.Result != "complete" ||
				prot.Transfer.Bytes <= 4096 || prot.Transfer.SHA256 != "" || prot.Transfer.FUID != "" {
				t.Errorf("PROT P channel %+v %+v", prot, prot.Transfer)
			}
			fl := readTSVLog(t, filepath.Join(logs, "files.log"))
			if len(fl.rows) != 1 || fl.get(fl.rows[0], "sha256") != real || fl.get(fl.rows[0], "fuid") != clear.Transfer.FUID {
				t.Errorf("files.log rows %v", fl.rows)
			}
			ftpl := readTSVLog(t, filepath.Join(logs, "ftp.log"))
			var fuids []string
			for _, r := range ftpl.rows {
				if ftpl.get(r, "command") == "RETR" {
					fuids = append(fuids, ftpl.get(r, "fuid"))
				}
			}
			if len(fuids) != 2 || fuids[0] != clear.Transfer.FUID || fuids[1] != "-" {
				t.Errorf("ftp.log RETR fuids %v", fuids)
			}
		})
	}
}
