// Package metrics serves what ftpscope reports as Prometheus metrics. It is
// fed downward: the report chain hands it each session and channel as they
// are written (a Writer beside the others), and the engine hands it its
// totals as the run goes (Progress); it asks nothing of them. Every label
// takes its values from a closed list (verdicts, modes, notice kinds, table
// names): no address, user or path becomes a label, so a scrape stays the
// same size however much traffic is watched.
package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/report"
	"github.com/ftpscope/ftpscope/version"
)

// Options tunes what the Writer counts.
type Options struct {
	// ChannelsAsJudged counts each channel when Writer.Channel is told of
	// it, for outputs that print channels as they are judged (live table
	// and JSON); otherwise channels are counted with the session that
	// lists them, when it is written. Either way a channel is counted when
	// it is printed, so the counters agree with the output.
	ChannelsAsJudged bool
	// NoticesAsRaised counts each notice when Writer.Notice is told of it,
	// for outputs that print notices as they are raised (live table and
	// JSON); otherwise with the session that holds them.
	NoticesAsRaised bool
	// Build is the build-info metric's labels (version.Get() when zero).
	Build version.Info
}

// Metrics holds a private registry (no global state: two runs in one
// process, as the tests make, never share a counter) and the counters.
type Metrics struct {
	o        Options
	reg      *prometheus.Registry
	sessions prometheus.Counter
	channels *prometheus.CounterVec
	blocked  prometheus.Counter
	notices  *prometheus.CounterVec
	// byChannel and byNotice are the counters of every known label value,
	// looked up once: a label lookup hashes the values each time.
	byChannel map[channelKey]prometheus.Counter
	byNotice  map[analysis.NoticeKind]prometheus.Counter

	// mu guards last, the engine's latest totals.
	mu   sync.Mutex
	last report.Summary
}

