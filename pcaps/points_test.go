package pcaps_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// What ftpscope --point writes that this test checks.
type pointsLine struct {
	Type          string `json:"type"`
	Points        []string
	PointSessions []struct {
		Name   string `json:"name"`
		Client string `json:"client"`
		Server string `json:"server"`
		Joined string `json:"joined_by"`
	} `json:"point_sessions"`
	Rewrites *[]struct {
		Between []string `json:"between"`
		Field   string   `json:"field"`
		From    string   `json:"from"`
		To      string   `json:"to"`
		Side    string   `json:"side"`
		Channel int      `json:"channel"`
		Breaks  bool     `json:"breaks"`
	} `json:"rewrites"`
	Channels []struct {
		Method string `json:"method"`
		Path   *struct {
			Points []struct {
				Name      string `json:"name"`
				Announced string `json:"announced"`
				SYNs      int    `json:"syns"`
			} `json:"points"`
			LostBetween []string `json:"lost_between"`
			Lost        string   `json:"lost"`
			Reason      string   `json:"reason"`
		} `json:"path"`
	} `json:"channels"`
	CapturePoints *struct {
		Points []struct {
			Name          string   `json:"name"`
			ClockOffsetMS *float64 `json:"clock_offset_ms"`
			Order         string   `json:"order"`
		} `json:"points"`
		Warnings []string `json:"warnings"`
	} `json:"capture_points"`
}

// runPoints runs ftpscope over the scenario's two captures as two points
// and returns the session records and the summary.
func runPoints(bin, dir string, extra []string) ([]pointsLine, pointsLine, error) {
	args := append([]string{"--point", "client=" + filepath.Join(dir, "client.pcap"), "--point", "server=" + filepath.Join(dir, "server.pcap"), "--format", "json"}, extra...)
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, pointsLine{}, fmt.Errorf("ftpscope %s: %w\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	var out []pointsLine
	var sum pointsLine
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var l pointsLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, sum, fmt.Errorf("not JSON: %v: %s", err, sc.Text())
		}
		switch l.Type {
		case "session":
			out = append(out, l)
		case "summary":
			sum = l
		}
	}
	return out, sum, sc.Err()
}

// rewriteField is the field the truth's method announces in.
var rewriteField = map[string]string{"PORT": "PORT", "EPRT": "EPRT", "LPRT": "LPRT", "PASV": "227", "EPSV": "229", "LPSV": "228"}

