package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// buildSynth builds cmd/ftpsynth into dir and returns its path. The
// synthesizer is a command of this module, so the test compiles it rather
// than trusting a binary lying around.
func buildSynth(t testing.TB, dir string) string {
	t.Helper()
	gotool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gotool); err != nil {
		if gotool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build cmd/ftpsynth with")
		}
	}
	bin := filepath.Join(dir, "ftpsynth")
	cmd := exec.Command(gotool, "build", "-o", bin, "github.com/ftpscope/ftpscope/cmd/ftpsynth")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/ftpsynth: %v\n%s", err, out)
	}
	return bin
}

// truthChannel and truthSession are the parts of ftpsynth's truth file the
// comparison reads (cmd/ftpsynth/truth.go has the full format).
type truthChannel struct {
	Type       string `json:"type"`
	Session    int    `json:"session"`
	Client     string `json:"client"`
	Server     string `json:"server"`
	Method     string `json:"method"`
	Announced  string `json:"announced"`
	Connection *struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"connection"`
	Matched  string `json:"matched"`
	Verdict  string `json:"verdict"`
	Blocked  bool   `json:"blocked"`
	NAT      bool   `json:"nat"`
	Scenario string `json:"scenario"`
	Lossy    bool   `json:"lossy"`
}

// reportChannel is a channel of ftpscope's JSON report.
type reportChannel struct {
	Method     string `json:"method"`
	Announced  string `json:"announced"`
	Verdict    string `json:"verdict"`
	Blocked    bool   `json:"blocked"`
	NAT        bool   `json:"nat"`
	Matched    string `json:"matched"`
	Reason     string `json:"reason"`
	Connection *struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"connection"`
}

// TestVerdictsMatchTruth synthesizes captures of a few hundred FTP sessions
// of every mode and outcome (active and passive, IPv4 and IPv6, NAT, refused
// PORTs, drops, resets, ICMP, unused announcements, AUTH TLS) among
// background traffic, one of them with capture loss, VLAN tags, pcapng and
// gzip, one reordered, and checks every channel ftpscope reports against the truth file:
// the same channels in each session, with the truth's verdict, blocked and
// NAT flags and data connection. Sessions that lost packets are only
// required to be reported: the truth format allows ftpscope to answer
// "unknown" or miss a channel there. The report read on two cores must be
// the one read on one.
func TestVerdictsMatchTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the synthesizer")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2)) // the two-core reader needs two Ps
	dir := t.TempDir()
	synth := buildSynth(t, dir)
	common := []string{"--sessions", "300", "--ipv6-share", "0.3", "--max-transfer", "16KiB", "--ftp-share", "0.5"}
	for _, tc := range []struct {
		name string
		file string
		args []string
	}{
		{"clean", "clean.pcap", []string{"--seed", "11"}},
		{"reorder", "reorder.pcap", []string{"--seed", "13", "--reorder", "0.05"}},
		{"loss-vlan-pcapng-gzip", "lossy.pcapng.gz", []string{"--seed", "12", "--loss", "0.003", "--vlan", "7", "--pcapng", "--gzip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			capFile, truthFile := filepath.Join(dir, tc.file), filepath.Join(dir, tc.name+".truth")
			args := append([]string{"--out", capFile, "--truth", truthFile}, append(common, tc.args...)...)
			if out, err := exec.Command(synth, args...).CombinedOutput(); err != nil {
				t.Fatalf("ftpsynth %v: %v\n%s", args, err, out)
			}
			two, stderr, code := runTool(t, "-r", capFile, "-f", "json", "--pipe-start-after", "1")
			if code != exitOK {
				t.Fatalf("ftpscope exit %d: %s", code, stderr)
			}
			one, _, _ := runTool(t, "-r", capFile, "-f", "json", "--single-core")
			if one != two {
				t.Fatal("the report read on two cores differs from the one read on one")
			}
			compareTruth(t, truthFile, two)
		})
	}
}

