package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/craft"
)

// Issue 12 item 15: real sessions of the corpus, carried in tunnels and cut
// into IP fragments, must give the report the plain capture gives. Each
// frame's IP packet is rewritten with craft (Wrap, Fragment) into a new
// capture, and ftpscope's JSON records are compared with those of the same
// packets framed plainly: identical for the encapsulations (same frames,
// same numbers), identical but for frame numbers for fragments (more
// frames).

// encapSources are the captures rewritten: IPv4 active and passive (with
// its 227 reply), and IPv4 and IPv6 extended modes (EPSV, EPRT).
var encapSources = []string{"../../pcaps/01-basic-v4/client.pcap", "../../pcaps/02-extended-v4-v6/client.pcap"}

// rewriteCapture writes src's packets, rewritten by fn, into dir/name.
func rewriteCapture(t *testing.T, src, dir, name string, fn func(ip []byte) ([][]byte, error)) string {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	if err := craft.Rewrite(f, &out, fn); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wrapAll wraps every packet in e.
func wrapAll(e craft.Encap) func([]byte) ([][]byte, error) {
	return func(ip []byte) ([][]byte, error) {
		f, err := craft.Wrap(e, ip)
		return [][]byte{f}, err
	}
}

// fragmentAll cuts every packet into fragments of at most size payload
// bytes, sends every third packet's fragments last first (so reassembly
// cannot rely on order), and frames them with after.
func fragmentAll(size int, atomic bool, after craft.Encap) func([]byte) ([][]byte, error) {
	id, n := uint32(7000), 0
	return func(ip []byte) ([][]byte, error) {
		id++
		n++
		frags, err := craft.Fragment(ip, size, id, atomic)
		if err != nil {
			return nil, err
		}
		if n%3 == 0 {
			for i, j := 0, len(frags)-1; i < j; i, j = i+1, j-1 {
				frags[i], frags[j] = frags[j], frags[i]
			}
		}
		var out [][]byte
		for _, f := range frags {
			w, err := craft.Wrap(after, f)
			if err != nil {
				return nil, err
			}
			out = append(out, w)
		}
		return out, nil
	}
}

// sessionLines returns the session records of ftpscope's JSON output as
// generic JSON, without the fields that number frames when dropFrameNumbers.
func sessionLines(t *testing.T, out string, dropFrameNumbers bool) []string {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, sc.Text())
		}
		if v["type"] != "session" {
			continue
		}
		if dropFrameNumbers {
			dropKey(v, "packet")
		}
		b, _ := json.Marshal(v)
		lines = append(lines, string(b))
	}
	return lines
}

// dropKey deletes key at every level of v.
func dropKey(v any, key string) {
	switch x := v.(type) {
	case map[string]any:
		delete(x, key)
		for _, e := range x {
			dropKey(e, key)
		}
	case []any:
		for _, e := range x {
			dropKey(e, key)
		}
	}
}

// summaryOf returns the summary record's objects as generic JSON.
func summaryOf(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var v map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &v); err != nil || v["type"] != "summary" {
		t.Fatalf("last line is no summary: %v\n%s", err, lines[len(lines)-1])
	}
	return v
}

