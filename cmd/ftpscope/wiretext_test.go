package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// outputModes are every output ftpscope renders wire text into.
var outputModes = []struct {
	name string
	args []string
}{
	{"table", []string{"--format", "table", "-v"}},
	{"json", []string{"--format", "json"}},
	{"csv", []string{"--format", "csv"}},
	{"ladder", []string{"--format", "table", "-v", "--ladder"}},
	{"firewall table", []string{"--format", "table", "-v", "--report", "sessions,firewall"}},
	{"firewall json", []string{"--format", "json", "--report", "sessions,firewall"}},
}

// passwordWays are the ways a password reached the output before the
// redaction moved to where control bytes enter the analysis (issue 12 item
// 7). Each capture carries its secret on the wire; no output may show it
// without --show-passwords, and the JSON output does with it.
var passwordWays = []struct {
	name   string
	secret string
	fill   func(w *craft.Writer)
}{
	{"CR-only line ends", "s3cret-cr", func(w *craft.Writer) {
		c := w.Dial(hostileT0, hostileClient, hostileServer)
		c.Server(hostileT0.Add(time.Millisecond), "220 ready\r")
		c.Client(hostileT0.Add(2*time.Millisecond), "USER alice\rPASS s3cret-cr\r")
		c.Server(hostileT0.Add(3*time.Millisecond), "331 password please\r230 logged in\r")
		c.Client(hostileT0.Add(4*time.Millisecond), "PASV\r")
		c.Server(hostileT0.Add(5*time.Millisecond), "227 Entering Passive Mode (198,51,100,21,4,1).\r")
		c.Close(hostileT0.Add(time.Second))
	}},
	{"capture starts inside the PASS line", "t0psecret-mid", func(w *craft.Writer) {
		c := w.Established(hostileClient, hostileServer)
		c.Client(hostileT0, "t0psecret-mid\r\n")
		c.Server(hostileT0.Add(time.Millisecond), "230 logged in\r\n")
		c.Client(hostileT0.Add(2*time.Millisecond), "PASV\r\n")
		c.Server(hostileT0.Add(3*time.Millisecond), "227 Entering Passive Mode (198,51,100,21,4,1).\r\n")
		c.Close(hostileT0.Add(time.Second))
	}},
	{"helper lint quotes a segment holding PASS", "s3cret-lint", func(w *craft.Writer) {
		c := w.Dial(hostileT0, hostileClient, hostileServer)
		c.Server(hostileT0.Add(time.Millisecond), "220 ready\r\n")
		c.Client(hostileT0.Add(2*time.Millisecond), "USER alice\r\n")
		c.Server(hostileT0.Add(3*time.Millisecond), "331 password please\r\n")
		c.Client(hostileT0.Add(4*time.Millisecond), "PORT 1,2\r\nPASS s3cret-lint\r\n")
		c.Server(hostileT0.Add(5*time.Millisecond), "501 bad PORT\r\n230 logged in\r\n")
		c.Close(hostileT0.Add(time.Second))
	}},
	{"PASS after a leading space", "s3cret-space", func(w *craft.Writer) {
		c := w.Dial(hostileT0, hostileClient, hostileServer)
		c.Server(hostileT0.Add(time.Millisecond), "220 ready\r\n")
		c.Client(hostileT0.Add(2*time.Millisecond), "USER alice\r\n")
		c.Server(hostileT0.Add(3*time.Millisecond), "331 password please\r\n")
		c.Client(hostileT0.Add(4*time.Millisecond), " PASS s3cret-space\r\n")
		c.Server(hostileT0.Add(5*time.Millisecond), "500 ' PASS s3cret-space': command not understood\r\n")
		c.Close(hostileT0.Add(time.Second))
	}},
}

func TestPasswordsRedactedEverywhere(t *testing.T) {
	for _, way := range passwordWays {
		t.Run(way.name, func(t *testing.T) {
			path := writeCapture(t, "pass.pcap", way.fill)
			for _, m := range outputModes {
				out, errs, code := runTool(t, append([]string{"-r", path}, m.args...)...)
				if code != exitOK {
					t.Fatalf("%s: exit %d: %s", m.name, code, errs)
				}
				if strings.Contains(out, way.secret) || strings.Contains(errs, way.secret) {
					t.Errorf("%s output shows the password %q:\n%s", m.name, way.secret, out)
				}
			}
			out, _, _ := runTool(t, "-r", path, "--format", "json", "--show-passwords")
			if !strings.Contains(out, way.secret) {
				t.Errorf("--show-passwords does not show %q:\n%s", way.secret, out)
			}
		})
	}
}

// TestCROnlyLineEnds: a client and server that end lines with CR alone are
// read line by line: the user is alice, not "alice\rPASS ...", and the
// PASV after the login announces a channel.
func TestCROnlyLineEnds(t *testing.T) {
	path := writeCapture(t, "cr.pcap", passwordWays[0].fill)
	out, _, _ := runTool(t, "-r", path, "--format", "json")
	sessions, _ := parseJSONL(t, out)
	if len(sessions) != 1 || sessions[0].User != "alice" || len(sessions[0].Channels) != 1 || sessions[0].Channels[0].Method != "PASV" {
		t.Fatalf("want one session of user alice with one PASV channel, got:\n%s", out)
	}
}
