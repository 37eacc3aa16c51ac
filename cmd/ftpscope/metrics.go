package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/ftpscope/ftpscope/metrics"
	"github.com/ftpscope/ftpscope/report"
)

// metricsServer serves --metrics-listen's /metrics for the run.
type metricsServer struct {
	m   *metrics.Metrics
	srv *http.Server
	ln  net.Listener
}

// startMetrics listens on o.metricsListen (before any privilege is dropped,
// so a port below 1024 may be given) and serves the run's metrics there.
// It says where on stderr: with port 0 the kernel picks the port.
func startMetrics(o options, stderr io.Writer) (*metricsServer, error) {
	ln, err := net.Listen("tcp", o.metricsListen)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	// A channel is printed as it is judged by the live table and JSON
	// outputs; CSV and files print it with its session.
	live := o.iface != "" && o.format != string(report.CSV)
	m := metrics.New(metrics.Options{ChannelsAsJudged: live, NoticesAsRaised: live})
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	fmt.Fprintf(stderr, "ftpscope: serving metrics on http://%s/metrics\n", ln.Addr())
	return &metricsServer{m: m, srv: srv, ln: ln}, nil
}

// stop ends the endpoint, first serving it for --metrics-linger after the
// run (a last scrape of a short run sees its totals) unless ctx ends sooner.
func (s *metricsServer) stop(ctx context.Context, linger time.Duration) {
	if linger > 0 {
		t := time.NewTimer(linger)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	if err := s.srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		_ = err // nothing is left to report it to once the run has ended
	}
}
