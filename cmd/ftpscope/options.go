package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/correlate"
	"github.com/ftpscope/ftpscope/flowid"
	"github.com/ftpscope/ftpscope/pipeline"
	"github.com/ftpscope/ftpscope/reassembly"
	"github.com/ftpscope/ftpscope/report"
)

// Exit statuses.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitBlocked = 3
)

// options holds every flag; it is passed by value, never kept globally.
type options struct {
	read       []string
	iface      string
	listIfaces bool
	snaplen    int
	noPromisc  bool
	bufferKiB  int
	writeFile  string
	// writeLimit is -C in bytes (0: one -w file).
	writeLimit int64
	// rotateEvery is -G (0: no time rotation).
	rotateEvery   time.Duration
	dropUser      string
	filter        string
	controlPorts  []string
	noDetect      bool
	dataTimeout   time.Duration
	showPasswords bool
	format        string
	failOnBlocked bool
	verbose       bool
	singleCore    bool
	// captureMethod is --capture-method: auto, afpacket or pcap.
	captureMethod string
	// workers is --workers as given (0: chosen by the run, see
	// engineWorkers).
	workers int
	// pipeStartAfter: see --pipe-start-after (hidden).
	pipeStartAfter uint64
	views          []string
	ladder         bool
	// html is --html: the file the HTML report goes to ("" for none).
	html string
	// zeekLogs is --zeek-logs (a directory, "" for none); zeekJSON --zeek-json.
	zeekLogs string
	zeekJSON bool
	// hashes, mime, extractDir and extractMax are --hash, --mime,
	// --extract and --extract-max-bytes (issue 13).
	hashes     []string
	mime       bool
	extractDir string
	extractMax int64
	// bruteThreshold, bruteWindow and sprayUsers tune the brute-force
	// notices (--bruteforce-threshold, --bruteforce-window, --spray-users).
	bruteThreshold, sprayUsers, distributedSources int
	bruteWindow                                    time.Duration

	maxStreams, maxSessions, maxChannels, maxPending, maxAttempts, maxLine, maxPages int
	maxCandidates, maxChannelAttempts, maxReplyLines, maxNotes, maxExchanges         int
	// maxMemory is --max-memory in bytes (0: auto, from the table limits).
	maxMemory int64
	// maxHeldPayload is --max-held-payload in bytes.
	maxHeldPayload int64

	// metricsListen is --metrics-listen ("" for none), metricsLinger
	// --metrics-linger.
	metricsListen string
	metricsLinger time.Duration
	// showVersion is --version; helpMan is the hidden --help-man (make man).
	showVersion, helpMan bool
	// shardArg is --shard as given, shard as parsed.
	shardArg string
	shard    flowid.Shard

	ports []uint16

	// points is --point NAME=FILE in the order given; pointMaxSessions and
	// pointMaxBytes bound each point's store (--point-max-sessions,
	// --point-max-bytes).
	points           []string
	pointMaxSessions int
	pointMaxBytes    int64
}

// twoCoresByDefault says whether capture files are read ahead on a second
// core (capture.ReadAhead) unless --single-core is given. Where two cores
// turn out no faster than one, set it to false: --single-core then
// defaults to true, and --single-core=false asks for the second core.
const twoCoresByDefault = true

type section struct {
	title string
	fs    *pflag.FlagSet
}