// New returns the metrics of one run, every counter at zero and every label
// combination there from the start (a counter that appears only when first
// incremented hides its first increase from rate()).
func New(o Options) *Metrics {
	if o.Build == (version.Info{}) {
		o.Build = version.Get()
	}
	m := &Metrics{o: o, reg: prometheus.NewRegistry()}
	m.sessions = prometheus.NewCounter(prometheus.CounterOpts{Name: "ftpscope_sessions_total",
		Help: "FTP control sessions reported."})
	m.channels = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ftpscope_channels_total",
		Help: "Data channels reported, by verdict and mode (active: the server connects; passive: the client does)."},
		[]string{"verdict", "mode"})
	m.blocked = prometheus.NewCounter(prometheus.CounterOpts{Name: "ftpscope_blocked_total",
		Help: "Data channels reported as blocked (by a firewall, NAT or the path)."})
	m.notices = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ftpscope_notices_total",
		Help: "Notices reported (brute force, bounce, SITE EXEC, ...), by kind."}, []string{"kind"})
	m.byChannel = map[channelKey]prometheus.Counter{}
	for _, v := range analysis.Verdicts {
		for _, mode := range modes {
			m.channels.WithLabelValues(v.String(), mode)
		}
		for _, mode := range []analysis.Mode{0, analysis.Active, analysis.Passive} {
			m.byChannel[channelKey{v, mode}] = m.channels.WithLabelValues(v.String(), modeLabel(mode))
		}
	}
	m.byNotice = map[analysis.NoticeKind]prometheus.Counter{}
	for _, k := range analysis.NoticeKinds() {
		m.byNotice[k] = m.notices.WithLabelValues(k.String())
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{Name: "ftpscope_build_info",
		Help:        "Always 1: the running build's version, VCS revision and Go version as labels.",
		ConstLabels: prometheus.Labels{"version": o.Build.Version, "revision": o.Build.Revision, "goversion": o.Build.GoVersion}})
	build.Set(1)
	m.reg.MustRegister(m.sessions, m.channels, m.blocked, m.notices, build, totals{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// channelKey names a channel counter.
type channelKey struct {
	v analysis.Verdict
	m analysis.Mode
}

// modes are the values of the mode label: a channel's Mode as words, and
// "unknown" for a mode the analysis could not tell.
var modes = []string{analysis.Active.String(), analysis.Passive.String(), "unknown"}

// modeLabel keeps the mode label to modes whatever Mode.String says.
func modeLabel(m analysis.Mode) string {
	if s := m.String(); slices.Contains(modes, s) {
		return s
	}
	return "unknown"
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the private registry, for a test or a caller that gathers
// without HTTP.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Progress takes the engine's totals so far (pipeline.Config.Progress): the
// packets, drops, evictions and open sessions a scrape reports.
func (m *Metrics) Progress(sum report.Summary) {
	m.mu.Lock()
	m.last = sum
	m.mu.Unlock()
}

func (m *Metrics) summary() report.Summary {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

// Writer returns the report.Writer that counts what is written. Put it in
// the chain after the writers that print (report.Tee(out, m.Writer())), so
// that a record is counted once it is printed.
func (m *Metrics) Writer() report.Writer { return writer{m} }

type writer struct{ m *Metrics }

func (w writer) Session(s *analysis.Session) error {
	m := w.m
	m.sessions.Inc()
	if !m.o.ChannelsAsJudged {
		for _, c := range s.Channels {
			m.channel(c)
		}
	}
	if s.Audit != nil && !m.o.NoticesAsRaised {
		for i := range s.Audit.Notices {
			k := s.Audit.Notices[i].Kind
			if c, ok := m.byNotice[k]; ok {
				c.Inc()
			} else {
				m.notices.WithLabelValues(k.String()).Inc()
			}
		}
	}
	return nil
}

func (w writer) Channel(_ *analysis.Session, c *analysis.Channel) error {
	if w.m.o.ChannelsAsJudged {
		w.m.channel(c)
	}
	return nil
}

func (w writer) Notice(_ *analysis.Session, n *analysis.Notice) error {
	if w.m.o.NoticesAsRaised {
		w.m.notices.WithLabelValues(n.Kind.String()).Inc()
	}
	return nil
}

func (m *Metrics) channel(c *analysis.Channel) {
	if ctr, ok := m.byChannel[channelKey{c.Verdict, c.Mode()}]; ok {
		ctr.Inc()
	} else {
		m.channels.WithLabelValues(c.Verdict.String(), modeLabel(c.Mode())).Inc()
	}
	if c.Blocked {
		m.blocked.Inc()
	}
}

func (writer) Flush() error { return nil }

// Close takes the run's final totals.
func (w writer) Close(sum report.Summary) error {
	w.m.Progress(sum)
	return nil
}

// totals collects the engine's counters from the latest Progress at each
// scrape: they are counted where the packets are read, not in the records.
type totals struct{ m *Metrics }

var (
	descPackets = prometheus.NewDesc("ftpscope_packets_total",
		"Packets read from the capture (files or interface).", nil, nil)
	descKernelDrops = prometheus.NewDesc("ftpscope_kernel_drops_total",
		"Packets the kernel dropped before ftpscope read them (live capture; libpcap's ps_drop).", nil, nil)
	descInterfaceDrops = prometheus.NewDesc("ftpscope_interface_drops_total",
		"Packets the interface or its driver dropped (live capture; libpcap's ps_ifdrop).", nil, nil)
	descRingDrops = prometheus.NewDesc("ftpscope_ring_kernel_drops_total",
		"Packets the kernel dropped from one AF_PACKET ring before ftpscope read them, by ring (live capture with a ring per worker; their sum is ftpscope_kernel_drops_total).", []string{"ring"}, nil)
	descEvictions = prometheus.NewDesc("ftpscope_evictions_total",
		"Entries a bounded table let go to stay within its limit, by table (the summary's evictions).", []string{"table"}, nil)
	descOpen = prometheus.NewDesc("ftpscope_open_sessions",
		"FTP control sessions held (open, or ended and awaiting their channels' verdicts).", nil, nil)
)

func (totals) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPackets, descKernelDrops, descInterfaceDrops, descRingDrops, descEvictions, descOpen} {
		ch <- d
	}
}

func (t totals) Collect(ch chan<- prometheus.Metric) {
	sum := t.m.summary()
	c := sum.Capture
	ch <- prometheus.MustNewConstMetric(descPackets, prometheus.CounterValue, float64(c.Packets))
	ch <- prometheus.MustNewConstMetric(descKernelDrops, prometheus.CounterValue, float64(c.KernelDropped))
	ch <- prometheus.MustNewConstMetric(descInterfaceDrops, prometheus.CounterValue, float64(c.InterfaceDropped))
	// One series per ring: as many as the workers, at most
	// capture.MaxAFPacketRings, so the label stays bounded.
	for i, r := range c.Rings {
		ch <- prometheus.MustNewConstMetric(descRingDrops, prometheus.CounterValue, float64(r.KernelDropped), strconv.Itoa(i))
	}
	for table, n := range report.Evictions(sum) {
		ch <- prometheus.MustNewConstMetric(descEvictions, prometheus.CounterValue, float64(n), table)
	}
	ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(sum.OpenSessions))
}