func TestEncapsulatedSessions(t *testing.T) {
	dir := t.TempDir()
	for _, src := range encapSources {
		base := filepath.Base(filepath.Dir(src))
		plain := rewriteCapture(t, src, dir, base+"-plain.pcap", wrapAll(craft.Plain))
		plainOut, _, code := runTool(t, "-r", plain, "--format", "json")
		if code != 0 {
			t.Fatalf("%s: exit %d", plain, code)
		}
		want := sessionLines(t, plainOut, false)
		wantNoNum := sessionLines(t, plainOut, true)
		sessions, _ := parseJSONL(t, plainOut)
		channels := 0
		for _, s := range sessions {
			channels += len(s.Channels)
		}
		if len(want) == 0 || channels < 2 {
			t.Fatalf("%s: %d sessions, %d channels in the plain capture", base, len(want), channels)
		}
		tests := []struct {
			name     string
			fn       func([]byte) ([][]byte, error)
			numbered bool // same frames: frame numbers must match too
			frags    bool
		}{
			{"gre", wrapAll(craft.GRE), true, false},
			{"mpls", wrapAll(craft.MPLS), true, false},
			{"pppoe", wrapAll(craft.PPPoE), true, false},
			{"vxlan", wrapAll(craft.VXLAN), true, false},
			{"fragments", fragmentAll(24, false, craft.Plain), false, true},
			{"atomic ipv6 fragments", fragmentAll(1<<15, true, craft.Plain), true, true},
			{"fragments in gre", fragmentAll(16, false, craft.GRE), false, true},
			{"fragments in pppoe", fragmentAll(40, false, craft.PPPoE), false, true},
			{"gre fragmented outside", func(ip []byte) ([][]byte, error) {
				// The tunnel packet is fragmented by the outer IPv4.
				f, err := craft.Wrap(craft.GRE, ip)
				if err != nil {
					return nil, err
				}
				return fragmentAll(32, false, craft.Plain)(f[14:])
			}, false, true},
		}
		for _, tc := range tests {
			t.Run(base+" "+tc.name, func(t *testing.T) {
				if tc.name == "atomic ipv6 fragments" && !strings.Contains(base, "v6") {
					t.Skip("IPv4 has no atomic fragments")
				}
				name := rewriteCapture(t, src, dir, base+"-"+strings.ReplaceAll(tc.name, " ", "-")+".pcap", tc.fn)
				out, stderr, code := runTool(t, "-r", name, "--format", "json")
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				got := sessionLines(t, out, !tc.numbered)
				w := want
				if !tc.numbered {
					w = wantNoNum
				}
				if strings.Join(got, "\n") != strings.Join(w, "\n") {
					t.Errorf("sessions differ from the plain capture's:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(w, "\n"))
				}
				if strings.Contains(stderr, "warning") {
					t.Errorf("warnings: %s", stderr)
				}
				sum := summaryOf(t, out)
				fr, _ := sum["fragments"].(map[string]any)
				if tc.frags && (fr["fragments"].(float64) == 0 || fr["reassembled"].(float64) == 0 ||
					fr["incomplete"].(float64)+fr["invalid"].(float64)+fr["evicted"].(float64)+fr["timed_out"].(float64) != 0) {
					t.Errorf("fragments summary %v", fr)
				}
				if nd, _ := sum["not_decoded"].(map[string]any); len(nd) != 0 {
					t.Errorf("not decoded: %v", nd)
				}
			})
		}
	}
}

// TestFragmented227: a 227 reply cut into IP fragments (it used to be
// reported as "51 bytes missing", the channel lost) gives the passive
// channel the plain capture gives, endpoint and verdict.
func TestFragmented227(t *testing.T) {
	dir := t.TempDir()
	src := encapSources[0]
	plain := rewriteCapture(t, src, dir, "plain.pcap", wrapAll(craft.Plain))
	frag := rewriteCapture(t, src, dir, "frag.pcap", fragmentAll(16, false, craft.Plain))
	find := func(out string) (announced, verdict, from string) {
		sessions, _ := parseJSONL(t, out)
		for _, s := range sessions {
			for _, c := range s.Channels {
				if c.Method == "PASV" {
					if c.Connection != nil {
						from = c.Connection.From
					}
					return c.Announced, c.Verdict, from
				}
			}
		}
		return "", "", ""
	}
	plainOut, _, _ := runTool(t, "-r", plain, "--format", "json")
	fragOut, stderr, code := runTool(t, "-r", frag, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	a, v, f := find(plainOut)
	if a == "" || v != "ok" {
		t.Fatalf("the plain capture has no PASV channel that worked: %q %q", a, v)
	}
	if ga, gv, gf := find(fragOut); ga != a || gv != v || gf != f {
		t.Errorf("fragmented: PASV channel %q %q from %q, want %q %q from %q", ga, gv, gf, a, v, f)
	}
	// A transfer's "missing_bytes":0 says nothing is missing; anything else
	// with the word (a note, a count above 0) is a finding.
	if strings.Contains(strings.ReplaceAll(fragOut, `"missing_bytes":0`, ""), "missing") {
		t.Errorf("the fragmented capture reports missing bytes")
	}
}

// TestNotDecodedNamed: frames of an encapsulation ftpscope does not follow
// are counted by name in the summary and named in a warning.
func TestNotDecodedNamed(t *testing.T) {
	dir := t.TempDir()
	esp := rewriteCapture(t, encapSources[0], dir, "esp.pcap", func(ip []byte) ([][]byte, error) {
		if ip[0]>>4 != 4 {
			return nil, nil
		}
		c := bytes.Clone(ip)
		c[9] = 50 // ESP
		f, err := craft.Wrap(craft.Plain, c)
		return [][]byte{f}, err
	})
	out, stderr, _ := runTool(t, "-r", esp, "--format", "json")
	nd, _ := summaryOf(t, out)["not_decoded"].(map[string]any)
	if n, _ := nd["ipsec-esp"].(float64); n == 0 {
		t.Errorf("not_decoded %v, want ipsec-esp counted", nd)
	}
	if !strings.Contains(stderr, "ipsec-esp") || !strings.Contains(stderr, "does not decode") {
		t.Errorf("no warning naming the encapsulation: %s", stderr)
	}
}