func newFlagSet(o *options) (*pflag.FlagSet, []section) {
	in := pflag.NewFlagSet("input", pflag.ContinueOnError)
	in.StringArrayVarP(&o.read, "read", "r", nil, "read packets from a pcap or pcapng `FILE` (gzip allowed; - is standard input); repeat to merge several files into one timeline")
	in.BoolVar(&o.singleCore, "single-core", !twoCoresByDefault, "read, decode and analyse on one core (by default capture files are read on a second core while one is free; the report is the same)")
	in.IntVar(&o.workers, "workers", 0, "analyse on `N` workers, each following its share of the control connections (by address pair, as --shard splits them) and all of them looking for the data connections they expect; the report is the same as one worker's, in the same order (0: one per core for live capture; capture files use one per core when at least half of their first 65536 packets are FTP control, and one otherwise, as does standard input; --single-core: one)")
	// Hidden: tests start the second-core reader on small captures with it.
	in.Uint64Var(&o.pipeStartAfter, "pipe-start-after", capture.DefaultReadAheadStart, "bytes of frames read before the second-core reader starts")
	_ = in.MarkHidden("pipe-start-after")
	pts := pflag.NewFlagSet("points", pflag.ContinueOnError)
	pts.StringArrayVar(&o.points, "point", nil, "read capture point `NAME=FILE` (repeat, in path order, client side first: --point client=c.pcap --point server=s.pcap; the same NAME again adds that point's rotated files): sessions are joined across the points, through NAT and FTP helpers, and each data connection is located where it was lost")
	pts.IntVar(&o.pointMaxSessions, "point-max-sessions", correlate.DefaultMaxSessions, "sessions each --point holds until the join (the oldest past it are reported unjoined)")
	o.pointMaxBytes = correlate.DefaultMaxBytes
	pts.Var(byteSize{&o.pointMaxBytes}, "point-max-bytes", "estimated bytes of sessions each --point holds until the join (`SIZE`)")

	live := pflag.NewFlagSet("live", pflag.ContinueOnError)
	live.StringVarP(&o.iface, "interface", "i", "", "capture live from `IFACE` through libpcap (needs root or CAP_NET_RAW); a BPF filter may follow the options")
	live.BoolVarP(&o.listIfaces, "list-interfaces", "D", false, "list the interfaces live capture can use, and exit")
	live.IntVarP(&o.snaplen, "snaplen", "s", 262144, "bytes captured per packet (control lines must fit: keep it >= 1500)")
	live.BoolVarP(&o.noPromisc, "no-promiscuous-mode", "p", false, "do not put the interface into promiscuous mode")
	live.IntVarP(&o.bufferKiB, "buffer-size", "B", 4096, "kernel capture buffer in `KiB`")
	live.StringVarP(&o.writeFile, "write", "w", "", "also write the captured packets to pcap `FILE`")
	live.VarP(fileSize{&o.writeLimit}, "file-size", "C", "rotate the -w file as tcpdump -C does: before a packet goes to a file larger than `SIZE` (millions of bytes, as tcpdump counts, or a size such as 64MiB), the next file is begun, named FILE1, FILE2, ...")
	live.VarP(rotateSeconds{&o.rotateEvery}, "rotate-seconds", "G", "rotate the -w file as tcpdump -G does: every `SECS` seconds of capture time a new file is begun, named by the -w FILE as a strftime pattern (it must hold a conversion, e.g. -w ftp-%Y%m%d-%H%M%S.pcap); with -C, the numbers 1, 2, ... follow the name and start again each period")
	live.StringVar(&o.captureMethod, "capture-method", "auto", "how packets are taken off `IFACE`: afpacket (Linux: one TPACKET_V3 ring per worker, in a fanout group that sends all the packets between two hosts to one ring), pcap (libpcap, one capture for every worker), or auto: afpacket with more than one worker and no -w, where the system has it, pcap otherwise")
	live.StringVarP(&o.dropUser, "relinquish-privileges", "Z", "", "drop root privileges to `USER` right after opening the capture")

	an := pflag.NewFlagSet("analysis", pflag.ContinueOnError)
	an.StringSliceVar(&o.controlPorts, "control-ports", []string{"21", "990"}, "TCP `PORTS` that carry FTP control (comma-separated; 990 is implicit FTPS, reported as TLS); FTP on other ports is still recognised from the conversation")
	an.StringVar(&o.shardArg, "shard", "", "follow only shard `K/N` of the control connections (K from 0 to N-1, as JOB_COMPLETION_INDEX counts): those whose client and server addresses hash to K; N runs with K = 0..N-1 over the same input report every session exactly once between them")
	an.BoolVar(&o.noDetect, "no-detect", false, "do not recognise FTP on ports outside --control-ports")
	an.DurationVar(&o.dataTimeout, "data-timeout", 30*time.Second, "capture time a data connection may take to show its outcome; SYNs unanswered this long are dropped")
	an.BoolVar(&o.showPasswords, "show-passwords", false, "show PASS arguments (redacted by default)")
	an.IntVar(&o.bruteThreshold, "bruteforce-threshold", analysis.DefaultBruteforceThreshold, "failed logins from one source within --bruteforce-window that raise a bruteforce notice (Zeek's default)")
	an.DurationVar(&o.bruteWindow, "bruteforce-window", analysis.DefaultBruteforceWindow, "capture time over which failed logins add up for the bruteforce and password-spray notices")
	an.IntVar(&o.sprayUsers, "spray-users", analysis.DefaultSprayUsers, "distinct users failing from one source within --bruteforce-window that raise a password-spray notice")
	an.IntVar(&o.distributedSources, "distributed-sources", analysis.DefaultDistributedSources, "distinct sources failing as one user within --bruteforce-window that raise a distributed-bruteforce notice")

	lim := pflag.NewFlagSet("limits", pflag.ContinueOnError)
	lim.IntVar(&o.maxStreams, "max-streams", 100000, "control connections reassembled at once (least recently active evicted)")
	lim.IntVar(&o.maxSessions, "max-sessions", 100000, "sessions held at once")
	lim.IntVar(&o.maxChannels, "max-channels", 1000, "channels listed per session (more are judged and counted, not listed)")
	lim.IntVar(&o.maxPending, "max-pending", 20, "commands awaiting a reply per session")
	lim.IntVar(&o.maxAttempts, "max-attempts", 65536, "unmatched connection attempts remembered")
	lim.IntVar(&o.maxLine, "max-line", 4096, "bytes per control line (longer lines are cut)")
	lim.IntVar(&o.maxPages, "max-pages", 65536, "out-of-order reassembly pages (about 2 KiB each) held at once")
	lim.IntVar(&o.maxCandidates, "max-candidates", 65536, "connections on other ports watched for an FTP greeting at once (oldest forgotten)")
	lim.IntVar(&o.maxChannelAttempts, "max-channel-attempts", 64, "connection attempts followed per channel (more are counted, not followed: scans, SYN floods)")
	lim.IntVar(&o.maxReplyLines, "max-reply-lines", 1000, "lines of one multi-line reply (more are dropped)")
	lim.IntVar(&o.maxNotes, "max-notes", 50, "notes kept per session (more are counted)")
	lim.IntVar(&o.maxExchanges, "max-exchanges", 200, "commands and replies kept per session for the ladder view, and commands in each session's command log (JSON command_log; more are counted)")
	o.maxHeldPayload = analysis.DefaultMaxHeldPayload
	lim.Var(byteSize{&o.maxHeldPayload}, "max-held-payload", "out-of-order bytes held per data connection to put a transfer's bytes in order for --hash, --mime and --extract (`SIZE`; past it the transfer gets no digest)")
	lim.Var(byteSize{&o.maxMemory}, "max-memory", "memory for the run (`SIZE`: 512MiB, 2GiB): the Go soft memory limit; what is left after 32 MiB and 384 B per --max-streams is shared by the sessions and channels, whose oldest judged channels, then least recently active sessions, go when it runs short (auto: 32 MiB + 1.375 KiB per --max-streams or --max-sessions, 166 MiB at the defaults, and 0.25 KiB more per session with the login and command log of --format json, --html or --zeek-logs)")

	out := pflag.NewFlagSet("output", pflag.ContinueOnError)
	out.StringVarP(&o.format, "format", "f", "table", "report `FORMAT`: table, json (JSON Lines) or csv")
	out.BoolVarP(&o.verbose, "verbose", "v", false, "explain every channel, not only the failed ones")
	out.BoolVar(&o.failOnBlocked, "fail-on-blocked", false, "exit with status 3 when any data connection was blocked")
	out.StringSliceVar(&o.views, "report", []string{"sessions"}, "`VIEWS` to report, comma-separated: sessions (per session and channel), firewall (per server: ports, modes, TLS and suggested nftables/iptables rules and server settings; table or json)")
	out.StringVar(&o.zeekLogs, "zeek-logs", "", "also write Zeek's logs (ftp.log, files.log, notice.log, in Zeek's TSV layout) into `DIR`, made if missing")
	out.BoolVar(&o.zeekJSON, "zeek-json", false, "write the --zeek-logs in Zeek's JSON form (one object per line) instead of TSV")
	out.BoolVar(&o.ladder, "ladder", false, "draw each session as a sequence diagram (client and server lifelines, control exchanges, data connections and their fate; table format)")
	out.StringVar(&o.html, "html", "", "also write the report as one self-contained HTML `FILE` (summary, timeline, filterable sessions with their ladders, firewall view; opens offline, fetches nothing), alongside any --format")

	files := pflag.NewFlagSet("files", pflag.ContinueOnError)
	files.StringSliceVar(&o.hashes, "hash", nil, "digest each transfer's bytes with `ALGS` (comma-separated: md5, sha1, sha256); given only for transfers whose every byte is in the capture")
	files.BoolVar(&o.mime, "mime", false, "tell each transfer's MIME type from its first bytes (on with --hash or --extract)")
	files.StringVar(&o.extractDir, "extract", "", "write each transfer's bytes to a file under `DIR` (created; names made safe, never outside DIR; DIR/manifest.jsonl lists them)")
	files.Var(byteSize{&o.extractMax}, "extract-max-bytes", "stop writing files under --extract once `SIZE` bytes are written in all (auto: no cap)")

	mon := pflag.NewFlagSet("monitoring", pflag.ContinueOnError)
	mon.StringVar(&o.metricsListen, "metrics-listen", "", "serve Prometheus metrics at http://`ADDR`/metrics (host:port; :9464 for every address) while the run lasts")
	mon.DurationVar(&o.metricsLinger, "metrics-linger", 0, "keep serving --metrics-listen for `DURATION` after the input ends, so that a last scrape sees a short run's totals (a signal ends it sooner)")
	mon.BoolVar(&o.showVersion, "version", false, "print the version (module version, VCS revision, Go version) and exit")
	// Hidden: `make man` writes the manual page with it.
	mon.BoolVar(&o.helpMan, "help-man", false, "write the manual page ftpscope(1) in roff and exit")
	_ = mon.MarkHidden("help-man")

	secs := []section{{"Input", in}, {"Capture points", pts}, {"Live capture", live}, {"Analysis", an}, {"Files", files}, {"Limits", lim}, {"Output", out}, {"Monitoring", mon}}
	all := pflag.NewFlagSet("ftpscope", pflag.ContinueOnError)
	all.SortFlags = false
	for _, s := range secs {
		s.fs.SortFlags = false
		all.AddFlagSet(s.fs)
	}
	return all, secs
}

