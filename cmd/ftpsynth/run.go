package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ftpscope/ftpscope/craft"
)

const usage = `Usage: ftpsynth --out FILE [options]

Writes a deterministic, realistic capture of FTP sessions of every mode and
outcome (active PORT/EPRT, passive PASV/EPSV, IPv4 and IPv6, LIST/NLST/RETR/STOR,
data connections dropped, refused, rejected by ICMP or never seen, NAT, refused
PORT, unused announcements, AUTH TLS) among background HTTPS, HTTP and DNS
traffic, and a truth file saying what happened to every data channel.
The same flags and seed always give the same bytes.

Options:
`

// run is the whole command; main only wires it to the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("ftpsynth", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	out := fs.String("out", "", "capture file to write (\"-\": standard output)")
	truthPath := fs.String("truth", "", "JSON Lines truth file to write (one object per session and per data channel, then a summary)")
	sizeStr := fs.String("size", "", "target capture size, e.g. 1GiB, 500MB (KB/MB/GB: powers of 1000; K/M/G, KiB/MiB/GiB: of 1024)")
	sessions := fs.Int("sessions", 0, "number of FTP sessions (default 100 without --size, 200000 with --small-packets)")
	seed := fs.Uint64("seed", 1, "random seed")
	loss := fs.Float64("loss", 0, "fraction of packets left out of the capture, all traffic included (e.g. 0.001)")
	reorder := fs.Float64("reorder", 0, "fraction of packets held back to be overtaken by the next packet in the same direction of their connection (if it follows within 5 ms, before any answer)")
	vlans := fs.UintSlice("vlan", nil, "VLAN tags, outermost first (two or more: QinQ)")
	small := fs.Bool("small-packets", false, "small-packet-heavy traffic: many short FTP sessions with tiny transfers, little background")
	concurrency := fs.Int("concurrency", 256, "conversations open at once")
	ipv6Share := fs.Float64("ipv6-share", 0.2, "fraction of sessions over IPv6")
	ftpShare := fs.Float64("ftp-share", 0, "fraction of capture bytes belonging to FTP (default 0.1, 0.9 with --small-packets)")
	tlsShare := fs.Float64("tls-share", 0.05, "fraction of FTP sessions that switch to TLS (AUTH TLS)")
	maxXfer := fs.String("max-transfer", "1MiB", "largest RETR/STOR transfer")
	pcapng := fs.Bool("pcapng", false, "write pcapng instead of pcap")
	gz := fs.Bool("gzip", false, "gzip the capture")
	startStr := fs.String("start", "2024-01-15T09:00:00Z", "capture time of the first packet (RFC 3339)")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "ftpsynth: %v\n", err)
		return 2
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ftpsynth: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return usageErr("--out is required")
	}
	cfg := config{
		seed: *seed, loss: *loss, reorder: *reorder, small: *small, concurrency: *concurrency,
		ipv6Share: *ipv6Share, ftpShare: *ftpShare, tlsShare: *tlsShare, sessions: *sessions,
	}
	var err error
	if *sizeStr != "" {
		if cfg.size, err = parseSize(*sizeStr); err != nil {
			return usageErr("--size: %v", err)
		}
	}
	mt, err := parseSize(*maxXfer)
	if err != nil || mt < 100 || mt > 1<<40 {
		return usageErr("--max-transfer: want a size from 100 bytes to 1TiB, got %q", *maxXfer)
	}
	cfg.maxTransfer = int(mt)
	if cfg.start, err = time.Parse(time.RFC3339Nano, *startStr); err != nil {
		return usageErr("--start: %v", err)
	}
	for name, v := range map[string]float64{"loss": cfg.loss, "reorder": cfg.reorder, "ipv6-share": cfg.ipv6Share,
		"ftp-share": cfg.ftpShare, "tls-share": cfg.tlsShare} {
		if !(v >= 0 && v <= 1) {
			return usageErr("--%s: want a fraction from 0 to 1, got %v", name, v)
		}
	}
	if cfg.loss == 1 {
		return usageErr("--loss: 1 would leave the capture empty")
	}
	if cfg.sessions < 0 || cfg.concurrency < 1 {
		return usageErr("--sessions must be >= 0 and --concurrency >= 1")
	}
	for _, v := range *vlans {
		if v > 4095 {
			return usageErr("--vlan: %d is not a VLAN id (0-4095)", v)
		}
		cfg.vlans = append(cfg.vlans, uint16(v))
	}
	if len(cfg.vlans) > 4 {
		return usageErr("--vlan: at most 4 tags")
	}
	if cfg.ftpShare == 0 {
		cfg.ftpShare = 0.1
		if cfg.small {
			cfg.ftpShare = 0.9
		}
	}
	if cfg.sessions == 0 && cfg.size == 0 {
		cfg.sessions = 100
		if cfg.small {
			cfg.sessions = 200000
		}
	}

	began := time.Now() // wall clock: only to report the generation speed
	sum, err := generate(ctx, cfg, *out, *truthPath, *pcapng, *gz, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "ftpsynth: %v\n", err)
		return 1
	}
	secs := time.Since(began).Seconds()
	fmt.Fprintf(stderr, "ftpsynth: %d packets, %d bytes (%d FTP sessions, %d channels, %.1f%% FTP control packets) in %.2fs, %.0f MB/s\n",
		sum.Packets, sum.Bytes, sum.Sessions, sum.Channels,
		100*float64(sum.ControlPackets)/math.Max(1, float64(sum.Packets)), secs, float64(sum.Bytes)/1e6/math.Max(secs, 1e-9))
	return 0
}

