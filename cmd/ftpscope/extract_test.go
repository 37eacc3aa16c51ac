//go:build unix

package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// fileDelivery is one RETR the crafted capture carries: the name on the
// wire, the file's bytes, and how the data connection delivers them.
type fileDelivery struct {
	name    string
	content []byte
	// reorder sends the second segment first; lose drops the second
	// segment from the capture (the receiver got it: the FIN is past it).
	reorder, lose bool
}

var (
	extractServer = netip.MustParseAddrPort("198.51.100.30:21")
	extractClient = netip.MustParseAddrPort("192.0.2.60:40000")
)

// downloadsCapture writes one session per delivery: login, PWD, PASV, the
// data connection, RETR, 150 with the size, the bytes, FIN, 226.
func downloadsCapture(t *testing.T, files []fileDelivery) string {
	return writeCapture(t, "downloads.pcap", func(w *craft.Writer) {
		for i, f := range files {
			t0 := hostileT0.Add(time.Duration(i) * time.Minute)
			at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
			client := netip.AddrPortFrom(extractClient.Addr(), uint16(40000+i))
			port := uint16(30000 + i)
			c := w.Dial(t0, client, extractServer)
			c.Server(at(1), "220 hi\r\n")
			c.Client(at(2), "USER anonymous\r\n")
			c.Server(at(3), "230 ok\r\n")
			c.Client(at(4), "PWD\r\n")
			c.Server(at(5), "257 \"/srv\" is the current directory\r\n")
			c.Client(at(6), "TYPE I\r\n")
			c.Server(at(7), "200 ok\r\n")
			c.Client(at(8), "PASV\r\n")
			c.Server(at(9), fmt.Sprintf("227 Entering Passive Mode (198,51,100,30,%d,%d).\r\n", port>>8, port&0xff))
			d := w.Dial(at(10), netip.AddrPortFrom(client.Addr(), uint16(50000+i)), netip.AddrPortFrom(extractServer.Addr(), port))
			c.Client(at(20), "RETR "+f.name+"\r\n")
			c.Server(at(21), fmt.Sprintf("150 Opening BINARY mode data connection for x (%d bytes).\r\n", len(f.content)))
			half := len(f.content) / 2
			first, second := f.content[:half], f.content[half:]
			seq := d.NextSeq(craft.FromServer)
			switch {
			case f.reorder:
				d.SendAt(at(22), craft.FromServer, seq+uint32(half), second)
				d.SendAt(at(23), craft.FromServer, seq, first)
				d.Skip(craft.FromServer, len(f.content))
			case f.lose:
				d.Send(at(22), craft.FromServer, first)
				d.Skip(craft.FromServer, len(second))
			default:
				d.Send(at(22), craft.FromServer, first)
				d.Send(at(23), craft.FromServer, second)
			}
			d.CloseFrom(at(24), craft.FromServer)
			c.Server(at(30), "226 Transfer complete.\r\n")
			c.Client(at(31), "QUIT\r\n")
			c.Server(at(32), "221 bye\r\n")
			c.Close(at(33))
		}
	})
}

type extractRecord struct {
	Type     string `json:"type"`
	Channels []struct {
		Transfer struct {
			Path      string `json:"path"`
			Bytes     uint64 `json:"bytes"`
			Missing   uint64 `json:"missing_bytes"`
			Result    string `json:"result"`
			SHA256    string `json:"sha256"`
			MIME      string `json:"mime_type"`
			Extracted string `json:"extracted"`
			Reordered bool   `json:"reordered"`
		} `json:"transfer"`
	} `json:"channels"`
}