func printUsage(w io.Writer, secs []section) {
	fmt.Fprint(w, `Usage: ftpscope -r FILE [-r FILE ...] [options]
       ftpscope -i IFACE [options] [BPF filter]
       ftpscope --point NAME=FILE --point NAME=FILE [...] [options]
       ftpscope -D

ftpscope reads packet captures and explains FTP: every control connection,
every data connection announced by PORT, EPRT, LPRT, PASV, EPSV or LPSV,
whether it really happened, and why not when a firewall or NAT broke it.

`)
	for _, s := range secs {
		fmt.Fprintf(w, "%s:\n%s\n", s.title, s.fs.FlagUsagesWrapped(100))
	}
	fmt.Fprint(w, `Exit status: 0 success, 1 error (including a damaged capture, reported
after everything read before the damage), 2 usage, 3 blocked data connections
with --fail-on-blocked.
`)
}

// validate checks what pflag cannot.
func (o *options) validate(rest []string) error {
	if err := o.validateFiles(); err != nil {
		return err
	}
	if o.writeLimit != 0 && o.writeFile == "" {
		return fmt.Errorf("-C rotates the -w file: give -w FILE")
	}
	if o.rotateEvery != 0 {
		if o.writeFile == "" {
			return fmt.Errorf("-G rotates the -w file: give -w FILE")
		}
		if _, err := capture.RotatedName(o.writeFile, time.Time{}); err != nil {
			return fmt.Errorf("-G: %w", err)
		}
	}
	switch o.captureMethod {
	case "auto", "pcap":
	case "afpacket":
		if o.writeFile != "" {
			return fmt.Errorf("--capture-method afpacket does not write -w files: use pcap (or auto, which does with -w)")
		}
	default:
		return fmt.Errorf("--capture-method: %q is not auto, afpacket or pcap", o.captureMethod)
	}
	if o.workers < 0 {
		return fmt.Errorf("--workers must be 0 (chosen by the run) or more")
	}
	if o.workers > 1 && o.extractDir != "" && o.iface == "" {
		return fmt.Errorf("--workers with --extract: the files' names (name.1 when name is taken) and the --extract-max-bytes cap would depend on which worker ends its transfer first; leave --workers out (capture files then use one)")
	}
	if o.workers > 1 && len(o.points) > 0 {
		return fmt.Errorf("--workers splits one run of the engine: it does not go with --point")
	}
	if o.shardArg != "" {
		sh, err := flowid.ParseShard(o.shardArg)
		if err != nil {
			return fmt.Errorf("--shard: %w", err)
		}
		o.shard = sh
		if sh.Split() && len(o.points) > 0 {
			// Each point's run would keep its own share: a session kept
			// at one point and left at the other would never be joined.
			return fmt.Errorf("--shard splits one run of the engine: it does not go with --point")
		}
	}
	if o.metricsLinger < 0 {
		return fmt.Errorf("--metrics-linger must not be negative")
	}
	if o.metricsLinger > 0 && o.metricsListen == "" {
		return fmt.Errorf("--metrics-linger goes with --metrics-listen ADDR")
	}
	if len(o.points) > 0 {
		if err := o.validatePoints(); err != nil {
			return err
		}
	}
	switch {
	case o.listIfaces:
		return nil
	case len(o.points) > 0 && (o.iface != "" || len(o.read) > 0):
		return fmt.Errorf("--point reads each capture point's files itself: give the files as --point NAME=FILE, not with -r or -i")
	case len(o.points) > 0:
		if len(rest) > 0 {
			return fmt.Errorf("unexpected argument %q", rest[0])
		}
	case o.iface != "" && len(o.read) > 0:
		return fmt.Errorf("-r and -i exclude each other: read files or capture live")
	case o.iface != "":
		o.filter = strings.Join(rest, " ")
		if o.snaplen < 64 {
			return fmt.Errorf("--snaplen must be at least 64")
		}
	case len(rest) > 0:
		return fmt.Errorf("unexpected argument %q (a BPF filter goes with -i)", rest[0])
	case len(o.read) == 0 && len(o.points) == 0:
		return fmt.Errorf("nothing to read: give a capture file with -r FILE, or an interface with -i IFACE")
	case o.writeFile != "" || o.dropUser != "" || o.writeLimit != 0 || o.rotateEvery != 0:
		return fmt.Errorf("-w, -C, -G and -Z go with live capture (-i)")
	}
	seen := map[uint16]bool{}
	for _, s := range o.controlPorts {
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("--control-ports: %q is not a TCP port (1-65535)", part)
			}
			if !seen[uint16(n)] {
				seen[uint16(n)] = true
				o.ports = append(o.ports, uint16(n))
			}
		}
	}
	if len(o.ports) == 0 {
		return fmt.Errorf("--control-ports: no port given")
	}
	ok := false
	for _, f := range report.Formats {
		if string(f) == o.format {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("--format: unknown format %q (want table, json or csv)", o.format)
	}
	if err := o.validateViews(); err != nil {
		return err
	}
	if o.zeekJSON && o.zeekLogs == "" {
		return fmt.Errorf("--zeek-json goes with --zeek-logs DIR")
	}
	if o.bruteThreshold < 1 || o.sprayUsers < 2 || o.distributedSources < 2 || o.bruteWindow <= 0 {
		return fmt.Errorf("--bruteforce-threshold must be at least 1, --spray-users and --distributed-sources at least 2 and --bruteforce-window positive")
	}
	if o.dataTimeout <= 0 {
		return fmt.Errorf("--data-timeout must be positive")
	}
	for _, l := range []struct {
		name string
		v    int
	}{{"--max-streams", o.maxStreams}, {"--max-sessions", o.maxSessions}, {"--max-channels", o.maxChannels},
		{"--max-pending", o.maxPending}, {"--max-attempts", o.maxAttempts}, {"--max-line", o.maxLine}, {"--max-pages", o.maxPages},
		{"--max-candidates", o.maxCandidates}, {"--max-channel-attempts", o.maxChannelAttempts}, {"--max-reply-lines", o.maxReplyLines},
		{"--max-notes", o.maxNotes}, {"--max-exchanges", o.maxExchanges}} {
		if l.v < 1 {
			return fmt.Errorf("%s must be at least 1", l.name)
		}
	}
	return o.validateMemory()
}