// TestPointsCorpus runs every lab scenario's two captures as two capture
// points (client side first) and checks the join against the truth: every
// session the truth has at both vantages is one record seen at both
// points (through SNAT and DNAT, whose addresses differ); every data
// connection the truth calls blocked at either vantage is lost between
// client and server, every established one is not; every announcement the
// two vantages' logs read differently (the FTP helper's rewrite) is a
// rewrite with the client's and the server's values, in the direction it
// travelled, and no other announcement is.
func TestPointsCorpus(t *testing.T) {
	dir := "."
	if d := os.Getenv("FTPSCOPE_CORPUS"); d != "" {
		dir = d
	}
	files := truthFiles(t, dir)
	located, rewritten, natJoined := 0, 0, 0
	for _, f := range files {
		tf := readTruth(t, f)
		var cv, sv *truthVantage
		for i := range tf.Vantages {
			switch tf.Vantages[i].Name {
			case "client":
				cv = &tf.Vantages[i]
			case "server":
				sv = &tf.Vantages[i]
			}
		}
		if cv == nil || sv == nil || !slices.Equal(cv.Args, sv.Args) {
			continue
		}
		t.Run(tf.Scenario, func(t *testing.T) {
			got, sum, err := runPoints(ftpscope(t), filepath.Dir(f), cv.Args)
			if err != nil {
				t.Fatal(err)
			}
			if sum.CapturePoints == nil || len(sum.CapturePoints.Points) != 2 {
				t.Fatalf("summary without its two capture points: %+v", sum.CapturePoints)
			}
			for _, p := range sum.CapturePoints.Points[1:] {
				if p.Order == "wrong" {
					t.Errorf("point %s: order judged wrong though client was given first; warnings %q", p.Name, sum.CapturePoints.Warnings)
				}
			}
			// A run may open several control connections: the truth lists
			// them in order at both vantages.
			byRun := map[string][]*truthSession{}
			for i := range sv.Sessions {
				byRun[sv.Sessions[i].Run] = append(byRun[sv.Sessions[i].Run], &sv.Sessions[i])
			}
			for _, cs := range cv.Sessions {
				if len(byRun[cs.Run]) == 0 {
					continue
				}
				ss := byRun[cs.Run][0]
				byRun[cs.Run] = byRun[cs.Run][1:]
				var rec *pointsLine
				for i := range got {
					ps := got[i].PointSessions
					if len(ps) == 2 && ps[0].Client == cs.Client && ps[0].Server == cs.Server && ps[1].Client == ss.Client && ps[1].Server == ss.Server {
						rec = &got[i]
					}
				}
				if rec == nil {
					t.Errorf("run %s: no record joins %s -> %s at client with %s -> %s at server", cs.Run, cs.Client, cs.Server, ss.Client, ss.Server)
					continue
				}
				if cs.Client != ss.Client || cs.Server != ss.Server {
					natJoined++
				}
				// Both points saw the SYN, whose ISN NAT leaves alone; FTP on
				// another port is recognised from its greeting, after the SYN.
				want := "transcript-and-sequence"
				if p := port(ss.Server); p != "21" && p != "990" {
					want = "transcript"
				}
				if j := rec.PointSessions[1].Joined; j != want {
					t.Errorf("run %s: joined by %q, want %s", cs.Run, j, want)
				}
				if len(rec.Channels) != len(cs.Channels) || len(cs.Channels) != len(ss.Channels) {
					t.Errorf("run %s: %d channels, truth %d at client and %d at server", cs.Run, len(rec.Channels), len(cs.Channels), len(ss.Channels))
					continue
				}
				if rec.Rewrites == nil {
					t.Errorf("run %s: no rewrites list", cs.Run)
					continue
				}
				wantRW := 0
				for i, cc := range cs.Channels {
					sc := ss.Channels[i]
					p := rec.Channels[i].Path
					if p == nil || len(p.Points) != 2 {
						t.Errorf("run %s channel %d: no two-point path: %+v", cs.Run, i+1, p)
						continue
					}
					blocked := cc.Blocked || sc.Blocked
					ok := cc.Verdict == "ok" || sc.Verdict == "ok"
					switch {
					case blocked:
						lb := slices.Clone(p.LostBetween)
						slices.Sort(lb)
						if !slices.Equal(lb, []string{"client", "server"}) {
							t.Errorf("run %s channel %d (%s %s, truth %s/%s): lost_between %q, want client and server; reason: %s",
								cs.Run, i+1, cc.Method, cc.Announced, cc.Verdict, sc.Verdict, p.LostBetween, p.Reason)
						} else {
							located++
						}
					case ok:
						if p.LostBetween != nil {
							t.Errorf("run %s channel %d established, but lost_between %q: %s", cs.Run, i+1, p.LostBetween, p.Reason)
						}
					}
					if cc.Announced == sc.Announced || (cc.Method == "EPSV" && port(cc.Announced) == port(sc.Announced)) {
						continue
					}
					wantRW++
					from, to, between := cc.Announced, sc.Announced, []string{"client", "server"}
					if cc.Mode == "passive" {
						from, to, between = sc.Announced, cc.Announced, []string{"server", "client"}
					}
					found := false
					for _, rw := range *rec.Rewrites {
						if rw.Channel == i+1 {
							found = true
							if rw.Field != rewriteField[cc.Method] || rw.From != from || rw.To != to || !slices.Equal(rw.Between, between) {
								t.Errorf("run %s channel %d: rewrite %+v, want %s %s -> %s between %q", cs.Run, i+1, rw, rewriteField[cc.Method], from, to, between)
							}
						}
					}
					if !found {
						t.Errorf("run %s channel %d: %s %s at client, %s at server, and no rewrite reported", cs.Run, i+1, cc.Method, cc.Announced, sc.Announced)
					} else {
						rewritten++
					}
				}
				n := 0
				for _, rw := range *rec.Rewrites {
					if rw.Channel != 0 {
						n++
					}
				}
				if n != wantRW {
					t.Errorf("run %s: %d announcement rewrites, truth has %d: %+v", cs.Run, n, wantRW, *rec.Rewrites)
				}
			}
		})
	}
	t.Logf("%d blocked data connections located, %d rewrites matched, %d sessions joined through NAT", located, rewritten, natJoined)
	if located == 0 || rewritten == 0 || natJoined == 0 {
		t.Errorf("the corpus should hold blocked connections, rewrites and NAT: %d, %d, %d", located, rewritten, natJoined)
	}
}

func port(ap string) string {
	i := strings.LastIndexByte(ap, ':')
	return ap[i+1:]
}