// generate writes the capture (and the truth file when truthPath is set).
func generate(ctx context.Context, cfg config, out, truthPath string, ng, gz bool, stdout io.Writer) (summaryTruth, error) {
	var dst io.Writer = stdout
	var file *os.File
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return summaryTruth{}, err
		}
		file, dst = f, f
		defer f.Close()
	}
	var zw *gzip.Writer
	if gz {
		zw, _ = gzip.NewWriterLevel(dst, gzip.BestSpeed)
		dst = zw
	}
	bw := bufio.NewWriterSize(dst, 4<<20)

	var truth *truthWriter
	if truthPath != "" {
		tf, err := os.Create(truthPath)
		if err != nil {
			return summaryTruth{}, err
		}
		defer tf.Close()
		truth = newTruthWriter(tf)
	}

	opts := []craft.Option{craft.WithVLAN(cfg.vlans...)}
	if ng {
		opts = append(opts, craft.WithPcapNG(), craft.WithInterfaceName("synth0"))
	}
	w, err := craft.NewWriter(bw, opts...)
	if err != nil {
		return summaryTruth{}, fmt.Errorf("%s: %w", out, err)
	}
	g := newGen(cfg, w, truth)
	if err := g.run(ctx); err != nil {
		return summaryTruth{}, fmt.Errorf("%s: %w", out, err)
	}
	sum := g.summary()
	truth.write(sum)
	if err := w.Flush(); err != nil {
		return sum, fmt.Errorf("%s: %w", out, err)
	}
	if err := bw.Flush(); err != nil {
		return sum, fmt.Errorf("%s: %w", out, err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return sum, fmt.Errorf("%s: %w", out, err)
		}
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return sum, fmt.Errorf("%s: %w", out, err)
		}
	}
	if err := truth.flush(); err != nil {
		return sum, fmt.Errorf("%s: %w", truthPath, err)
	}
	return sum, nil
}

// parseSize reads sizes like 1GiB, 1.5G, 500MB, 4096.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
	}
	num, mult := strings.TrimSpace(s), 1.0
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v >= 0) || math.IsInf(v, 0) || v*mult > 1<<62 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(v * mult), nil
}