// engineConfig is the engine's configuration from the flags.
func (o *options) engineConfig() pipeline.Config {
	return pipeline.Config{Reassembly: o.reassemblyConfig(), Analysis: o.analysisConfig(), Shard: o.shard, Workers: o.engineWorkers()}
}

func (o *options) analysisConfig() analysis.Config {
	return analysis.Config{
		ShowPasswords: o.showPasswords,
		Stream:        o.iface != "",
		DataTimeout:   o.dataTimeout,
		MaxSessions:   o.maxSessions,
		MaxChannels:   o.maxChannels,
		MaxPending:    o.maxPending,
		MaxAttempts:   o.maxAttempts,

		MaxChannelAttempts: o.maxChannelAttempts,
		MaxReplyLines:      o.maxReplyLines,
		MaxNotes:           o.maxNotes,
		MaxExchanges:       o.maxExchanges,
		NoTranscript:       !o.ladder && o.html == "",
		Audit:              o.audits(),
		MaxMemory:          o.analysisBudget(),
		MaxHeldPayload:     int(o.maxHeldPayload),

		BruteforceThreshold: o.bruteThreshold,
		BruteforceWindow:    o.bruteWindow,
		SprayUsers:          o.sprayUsers,
		DistributedSources:  o.distributedSources,
	}
}