// compareTruth checks report (JSON Lines) against the truth file.
func compareTruth(t *testing.T, truthFile, report string) {
	t.Helper()
	f, err := os.Open(truthFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		channels            []truthChannel
		lossySession        = map[string]bool{}
		truthSessions, want int
		scenarios           = map[string]int{}
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var head struct {
			Type     string `json:"type"`
			Sessions int    `json:"sessions"`
		}
		if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
			t.Fatalf("truth: %v", err)
		}
		if head.Type == "truth-summary" {
			want = head.Sessions
			continue
		}
		var c truthChannel
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("truth: %v", err)
		}
		switch c.Type {
		case "session":
			truthSessions++
			lossySession[c.Client+" "+c.Server] = c.Lossy
		case "channel":
			channels = append(channels, c)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if want == 0 || want != truthSessions {
		t.Fatalf("truth file: %d sessions listed, summary says %d", truthSessions, want)
	}

	sessions, summary := parseJSONL(t, report)
	if summary.Sessions != uint64(want) || len(sessions) != want {
		t.Errorf("%d sessions reported (summary %d), the truth has %d", len(sessions), summary.Sessions, want)
	}
	got := map[string][]reportChannel{}
	for _, line := range strings.Split(report, "\n") {
		var s struct {
			Type     string          `json:"type"`
			Client   string          `json:"client"`
			Server   string          `json:"server"`
			Channels []reportChannel `json:"channels"`
		}
		if line == "" || json.Unmarshal([]byte(line), &s) != nil || s.Type != "session" {
			continue
		}
		key := s.Client + " " + s.Server
		if _, dup := got[key]; dup {
			t.Errorf("session %s reported twice", key)
		}
		got[key] = s.Channels
	}
	for key := range lossySession {
		if _, ok := got[key]; !ok {
			t.Errorf("session %s is in the truth but not in the report", key)
		}
	}

	// Channels in session order: the i-th truth channel of a session is the
	// i-th reported one with the same method and announced endpoint.
	checked, skipped, bad := 0, 0, 0
	next := map[string]int{}
	for _, c := range channels {
		key := c.Client + " " + c.Server
		if lossySession[key] {
			skipped++
			continue
		}
		list := got[key]
		i := next[key]
		for i < len(list) && (list[i].Method != c.Method || list[i].Announced != c.Announced) {
			t.Errorf("session %d (%s): reported channel %s %s is not in the truth", c.Session, key, list[i].Method, list[i].Announced)
			i++
		}
		if i == len(list) {
			t.Errorf("session %d (%s): truth channel %s %s (%s, %s) is not reported", c.Session, key, c.Method, c.Announced, c.Scenario, c.Verdict)
			bad++
			continue
		}
		r := list[i]
		next[key] = i + 1
		checked++
		scenarios[c.Scenario]++
		var diffs []string
		if r.Verdict != c.Verdict {
			diffs = append(diffs, fmt.Sprintf("verdict %s, truth %s", r.Verdict, c.Verdict))
		}
		if r.Blocked != c.Blocked {
			diffs = append(diffs, fmt.Sprintf("blocked %v, truth %v", r.Blocked, c.Blocked))
		}
		if r.NAT != c.NAT {
			diffs = append(diffs, fmt.Sprintf("nat %v, truth %v", r.NAT, c.NAT))
		}
		if c.Connection != nil && (r.Connection == nil || *r.Connection != *c.Connection) {
			diffs = append(diffs, fmt.Sprintf("connection %+v, truth %+v", r.Connection, *c.Connection))
		}
		if c.Matched != "" && r.Matched != c.Matched {
			diffs = append(diffs, fmt.Sprintf("matched %q, truth %q", r.Matched, c.Matched))
		}
		if len(diffs) > 0 {
			bad++
			t.Errorf("session %d (%s) channel %s %s (scenario %s): %s\n  reason: %s",
				c.Session, key, c.Method, c.Announced, c.Scenario, strings.Join(diffs, "; "), r.Reason)
		}
	}
	for key, list := range got {
		if !lossySession[key] && next[key] < len(list) {
			t.Errorf("session %s: %d reported channels beyond the truth's", key, len(list)-next[key])
		}
	}
	// The comparison must have covered every outcome the synthesizer plays.
	for _, s := range []string{"ok", "dropped", "refused", "icmp", "not-seen", "nat-control", "nat-private", "port-refused", "unused"} {
		if scenarios[s] == 0 {
			t.Errorf("no channel of scenario %s was checked", s)
		}
	}
	if checked < 300 {
		t.Errorf("only %d channels checked", checked)
	}
	t.Logf("%d channels checked (%d wrong), %d in sessions with capture loss skipped", checked, bad, skipped)
}
