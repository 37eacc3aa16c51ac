package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/version"
)

// TestCountedWhenPrinted: a channel is counted once, with its session when
// the output prints it there, as it is judged when the output streams it.
func TestCountedWhenPrinted(t *testing.T) {
	blocked := &analysis.Channel{Method: analysis.PORT, Verdict: analysis.Dropped, Blocked: true}
	ok := &analysis.Channel{Method: analysis.PASV, Verdict: analysis.OK}
	s := &analysis.Session{Channels: []*analysis.Channel{blocked, ok},
		Audit: &analysis.Audit{Notices: []analysis.Notice{{Kind: analysis.NoticeBounce}}}}
	for _, tc := range []struct {
		name              string
		asJudged          bool
		channelCalls      int
		afterChannels     float64 // channels counted after the Channel calls
		afterSession      float64
		wantBlockedAtEnd  float64
		wantDroppedActive float64
	}{
		{"with the session", false, 2, 0, 2, 1, 1},
		{"as judged", true, 2, 2, 2, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Options{ChannelsAsJudged: tc.asJudged, Build: version.Info{Version: "v9", GoVersion: "go1"}})
			w := m.Writer()
			for _, c := range s.Channels {
				w.Channel(s, c)
			}
			if got := testutil.ToFloat64(m.channels.WithLabelValues("dropped", "active")) + testutil.ToFloat64(m.channels.WithLabelValues("ok", "passive")); got != tc.afterChannels {
				t.Errorf("after the Channel calls: %v channels counted, want %v", got, tc.afterChannels)
			}
			w.Session(s)
			if got := testutil.ToFloat64(m.channels.WithLabelValues("dropped", "active")) + testutil.ToFloat64(m.channels.WithLabelValues("ok", "passive")); got != tc.afterSession {
				t.Errorf("after the session: %v channels counted, want %v", got, tc.afterSession)
			}
			if got := testutil.ToFloat64(m.blocked); got != tc.wantBlockedAtEnd {
				t.Errorf("blocked %v, want %v", got, tc.wantBlockedAtEnd)
			}
			if got := testutil.ToFloat64(m.notices.WithLabelValues("bounce")); got != 1 {
				t.Errorf("bounce notices %v, want 1", got)
			}
			if got := testutil.ToFloat64(m.sessions); got != 1 {
				t.Errorf("sessions %v, want 1", got)
			}
		})
	}
}

// TestTotalsFromProgress: the engine's counters are served from the latest
// Progress, and every label set is there before anything is counted.
func TestTotalsFromProgress(t *testing.T) {
	m := New(Options{Build: version.Info{Version: "v9", Revision: "abc", GoVersion: "go1"}})
	m.Progress(report.Summary{Capture: capture.Stats{Packets: 42, KernelDropped: 3, Live: true,
		Rings: []capture.RingCounters{{Received: 20, KernelDropped: 1}, {Received: 22, KernelDropped: 2}}}, OpenSessions: 7,
		Analysis: analysis.Stats{EvictedSessions: 5}})
	want := `
# HELP ftpscope_packets_total Packets read from the capture (files or interface).
# TYPE ftpscope_packets_total counter
ftpscope_packets_total 42
# HELP ftpscope_kernel_drops_total Packets the kernel dropped before ftpscope read them (live capture; libpcap's ps_drop).
# TYPE ftpscope_kernel_drops_total counter
ftpscope_kernel_drops_total 3
# HELP ftpscope_ring_kernel_drops_total Packets the kernel dropped from one AF_PACKET ring before ftpscope read them, by ring (live capture with a ring per worker; their sum is ftpscope_kernel_drops_total).
# TYPE ftpscope_ring_kernel_drops_total counter
ftpscope_ring_kernel_drops_total{ring="0"} 1
ftpscope_ring_kernel_drops_total{ring="1"} 2
# HELP ftpscope_open_sessions FTP control sessions held (open, or ended and awaiting their channels' verdicts).
# TYPE ftpscope_open_sessions gauge
ftpscope_open_sessions 7
# HELP ftpscope_build_info Always 1: the running build's version, VCS revision and Go version as labels.
# TYPE ftpscope_build_info gauge
ftpscope_build_info{goversion="go1",revision="abc",version="v9"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"ftpscope_packets_total", "ftpscope_kernel_drops_total", "ftpscope_ring_kernel_drops_total", "ftpscope_open_sessions", "ftpscope_build_info"); err != nil {
		t.Error(err)
	}
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := map[string]int{}
	for _, f := range fams {
		series[f.GetName()] = len(f.GetMetric())
	}
	nModes := 3
	for name, n := range map[string]int{
		"ftpscope_channels_total":  len(analysis.Verdicts) * nModes,
		"ftpscope_notices_total":   len(analysis.NoticeKinds()),
		"ftpscope_evictions_total": len(report.Evictions(report.Summary{})),
	} {
		if series[name] != n {
			t.Errorf("%s: %d series, want %d (every label value from the start, and no other)", name, series[name], n)
		}
	}
	if v := testutil.ToFloat64(m.sessions); v != 0 {
		t.Errorf("sessions %v before any", v)
	}
}
