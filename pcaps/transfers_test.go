package pcaps_test

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/pcapgo"
)

// labFiles are the files the lab serves and uploads (pcaps/lab/lib.sh,
// lab_files), rebuilt here from the same recipe: the truth of every
// transfer's size (and, with --hash, its digest) comes from them, never
// from the captures.
func labFiles() map[string][]byte {
	return map[string][]byte{
		"/pub/small.txt":   bytes.Repeat([]byte("a"), 4096),
		"/pub/numbers.txt": seqBytes(2000),
		"/pub/big.bin":     bytes.Repeat([]byte("b"), 65536),
		"upload":           bytes.Repeat([]byte("u"), 3000), // upload-me.txt, stored under several names
		// 18-transfer-ledger (pcaps/lab/scenarios.sh, ledger_files)
		"/ledger/empty.bin":     {},
		"/ledger/one.bin":       []byte("x"),
		"/ledger/mss-1447.bin":  bytes.Repeat([]byte("m"), 1447),
		"/ledger/mss-1448.bin":  bytes.Repeat([]byte("m"), 1448),
		"/ledger/mss-1449.bin":  bytes.Repeat([]byte("m"), 1449),
		"/ledger/1 MiB.bin":     seqBytes(200000)[:1048576],
		"/ledger/ünïcode 名.txt": []byte("café 名\n"),
		// lines.txt is fetched in TYPE A: the wire (and what the
		// ledger hashes) has CR LF where the file has LF.
		"/ledger/lines.txt": bytes.ReplaceAll(seqBytes(500), []byte("\n"), []byte("\r\n")),
		// 21-ledger-proftpd-rate adds a file of several MiB.
		"/ledger/3 MiB.bin": seqBytes(1000000)[:3145728],
	}
}

// diskSize is a file's size on the server where the wire differs (TYPE A).
var diskSize = map[string]int{"/ledger/lines.txt": len(seqBytes(500))}

// seqBytes is what seq 1 n prints.
func seqBytes(n int) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.Bytes()
}

type ledgerLine struct {
	Type     string `json:"type"`
	Channels []struct {
		Command  string `json:"command"`
		Transfer *struct {
			Direction    string `json:"direction"`
			Path         string `json:"path"`
			Bytes        uint64 `json:"bytes"`
			MissingBytes uint64 `json:"missing_bytes"`
			Expected     *int64 `json:"expected_bytes"`
			ExpectedFrom string `json:"expected_from"`
			RestOffset   int    `json:"rest_offset"`
			Result       string `json:"result"`
			Reason       string `json:"reason"`
			Type         string `json:"type"`
		} `json:"transfer"`
	} `json:"channels"`
}

// wantTransfer is one transfer the lab's client scripts ran (the scripts
// and the server logs under logs/ are the evidence): command, absolute path,
// result. Sizes come from labFiles.
type wantTransfer struct{ command, path, result string }