func sha256hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestExtractHostileNames: files named to escape the directory, to hide,
// to spoof their extension or to collide are written inside DIR only, as
// plain files, never through a symlink planted there; each holds exactly
// the bytes the server sent, its digest is the digest of those bytes, and
// the manifest lists every one. A reordered download is whole; one with a
// segment the capture lacks is a capture-gap with no digest.
func TestExtractHostileNames(t *testing.T) {
	long := strings.Repeat("L", 300) + ".txt"
	names := []string{"../../../etc/passwd", "/abs/evil.sh", `a\..\..\b.bin`, "\x1b[31mred", "evil\u202egnp.exe",
		long, "CON", ".hidden", "dup.txt", "dup.txt", "sub/../dup.txt", "planted", "bad\xffutf8"}
	var files []fileDelivery
	for i, n := range names {
		files = append(files, fileDelivery{name: n, content: bytes.Repeat([]byte{byte('A' + i)}, 3000+i)})
	}
	files = append(files, fileDelivery{name: "reordered.bin", content: []byte(strings.Repeat("0123456789", 500)), reorder: true},
		fileDelivery{name: "lost.bin", content: bytes.Repeat([]byte("z"), 4000), lose: true})
	path := downloadsCapture(t, files)

	base := t.TempDir()
	dir := filepath.Join(base, "out")
	outside := filepath.Join(base, "outside.txt")
	if err := os.WriteFile(outside, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "planted")); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runTool(t, "-r", path, "--format", "json", "--hash", "sha256", "--extract", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Fatalf("the file outside DIR was changed through the planted symlink: %q", b)
	}
	var got []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	i := 0
	for sc.Scan() {
		var r extractRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Type != "session" {
			continue
		}
		f := files[i]
		i++
		x := r.Channels[0].Transfer
		switch {
		case f.lose:
			if x.Result != "capture-gap" || x.Missing != uint64(len(f.content)-len(f.content)/2) || x.SHA256 != "" {
				t.Errorf("%q: %+v, want a capture-gap without a digest", f.name, x)
			}
		default:
			if x.Result != "complete" || x.Bytes != uint64(len(f.content)) || x.SHA256 != sha256hex(f.content) || x.Reordered != f.reorder {
				t.Errorf("%q: %+v, want complete, %d bytes, sha256 %s", f.name, x, len(f.content), sha256hex(f.content))
			}
		}
		if x.MIME == "" {
			t.Errorf("%q: no MIME type", f.name)
		}
		rel, err := filepath.Rel(dir, x.Extracted)
		if err != nil || strings.Contains(rel, "/") || strings.HasPrefix(rel, ".") {
			t.Fatalf("%q extracted to %q, not a plain name inside %s", f.name, x.Extracted, dir)
		}
		fi, err := os.Lstat(x.Extracted)
		if err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("%q: %s is not a regular file: %v", f.name, x.Extracted, err)
		}
		b, _ := os.ReadFile(x.Extracted)
		if !f.lose && !bytes.Equal(b, f.content) {
			t.Errorf("%q: %s holds %d bytes, not the %d sent", f.name, x.Extracted, len(b), len(f.content))
		}
		if r, ok := rawControl(rel); ok || len(rel) > 255 {
			t.Errorf("%q extracted as %q (raw %q, %d bytes)", f.name, rel, r, len(rel))
		}
		got = append(got, rel)
	}
	if i != len(files) {
		t.Fatalf("%d sessions, want %d", i, len(files))
	}
	seen := map[string]bool{}
	for _, n := range got {
		if seen[n] {
			t.Errorf("two transfers extracted to %s", n)
		}
		seen[n] = true
	}
	if seen["planted"] {
		t.Errorf("a transfer was written over the planted symlink")
	}
	m, err := os.ReadFile(filepath.Join(dir, "manifest.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(m, []byte("\n")); n != len(files) {
		t.Errorf("manifest lists %d files, want %d:\n%s", n, len(files), m)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(files)+2 { // the files, the manifest, the planted link
		t.Errorf("%d entries in DIR, want %d", len(entries), len(files)+2)
	}
	t.Logf("names: %q", got)
}

// TestExtractFullDisk: a write that fails (the file size limit, as on a
// full disk) is one clear error naming the file, the run exits 1, and the
// report is still complete: every session and the summary.
func TestExtractFullDisk(t *testing.T) {
	bin := ftpscopeBinary(t)
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit")
	}
	files := []fileDelivery{{name: "small.txt", content: bytes.Repeat([]byte("s"), 100)},
		{name: "big.bin", content: bytes.Repeat([]byte("b"), 20000)}, {name: "after.txt", content: []byte("after")}}
	path := downloadsCapture(t, files)
	dir := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(prlimit, "--fsize=10000", "--", bin, "-r", path, "--format", "json", "--extract", dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if cmd.ProcessState.ExitCode() != exitError {
		t.Fatalf("exit %v, want 1; stderr %s", err, stderr.String())
	}
	msg := strings.TrimSpace(stderr.String())
	if !strings.Contains(msg, filepath.Join(dir, "big.bin")) || !strings.Contains(msg, "file too large") || strings.Count(msg, "\n") != 0 {
		t.Errorf("stderr %q: want one line naming %s", msg, filepath.Join(dir, "big.bin"))
	}
	if n := strings.Count(stdout.String(), `"type":"session"`); n != 3 || !strings.Contains(stdout.String(), `"type":"summary"`) {
		t.Errorf("the report has %d sessions (want 3) or no summary:\n%s", n, stdout.String())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "after.txt")); string(b) != "after" {
		t.Errorf("the file after the failed one holds %q", b)
	}
}