func (o *options) reassemblyConfig() reassembly.Config {
	per := o.maxPages / 16
	if per < 16 {
		per = 16
	}
	return reassembly.Config{
		ControlPorts:    o.ports,
		NoDetect:        o.noDetect,
		MaxLineLen:      o.maxLine,
		MaxStreams:      o.maxStreams,
		MaxPagesTotal:   o.maxPages,
		MaxPagesPerConn: per,
		MaxCandidates:   o.maxCandidates,
	}
}

// validateViews checks --report and --ladder against the format.
func (o *options) validateViews() error {
	for _, v := range o.views {
		switch v {
		case "sessions":
		case "firewall":
			if o.format == "csv" {
				return fmt.Errorf("--report firewall: use --format table or json")
			}
		default:
			return fmt.Errorf("--report: unknown view %q (want sessions or firewall)", v)
		}
	}
	if o.ladder && o.format != "table" {
		return fmt.Errorf("--ladder draws on the terminal: use it with --format table")
	}
	return nil
}

// wants reports whether view was asked for with --report.
func (o *options) wants(view string) bool {
	for _, v := range o.views {
		if v == view {
			return true
		}
	}
	return false
}

// maxAutoWorkers caps the workers chosen without --workers: every worker
// looks at every data packet, so their gain flattens as they grow, and
// they were measured on two cores only.
const maxAutoWorkers = 8

// engineWorkers is the number of analysis workers the run uses (0: the
// capture files choose, see fileWorkers): --workers when given; one with
// --single-core or one core; one per core for live capture.
func (o *options) engineWorkers() int {
	switch {
	case o.workers > 0:
		return o.workers
	case o.singleCore || runtime.GOMAXPROCS(0) < 2:
		return 1
	case o.iface != "":
		return min(runtime.GOMAXPROCS(0), maxAutoWorkers)
	}
	return 0
}