// TestTransferLedger runs ftpscope on lab captures at both vantage points
// and checks every transfer: the path the scripts asked for, resolved
// absolutely; the direction; the bytes against the files' real sizes; the
// result against what the client did and the server logged.
func TestTransferLedger(t *testing.T) {
	bin := ftpscope(t)
	files := labFiles()
	basic := []wantTransfer{
		{"LIST", "/pub", "complete"}, {"RETR", "/pub/small.txt", "complete"}, {"NLST", "/pub", "complete"},
		{"STOR", "/upload/upload-me.txt", "complete"}, {"RETR", "/pub/numbers.txt", "complete"},
		{"RETR", "/pub/numbers.txt", "complete"}, {"STOR", "/upload/curl-up.txt", "complete"}, {"LIST", "/pub", "complete"},
	}
	failedList := []wantTransfer{{"LIST", "/pub", "failed"}, {"LIST", "/pub", "failed"}, {"LIST", "/pub", "failed"}, {"LIST", "/pub", "failed"}}
	cases := map[string][]wantTransfer{
		"01-basic-v4": basic,
		"03-proftpd": {
			{"MLSD", "/pub", "complete"}, {"RETR", "/pub/small.txt", "complete"}, {"NLST", "/pub", "complete"},
			{"STOR", "/upload/upload-me.txt", "complete"}, {"MLSD", "/pub", "complete"}, {"RETR", "/pub/numbers.txt", "complete"},
			// curl -r 0-999 takes 1000 bytes, closes the data connection and
			// sends ABOR: the server had sent 8688 bytes of 8893.
			{"RETR", "/pub/numbers.txt", "aborted"},
		},
		"04-active-drop":  failedList,
		"05-active-reset": failedList,
		"15-long-session-abort-kill": {
			{"LIST", "/pub", "complete"}, {"RETR", "/pub/small.txt", "complete"}, {"NLST", "/pub", "complete"},
			{"RETR", "/pub/numbers.txt", "complete"}, {"STOR", "/upload/upload-me.txt", "complete"}, {"RETR", "/pub/small.txt", "complete"},
			{"NLST", "/upload", "complete"}, {"RETR", "/pub/small.txt", "complete"}, {"LIST", "/upload", "complete"},
			{"RETR", "/pub/numbers.txt", "complete"},
			// vsftpd logged "OK DOWNLOAD ... 65536 bytes" and 226 before
			// the ABORs, answering one with 225 "No transfer to ABOR": the
			// whole file crossed; the killed client's last download too.
			{"RETR", "/pub/big.bin", "complete"}, {"RETR", "/pub/big.bin", "complete"}, {"RETR", "/pub/big.bin", "complete"},
		},
		"21-ledger-proftpd-rate": {
			{"MLSD", "/ledger", "complete"}, {"RETR", "/ledger/3 MiB.bin", "complete"},
			{"RETR", "/ledger/one.bin", "complete"}, {"RETR", "/ledger/empty.bin", "complete"},
			{"RETR", "/ledger/lines.txt", "complete"},
			// proftpd sends 1 MB/s: curl's ABOR after 100 000 bytes
			// finds the server about 3 % into the file (held below).
			{"RETR", "/ledger/3 MiB.bin", "aborted"},
			{"RETR", "/ledger/3 MiB.bin", "complete"}, // REST 2500000
			{"STOR", "/upload/appended.txt", "complete"},
			// proftpd refuses appends without AllowStoreRestart: 451.
			{"APPE", "/upload/appended.txt", "failed"},
		},
		"22-ledger-pureftpd": {
			{"MLSD", "/ledger", "complete"}, {"RETR", "/ledger/empty.bin", "complete"},
			{"RETR", "/ledger/one.bin", "complete"}, {"RETR", "/ledger/1 MiB.bin", "complete"},
			{"RETR", "/ledger/mss-1447.bin", "complete"}, {"RETR", "/ledger/mss-1449.bin", "complete"},
			{"STOR", "/upload/pure-up.txt", "complete"},
			{"RETR", "/ledger/mss-1448.bin", "complete"}, {"RETR", "/ledger/ünïcode 名.txt", "complete"},
			{"RETR", "/ledger/1 MiB.bin", "complete"}, // REST 1000
			{"APPE", "/upload/pure-up.txt", "complete"},
			// curl -r 0-999 takes 1000 bytes and sends ABOR; pure-ftpd
			// answers 226 after fewer bytes than the file has.
			{"RETR", "/ledger/1 MiB.bin", "aborted"},
		},
	}
	for scenario, want := range cases {
		for _, vantage := range []string{"client", "server"} {
			capture := filepath.Join(scenario, vantage+".pcap")
			t.Run(capture, func(t *testing.T) {
				var got []wantTransfer
				for _, l := range ledgerRecords(t, bin, capture) {
					for _, c := range l.Channels {
						x := c.Transfer
						if x == nil {
							continue
						}
						got = append(got, wantTransfer{c.Command, x.Path, x.Result})
						if scenario == "21-ledger-proftpd-rate" && x.Result == "aborted" && (x.Bytes < 100000 || x.Bytes > 1<<20) {
							t.Errorf("the ABOR came after %d bytes: not mid-file as the rate limit makes it", x.Bytes)
						}
						checkLedgerFacts(t, files, c.Command, x.Direction, x.Path, x.Bytes, x.MissingBytes, x.Expected, x.ExpectedFrom, x.RestOffset, x.Result, x.Reason)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("transfers\n got %v\nwant %v", got, want)
				}
			})
		}
	}
}

// ledgerRecords runs ftpscope --format json on a capture and returns its
// records with their channels' transfers.
func ledgerRecords(t *testing.T, bin, capture string) []ledgerLine {
	t.Helper()
	out, err := exec.Command(bin, "-r", capture, "--format", "json").Output()
	if err != nil {
		t.Fatalf("ftpscope -r %s: %v", capture, err)
	}
	var recs []ledgerLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var l ledgerLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, l)
	}
	return recs
}