// TestExtractStitchesResumedDownload: a download broken after 600 bytes
// (426) and resumed with REST 600 in another session: the ledger says the
// pieces cover the file, and the stitched file has the whole file's bytes
// and digest.
func TestExtractStitchesResumedDownload(t *testing.T) {
	content := []byte(strings.Repeat("0123456789abcdef", 64)) // 1024 bytes
	path := writeCapture(t, "resumed.pcap", func(w *craft.Writer) {
		for i, rest := range []int{0, 600} {
			t0 := hostileT0.Add(time.Duration(i) * time.Minute)
			at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
			client := netip.AddrPortFrom(extractClient.Addr(), uint16(41000+i))
			port := uint16(31000 + i)
			c := w.Dial(t0, client, extractServer)
			c.Server(at(1), "220 hi\r\n")
			c.Client(at(2), "USER anonymous\r\n")
			c.Server(at(3), "230 ok\r\n")
			c.Client(at(4), "TYPE I\r\n")
			c.Server(at(5), "200 ok\r\n")
			if rest > 0 {
				c.Client(at(6), fmt.Sprintf("REST %d\r\n", rest))
				c.Server(at(7), fmt.Sprintf("350 Restart position accepted (%d).\r\n", rest))
			}
			c.Client(at(8), "PASV\r\n")
			c.Server(at(9), fmt.Sprintf("227 Entering Passive Mode (198,51,100,30,%d,%d).\r\n", port>>8, port&0xff))
			d := w.Dial(at(10), netip.AddrPortFrom(client.Addr(), uint16(51000+i)), netip.AddrPortFrom(extractServer.Addr(), port))
			c.Client(at(20), "RETR /pub/file.bin\r\n")
			c.Server(at(21), fmt.Sprintf("150 Opening BINARY mode data connection for /pub/file.bin (%d bytes).\r\n", len(content)))
			if rest == 0 {
				d.Send(at(22), craft.FromServer, content[:600])
				d.CloseFrom(at(24), craft.FromServer)
				c.Server(at(30), "426 Failure writing network stream.\r\n")
			} else {
				d.Send(at(22), craft.FromServer, content[rest:])
				d.CloseFrom(at(24), craft.FromServer)
				c.Server(at(30), "226 Transfer complete.\r\n")
			}
			c.Client(at(31), "QUIT\r\n")
			c.Server(at(32), "221 bye\r\n")
			c.Close(at(33))
		}
	})
	dir := filepath.Join(t.TempDir(), "out")
	out, stderr, code := runTool(t, "-r", path, "--format", "json", "--hash", "sha256", "--extract", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var last struct {
		Result   string
		Stitched *struct {
			Ranges  [][2]uint64
			Covered bool
			File    string
			SHA256  string
		}
	}
	results := []string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r struct {
			Type     string
			Channels []struct {
				Transfer json.RawMessage
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Channels {
			if err := json.Unmarshal(c.Transfer, &last); err != nil {
				t.Fatal(err)
			}
			results = append(results, last.Result)
		}
	}
	if fmt.Sprint(results) != "[truncated complete]" {
		t.Errorf("results %v, want [truncated complete]", results)
	}
	st := last.Stitched
	if st == nil || !st.Covered || fmt.Sprint(st.Ranges) != "[[0 1024]]" || st.SHA256 != sha256hex(content) {
		t.Fatalf("stitched %+v, want [[0 1024]] covered with sha256 %s", st, sha256hex(content))
	}
	if b, err := os.ReadFile(st.File); err != nil || !bytes.Equal(b, content) {
		t.Errorf("stitched file %s: %v, %d bytes, want the file's %d", st.File, err, len(b), len(content))
	}
}
