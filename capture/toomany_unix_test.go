//go:build unix

package capture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// TestMoreFilesThanDescriptors (issue 12 item 16): more -r files overlapping
// in time than the open-file limit allows were "damaged after packet 0" and
// their packets lost. Now the file needed last is closed and reopened when
// due: every packet of every file is read, in order, without damage. The
// limit is lowered in a child process (it is the whole process's).
func TestMoreFilesThanDescriptors(t *testing.T) {
	if dir := os.Getenv("FTPSCOPE_NOFILE_CHILD"); dir != "" {
		tooManyFilesChild(t, dir)
		return
	}
	const files, perFile = 60, 4
	dir := t.TempDir()
	frame := data4.ether(t)
	for i := range files {
		var rs []rec
		for k := range perFile {
			// Every file's k-th packet falls between the others': all
			// files are open at once in the merge.
			rs = append(rs, rec{t: t0.Add(time.Duration(k*files+i) * time.Millisecond), data: frame})
		}
		ext := ".pcap"
		b := pcapBytes(t, layers.LinkTypeEthernet, 65535, rs)
		if i%3 == 1 {
			b, ext = gzipBytes(t, b), ".pcap.gz"
		}
		if i%3 == 2 {
			b, ext = ngBytes(t, []layers.LinkType{layers.LinkTypeEthernet}, rs), ".pcapng"
		}
		writeFile(t, dir, fmt.Sprintf("f%02d%s", i, ext), b)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMoreFilesThanDescriptors$")
	cmd.Env = append(os.Environ(), "FTPSCOPE_NOFILE_CHILD="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var res tooManyResult
	if err := json.Unmarshal(lastLine(out), &res); err != nil {
		t.Fatalf("child said %q: %v", out, err)
	}
	if res.Packets != files*perFile || len(res.Damage) != 0 || !res.InOrder || res.Suspended == 0 {
		t.Errorf("read %d of %d packets (in order: %v), %d suspensions, damage %v", res.Packets, files*perFile, res.InOrder, res.Suspended, res.Damage)
	}
}

type tooManyResult struct {
	Packets   int
	InOrder   bool
	Suspended uint64
	Damage    []string
}

// lastLine returns the last line of b that holds a JSON object.
func lastLine(b []byte) []byte {
	lines := bytes.Split(b, []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if bytes.HasPrefix(lines[i], []byte("{")) {
			return lines[i]
		}
	}
	return nil
}

// tooManyFilesChild lowers the open-file limit below the number of files
// in dir, reads them all as one timeline and prints what it read.
func tooManyFilesChild(t *testing.T, dir string) {
	names, _ := filepath.Glob(filepath.Join(dir, "f*"))
	limit := uint64(24)
	if s := os.Getenv("FTPSCOPE_NOFILE_LIMIT"); s != "" {
		limit, _ = strconv.ParseUint(s, 10, 64)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		t.Fatal(err)
	}
	src, err := OpenFiles(names, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	res := tooManyResult{InOrder: true}
	var last time.Time
	for {
		p, err := src.Next()
		if err != nil {
			break
		}
		if p.Time.Before(last) {
			res.InOrder = false
		}
		last = p.Time
		res.Packets++
	}
	st := src.Stats()
	res.Suspended = st.Suspended
	for _, d := range st.Damage {
		res.Damage = append(res.Damage, d.Error())
	}
	b, _ := json.Marshal(res)
	fmt.Printf("\n%s\n", b)
}