// checkLedgerFacts holds one transfer to the files' truth.
func checkLedgerFacts(t *testing.T, files map[string][]byte, cmd, dir, path string, n, missing uint64, expected *int64, from string, rest int, result, reason string) {
	t.Helper()
	wantDir := map[string]string{"RETR": "download", "STOR": "upload", "STOU": "upload", "APPE": "upload", "LIST": "listing", "NLST": "listing", "MLSD": "listing"}[cmd]
	if dir != wantDir {
		t.Errorf("%s %s: direction %q, want %q", cmd, path, dir, wantDir)
	}
	if missing != 0 {
		t.Errorf("%s %s: %d bytes missing from a full capture", cmd, path, missing)
	}
	if reason == "" {
		t.Errorf("%s %s: no reason", cmd, path)
	}
	content, known := files[path]
	if cmd == "STOR" || cmd == "STOU" || cmd == "APPE" {
		content, known = files["upload"], true
	}
	if !known || result == "failed" {
		return
	}
	disk, ok := diskSize[path]
	if !ok {
		disk = len(content)
	}
	content = content[rest:]
	if result == "complete" && n != uint64(len(content)) {
		t.Errorf("%s %s: complete with %d bytes, the file has %d", cmd, path, n, len(content))
	}
	if result != "complete" && n >= uint64(len(content)) {
		t.Errorf("%s %s: %s with all %d bytes", cmd, path, result, n)
	}
	// After REST n a 150 reply announces what is left (proftpd); SIZE
	// gives the whole file (pure-ftpd's 150 names no size).
	want := disk
	if from == "150" {
		want = disk - rest
	}
	if cmd == "RETR" && (expected == nil || *expected != int64(want)) {
		t.Errorf("%s %s: expected_bytes %v from %q, want %d (the file %d, REST %d)", cmd, path, expected, from, want, disk, rest)
	}
}

// TestTransferContent runs --hash md5,sha1,sha256 --extract on lab
// captures at both vantage points: every download and upload whose bytes
// are all in the capture has the digests of the real file (of the bytes
// that crossed, for curl's ranged download: the file's first 8688 bytes),
// and the extracted file holds exactly those bytes.
func TestTransferContent(t *testing.T) {
	bin := ftpscope(t)
	files := labFiles()
	for _, scenario := range []string{"01-basic-v4", "02-extended-v4-v6", "03-proftpd", "15-long-session-abort-kill", "18-transfer-ledger", "21-ledger-proftpd-rate", "22-ledger-pureftpd", "23-stou-tnftp"} {
		for _, vantage := range []string{"client", "server"} {
			capture := filepath.Join(scenario, vantage+".pcap")
			t.Run(capture, func(t *testing.T) {
				dir := t.TempDir()
				out, err := exec.Command(bin, "-r", capture, "--format", "json", "--hash", "sha256,md5,sha1", "--extract", dir).Output()
				if err != nil {
					t.Fatalf("ftpscope: %v", err)
				}
				type rec struct {
					Type     string `json:"type"`
					Channels []struct {
						Command  string `json:"command"`
						Transfer *struct {
							Path, Result, MD5, SHA1, SHA256, Extracted string
							Bytes                                      int
							Rest                                       int    `json:"rest_offset"`
							MIME                                       string `json:"mime_type"`
						} `json:"transfer"`
					} `json:"channels"`
				}
				var recs []rec
				dec := json.NewDecoder(bytes.NewReader(out))
				for dec.More() {
					var one rec
					if err := dec.Decode(&one); err != nil {
						t.Fatal(err)
					}
					recs = append(recs, one)
				}
				hashed := 0
				for _, r := range recs {
					for _, c := range r.Channels {
						x := c.Transfer
						if x == nil || x.Result == "failed" {
							continue
						}
						content, ok := files[x.Path]
						if c.Command == "STOR" || c.Command == "STOU" || c.Command == "APPE" {
							content, ok = files["upload"], true
						}
						if ok {
							content = content[x.Rest:]
						}
						if x.Bytes == 0 {
							// An empty file has the digests of nothing (and an empty file).
							if x.SHA256 != sha256hex(nil) {
								t.Errorf("%s %s: empty, sha256 %q", c.Command, x.Path, x.SHA256)
							}
							continue
						}
						if x.SHA256 == "" || x.MD5 == "" || x.SHA1 == "" || x.MIME == "" || x.Extracted == "" {
							t.Errorf("%s %s: digests %q %q %q, MIME %q, extracted %q", c.Command, x.Path, x.MD5, x.SHA1, x.SHA256, x.MIME, x.Extracted)
							continue
						}
						got, err := os.ReadFile(x.Extracted)
						if err != nil || len(got) != x.Bytes || sha256hex(got) != x.SHA256 || md5hex(got) != x.MD5 || sha1hex(got) != x.SHA1 {
							t.Errorf("%s %s: %s holds %d bytes with other digests (%v)", c.Command, x.Path, x.Extracted, len(got), err)
						}
						if !ok {
							continue // a listing: its text is the server's
						}
						if x.Bytes > len(content) || !bytes.Equal(got, content[:x.Bytes]) {
							t.Errorf("%s %s: extracted bytes are not the file's first %d", c.Command, x.Path, x.Bytes)
						}
						if x.Result == "complete" && x.SHA256 != sha256hex(content) {
							t.Errorf("%s %s: sha256 %s, the file's is %s", c.Command, x.Path, x.SHA256, sha256hex(content))
						}
						hashed++
					}
				}
				if hashed < 2 {
					t.Errorf("only %d files checked", hashed)
				}
				m, err := os.ReadFile(filepath.Join(dir, "manifest.jsonl"))
				if err != nil || bytes.Count(m, []byte("\n")) < hashed {
					t.Errorf("manifest: %v, %d lines for %d files", err, bytes.Count(m, []byte("\n")), hashed)
				}
			})
		}
	}
}

