package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var metricsAddr = regexp.MustCompile(`serving metrics on (http://\S+/metrics)`)

// waitUntil waits for cond (for at most 10 s) or fails the test.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !waitFor(10*time.Second, cond) {
		t.Fatalf("gave up waiting for %s", what)
	}
}

// scrape fetches and parses a Prometheus text exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d, %v", resp.StatusCode, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("scrape: %v\n%s", err, body)
	}
	return fams
}

// sample returns the value of the family's sample whose labels are labels
// ("k=v,k=v"; "" for none), and whether there is one.
func sample(fams map[string]*dto.MetricFamily, name, labels string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.Metric {
		var ls []string
		for _, l := range m.Label {
			ls = append(ls, l.GetName()+"="+l.GetValue())
		}
		if strings.Join(ls, ",") != labels {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// TestMetricsAgreeWithJSON runs ftpscope over lab captures with a blocked
// active channel, NAT'd passive channels and a brute force that raised
// notices, with the endpoint on a port the kernel picks, scrapes it while
// the run lingers, and holds every count to the JSON report of the run.
func TestMetricsAgreeWithJSON(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- runWith(ctx, []string{"-f", "json", "--metrics-listen", "127.0.0.1:0", "--metrics-linger", "1m",
			"-r", "../../pcaps/04-active-drop/server.pcap", "-r", "../../pcaps/10-dnat-pasv-private/server.pcap",
			"-r", "../../pcaps/17-bruteforce-proftpd/server.pcap"}, strings.NewReader(""), &out, &errb)
	}()
	var url string
	waitUntil(t, "the metrics address on stderr", func() bool {
		m := metricsAddr.FindStringSubmatch(errb.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	waitUntil(t, "the summary record", func() bool { return strings.Contains(out.String(), `"type":"summary"`) })
	fams := scrape(t, url)
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end when its lingering was interrupted")
	}
	if _, err := http.Get(url); err == nil {
		t.Error("the endpoint still answers after the run")
	}

	var sum struct {
		Sessions  uint64            `json:"session_count"`
		Channels  uint64            `json:"channel_count"`
		Blocked   uint64            `json:"blocked"`
		Packets   uint64            `json:"packets"`
		Notices   map[string]uint64 `json:"notices"`
		Evictions map[string]uint64 `json:"evictions"`
		Verdicts  map[string]uint64 `json:"verdicts"`
	}
	perChannel := map[string]float64{}
	sessions, notices := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r struct {
			Type     string `json:"type"`
			Channels []struct {
				Verdict, Mode string
			} `json:"channels"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		switch r.Type {
		case "session":
			sessions++
			for _, c := range r.Channels {
				perChannel[fmt.Sprintf("mode=%s,verdict=%s", c.Mode, c.Verdict)]++
			}
		case "notice":
			notices++
		case "summary":
			json.Unmarshal([]byte(line), &sum)
		}
	}
	if sum.Blocked == 0 || sum.Notices["bruteforce"] == 0 || sessions < 3 {
		t.Fatalf("the captures were chosen for blocked channels, notices and sessions: %+v", sum)
	}
	check := func(name, labels string, want float64) {
		t.Helper()
		got, ok := sample(fams, name, labels)
		if !ok || got != want {
			t.Errorf("%s{%s} = %v (present %v), want %v", name, labels, got, ok, want)
		}
	}
	check("ftpscope_sessions_total", "", float64(sessions))
	check("ftpscope_sessions_total", "", float64(sum.Sessions))
	check("ftpscope_packets_total", "", float64(sum.Packets))
	check("ftpscope_blocked_total", "", float64(sum.Blocked))
	check("ftpscope_open_sessions", "", 0)
	check("ftpscope_kernel_drops_total", "", 0)
	var channels float64
	for _, m := range fams["ftpscope_channels_total"].GetMetric() {
		channels += m.Counter.GetValue()
	}
	if channels != float64(sum.Channels) {
		t.Errorf("ftpscope_channels_total adds up to %v, the summary says %d", channels, sum.Channels)
	}
	for k, n := range perChannel {
		check("ftpscope_channels_total", k, n)
	}
	for v, n := range sum.Verdicts {
		var got float64
		for _, mode := range []string{"active", "passive", "unknown"} {
			g, _ := sample(fams, "ftpscope_channels_total", "mode="+mode+",verdict="+v)
			got += g
		}
		if got != float64(n) {
			t.Errorf("verdict %s: %v channels counted, the summary says %d", v, got, n)
		}
	}
	var noticed float64
	for k, n := range sum.Notices {
		check("ftpscope_notices_total", "kind="+k, float64(n))
		noticed += float64(n)
	}
	if noticed != float64(notices) {
		t.Errorf("%v notices counted, %d notice records", noticed, notices)
	}
	for k, n := range sum.Evictions {
		check("ftpscope_evictions_total", "table="+k, float64(n))
	}
	if len(fams["ftpscope_evictions_total"].GetMetric()) != len(sum.Evictions) {
		t.Errorf("%d eviction tables served, %d in the summary", len(fams["ftpscope_evictions_total"].GetMetric()), len(sum.Evictions))
	}
	if b, ok := fams["ftpscope_build_info"]; !ok || len(b.Metric) != 1 {
		t.Error("no ftpscope_build_info")
	}
}

func TestMetricsFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-r", "x.pcap", "--metrics-linger", "1s"}, "--metrics-linger goes with --metrics-listen"},
		{[]string{"-r", "x.pcap", "--metrics-listen", ":0", "--metrics-linger", "-1s"}, "must not be negative"},
	} {
		_, stderr, code := runTool(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want usage error %q", tc.args, code, stderr, tc.want)
		}
	}
	// An address in use is an error before anything is read.
	_, stderr, code := runTool(t, "-r", "../../pcaps/01-basic-v4/server.pcap", "--metrics-listen", "256.0.0.1:1")
	if code != exitError || !strings.Contains(stderr, "--metrics-listen") {
		t.Errorf("a bad address: exit %d, %q", code, stderr)
	}
}

func TestVersion(t *testing.T) {
	stdout, stderr, code := runTool(t, "--version")
	if code != exitOK || stderr != "" || !strings.HasPrefix(stdout, "ftpscope ") || !strings.Contains(stdout, " go1.") {
		t.Errorf("--version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
