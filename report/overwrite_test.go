package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/craft"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/report"
)

// TestCommandLogOverwrite: a STOR to a file the session's listing showed
// is marked overwrite in the command log (the name resolved against the
// working directory, relative or absolute); a STOR of a new name, an APPE
// and a STOR before any listing are not.
func TestCommandLogOverwrite(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("198.51.100.21:21")
	client := netip.MustParseAddrPort("192.0.2.10:40000")
	path := craftCapture(t, func(w *craft.Writer) {
		c := w.Dial(t0, client, server)
		at := t0.Add(time.Millisecond)
		step := func(from craft.Side, s string) {
			at = at.Add(time.Millisecond)
			c.Send(at, from, []byte(s))
		}
		n := 0
		transfer := func(cmd, data string, fromServer bool) {
			port := uint16(50000 + n)
			n++
			step(craft.FromClient, "PASV\r\n")
			step(craft.FromServer, fmt.Sprintf("227 Entering Passive Mode (198,51,100,21,%d,%d).\r\n", port>>8, port&0xff))
			step(craft.FromClient, cmd+"\r\n")
			step(craft.FromServer, "150 Opening data connection.\r\n")
			at = at.Add(time.Millisecond)
			d := w.Dial(at, netip.AddrPortFrom(client.Addr(), uint16(45000+n)), netip.AddrPortFrom(server.Addr(), port))
			at = at.Add(time.Millisecond)
			side := craft.FromClient
			if fromServer {
				side = craft.FromServer
			}
			d.Send(at, side, []byte(data))
			at = at.Add(time.Millisecond)
			d.CloseFrom(at, side)
			step(craft.FromServer, "226 done\r\n")
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
		transfer("STOR early.txt", "before any listing", false)
		transfer("LIST", "-rw-r--r--    1 0        0               5 Jan 01 00:00 a.txt\r\n-rw-r--r--    1 0        0               7 Jan 01 00:00 early.txt\r\n", true)
		transfer("STOR a.txt", "new a", false)
		transfer("STOR /pub/early.txt", "new early", false)
		transfer("STOR b.txt", "new b", false)
		transfer("APPE a.txt", "more", false)
		step(craft.FromClient, "QUIT\r\n")
		step(craft.FromServer, "221 bye\r\n")
		c.Close(at.Add(time.Millisecond))
	})
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
	if _, err := pipeline.Run(context.Background(), src, pipeline.Config{Analysis: analysis.Config{Audit: true}}, jw); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec struct {
			Type       string `json:"type"`
			CommandLog []struct {
				Command   string `json:"command"`
				Argument  string `json:"argument"`
				Risk      string `json:"risk"`
				Overwrite bool   `json:"overwrite"`
			} `json:"command_log"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		for _, c := range rec.CommandLog {
			if c.Command == "STOR" || c.Command == "APPE" {
				if c.Risk != "write" {
					t.Errorf("%s %s: risk %q", c.Command, c.Argument, c.Risk)
				}
				got[c.Command+" "+c.Argument] = c.Overwrite
			}
		}
	}
	want := map[string]bool{"STOR early.txt": false, "STOR a.txt": true, "STOR /pub/early.txt": true, "STOR b.txt": false, "APPE a.txt": false}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("overwrite marks %v, want %v", got, want)
	}
}