func sha256hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
func md5hex(b []byte) string    { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
func sha1hex(b []byte) string   { s := sha1.Sum(b); return hex.EncodeToString(s[:]) }

// TestListingRecords: the listings of /pub (vsftpd's LIST and NLST,
// proftpd's MLSD) are parsed into the lab's files with their real sizes,
// at both vantage points; a later RETR carries the listed size.
func TestListingRecords(t *testing.T) {
	bin := ftpscope(t)
	files := labFiles()
	for _, capture := range []string{"01-basic-v4/client.pcap", "01-basic-v4/server.pcap", "03-proftpd/client.pcap", "03-proftpd/server.pcap"} {
		t.Run(capture, func(t *testing.T) {
			out, err := exec.Command(bin, "-r", capture, "--format", "json").Output()
			if err != nil {
				t.Fatal(err)
			}
			listings, listed := 0, 0
			dec := json.NewDecoder(bytes.NewReader(out))
			for dec.More() {
				var r struct {
					Type, Command, Path, Format string
					Whole                       bool
					Entries                     []struct {
						Name, Type string
						Size       *uint64
					}
					Channels []struct {
						Transfer *struct {
							Path        string
							ListedBytes *uint64 `json:"listed_bytes"`
						}
					}
				}
				if err := dec.Decode(&r); err != nil {
					t.Fatal(err)
				}
				for _, c := range r.Channels {
					if x := c.Transfer; x != nil && x.ListedBytes != nil {
						listed++
						if content, ok := files[x.Path]; !ok || *x.ListedBytes != uint64(len(content)) {
							t.Errorf("RETR %s: listed_bytes %d", x.Path, *x.ListedBytes)
						}
					}
				}
				if r.Type != "listing" {
					continue
				}
				listings++
				if r.Path != "/pub" || !r.Whole {
					t.Errorf("%s listing of %q, whole %v", r.Command, r.Path, r.Whole)
				}
				got := map[string]uint64{}
				for _, e := range r.Entries {
					name := e.Name
					if r.Command == "NLST" {
						got[name] = 0
						continue
					}
					if e.Type == "file" && e.Size != nil {
						got["/pub/"+name] = *e.Size
					}
				}
				for path, content := range files {
					if !strings.HasPrefix(path, "/pub/") {
						continue
					}
					size, ok := got[path]
					if !ok || r.Command != "NLST" && size != uint64(len(content)) {
						t.Errorf("%s (%s): %s listed %v with %d bytes, the file has %d", r.Command, r.Format, path, ok, size, len(content))
					}
				}
				if len(got) != 3 {
					t.Errorf("%s: %d files listed, want 3: %v", r.Command, len(got), got)
				}
			}
			if listings < 2 {
				t.Errorf("%d listings", listings)
			}
			t.Logf("%d listings, %d downloads with a listed size", listings, listed)
		})
	}
}

// TestTransferCaptureCut cuts 18-transfer-ledger's captures after every
// tenth of their packets, and drops one data segment in another copy: a
// transfer the cut or the loss reaches is never "complete", and every one
// reported complete has exactly the file's bytes, with none missing.
func TestTransferCaptureCut(t *testing.T) {
	bin := ftpscope(t)
	files := labFiles()
	for _, vantage := range []string{"client", "server"} {
		data, err := os.ReadFile(filepath.Join("18-transfer-ledger", vantage+".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcapgo.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		type pkt struct {
			ci gopacket.CaptureInfo
			b  []byte
		}
		var pkts []pkt
		for {
			b, ci, err := r.ReadPacketData()
			if err != nil {
				break
			}
			pkts = append(pkts, pkt{ci, b})
		}
		write := func(keep func(i int) bool) string {
			var buf bytes.Buffer
			w := pcapgo.NewWriter(&buf)
			if err := w.WriteFileHeader(65535, r.LinkType()); err != nil {
				t.Fatal(err)
			}
			for i, p := range pkts {
				if keep(i) {
					if err := w.WritePacket(p.ci, p.b); err != nil {
						t.Fatal(err)
					}
				}
			}
			path := filepath.Join(t.TempDir(), "cut.pcap")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
		check := func(name, path string) (complete, other int) {
			out, err := exec.Command(bin, "-r", path, "--format", "json", "--hash", "sha256").Output()
			if err != nil && len(out) == 0 {
				t.Fatalf("%s: %v", name, err)
			}
			dec := json.NewDecoder(bytes.NewReader(out))
			for dec.More() {
				var rec struct {
					Channels []struct {
						Command  string
						Transfer *struct {
							Path, Result, SHA256 string
							Bytes, Missing       int
							Rest                 int `json:"rest_offset"`
						}
					}
				}
				if err := dec.Decode(&rec); err != nil {
					t.Fatal(err)
				}
				for _, c := range rec.Channels {
					x := c.Transfer
					if x == nil || c.Command != "RETR" {
						continue
					}
					content := files[x.Path][x.Rest:]
					if x.Result != "complete" {
						other++
						continue
					}
					complete++
					if x.Bytes != len(content) || x.Missing != 0 || x.SHA256 != sha256hex(content) {
						t.Errorf("%s: %s complete with %d bytes (%d missing), sha256 %s; the file has %d", name, x.Path, x.Bytes, x.Missing, x.SHA256, len(content))
					}
				}
			}
			return complete, other
		}
		for tenth := 1; tenth < 10; tenth++ {
			n := len(pkts) * tenth / 10
			c, o := check(fmt.Sprintf("%s cut at packet %d", vantage, n), write(func(i int) bool { return i < n }))
			t.Logf("%s cut at %d/%d packets: %d complete, %d not", vantage, n, len(pkts), c, o)
		}
		// Lose one full-sized segment in the middle of the first 1 MiB
		// download (its packets are the large ones after the first third).
		lost := -1
		for i := len(pkts) / 3; i < len(pkts); i++ {
			if len(pkts[i].b) > 1400 {
				lost = i
				break
			}
		}
		c, o := check(vantage+" with a lost segment", write(func(i int) bool { return i != lost }))
		if o == 0 {
			t.Errorf("%s: a segment lost at packet %d, yet %d downloads complete and none not", vantage, lost, c)
		}
	}
}

// TestStouNamesFromServerLogs: every STOU (tnftp's sunique, lab scenario
// 23-stou-tnftp) is a complete upload under the name the server gave it. The
// names come from the servers' own logs (vsftpd's one-line 150, pure-ftpd's
// multi-line one), never from the captures.
func TestStouNamesFromServerLogs(t *testing.T) {
	bin := ftpscope(t)
	dir := "23-stou-tnftp"
	fileLine := regexp.MustCompile(`150[ -]FILE: ([^"]+)"?$`)
	var want []string
	for _, log := range []string{"vsftpd-main.log", "pure-ftpd-main.log"} {
		data, err := os.ReadFile(filepath.Join(dir, "logs", log))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range strings.Split(string(data), "\n") {
			if m := fileLine.FindStringSubmatch(l); m != nil {
				want = append(want, "/upload/"+m[1])
				n++
			}
		}
		if n < 2 {
			t.Fatalf("%s names %d stored files, want at least 2", log, n)
		}
	}
	for _, vantage := range []string{"client", "server"} {
		var got []string
		for _, l := range ledgerRecords(t, bin, filepath.Join(dir, vantage+".pcap")) {
			for _, c := range l.Channels {
				if c.Command != "STOU" || c.Transfer == nil {
					continue
				}
				if c.Transfer.Result != "complete" || c.Transfer.Bytes != 3000 {
					t.Errorf("%s: STOU %s %s with %d bytes", vantage, c.Transfer.Path, c.Transfer.Result, c.Transfer.Bytes)
				}
				got = append(got, c.Transfer.Path)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: STOU paths\n got %v\nwant %v (the servers' logs)", vantage, got, want)
		}
	}
}
