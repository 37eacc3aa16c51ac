package main

// Live capture tests. The unit tests run everywhere. The network tests
// (TestLiveNamespaces, TestLiveReplay) build ftpscope, create their own
// network namespaces and veth pairs, and never touch any other interface.
// They run when the test runs as root with the tools present; set
// FTPSCOPE_LIVE_TEST=1 to make missing prerequisites a failure (CI does),
// FTPSCOPE_LIVE_TEST=0 to skip them.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/craft"
)

var replayOut = flag.String("live.replay-out", "", "TestWriteReplayCapture writes the replay test's capture to this `FILE` (for pcaps/live/soak.sh)")

func TestLiveConfigMapping(t *testing.T) {
	var o options
	fs, _ := newFlagSet(&o)
	args := []string{"-i", "eth1", "-s", "1600", "-p", "-B", "8192", "-w", "out.pcap", "-Z", "nobody", "tcp", "or", "icmp"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := o.validate(fs.Args()); err != nil {
		t.Fatal(err)
	}
	got := liveConfig(o)
	want := capture.LiveConfig{
		Interface: "eth1", SnapLen: 1600, Promiscuous: false,
		BufferSize: 8192 * 1024, Filter: "tcp or icmp", WriteFile: "out.pcap",
	}
	if got != want {
		t.Errorf("liveConfig = %+v\nwant          %+v", got, want)
	}

	// The defaults: promiscuous, 4 MiB, libpcap's default read timeout.
	o = options{}
	fs, _ = newFlagSet(&o)
	if err := fs.Parse([]string{"-i", "lo"}); err != nil {
		t.Fatal(err)
	}
	if err := o.validate(fs.Args()); err != nil {
		t.Fatal(err)
	}
	got = liveConfig(o)
	if !got.Promiscuous || got.BufferSize != 4096*1024 || got.Filter != "" || got.Timeout != 0 || got.SnapLen != 262144 {
		t.Errorf("default liveConfig = %+v", got)
	}
}

func TestLookupAccount(t *testing.T) {
	root, err := lookupAccount("root")
	if err != nil {
		t.Fatalf("lookupAccount(root): %v", err)
	}
	if root.uid != 0 || root.gid != 0 || root.groups[0] != 0 {
		t.Errorf("root = %+v, want uid 0, gid 0, primary group first", root)
	}
	byID, err := lookupAccount("0")
	if err != nil || byID.name != "root" {
		t.Errorf("lookupAccount(\"0\") = %+v, %v; want root", byID, err)
	}
	for _, name := range []string{"ftpscope-no-such-user", "987654"} {
		_, err := lookupAccount(name)
		if err == nil || !strings.Contains(err.Error(), `no user "`+name+`"`) {
			t.Errorf("lookupAccount(%q) error = %v, want one naming the missing user", name, err)
		}
	}
}

func TestDropPrivilegesUnknownUser(t *testing.T) {
	// -Z with a user that does not exist fails before anything is opened.
	_, stderr, code := runTool(t, "-i", "ftpscope-none0", "-Z", "ftpscope-no-such-user")
	if code != exitError || !strings.Contains(stderr, `-Z: no user "ftpscope-no-such-user"`) {
		t.Errorf("status %d, stderr %q; want 1 and a message naming the user", code, stderr)
	}
}

// buildTool compiles ftpscope into a temporary directory.
func buildTool(t *testing.T, env ...string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "ftpscope")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", env, err, out)
	}
	return bin
}

// buildLiveTool compiles ftpscope with libpcap, whatever CGO_ENABLED the
// tests run with. Without a C compiler or libpcap's headers the live test
// is skipped (or fails with FTPSCOPE_LIVE_TEST=1).
func buildLiveTool(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "ftpscope")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		if os.Getenv("FTPSCOPE_LIVE_TEST") == "1" {
			t.Fatalf("go build with cgo: %v\n%s", err, out)
		}
		t.Skipf("ftpscope does not build with cgo and libpcap here (FTPSCOPE_LIVE_TEST=1 makes this a failure): %v\n%s", err, out)
	}
	return bin
}

// runBin runs a built ftpscope with a time limit.
func runBin(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var o, e bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run %s %v: %v", bin, args, err)
	}
	return o.String(), e.String(), code
}

// TestWithoutCgo builds ftpscope as a machine without libpcap would and
// checks that it analyses files and says plainly that live capture is out.
func TestWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	bin := buildTool(t, "CGO_ENABLED=0")
	for _, args := range [][]string{{"-i", "lo"}, {"-D"}} {
		_, stderr, code := runBin(t, bin, args...)
		if code != exitError || !strings.Contains(stderr, "live capture is not in this build (ftpscope was built without cgo/libpcap); reading files works") {
			t.Errorf("ftpscope %v without cgo: status %d, stderr %q", args, code, stderr)
		}
	}
	file := filepath.Join(t.TempDir(), "replay.pcap")
	writeReplayFile(t, file, 6)
	stdout, stderr, code := runBin(t, bin, "-r", file, "--format", "json")
	if code != exitOK {
		t.Fatalf("ftpscope -r without cgo: status %d, stderr %q", code, stderr)
	}
	sessions, _ := liveParse(t, stdout)
	if len(sessions) != 6 {
		t.Errorf("ftpscope -r without cgo found %d sessions, want 6", len(sessions))
	}
}

// ---------------------------------------------------------------- records

// liveRec is a JSON Lines record: a streamed channel, a session or the summary.
type liveRec struct {
	Type     string     `json:"type"`
	Client   string     `json:"client"`
	Server   string     `json:"server"`
	Closed   string     `json:"closed"`
	Channels []liveChan `json:"channels"`
	// Chan holds a streamed channel record's own fields.
	Chan liveChan `json:"-"`
	// summary
	Sessions    uint64              `json:"session_count"`
	ChannelsN   uint64              `json:"channel_count"`
	Verdicts    map[string]uint64   `json:"verdicts"`
	BlockedN    uint64              `json:"blocked"`
	Packets     uint64              `json:"packets"`
	Interrupted bool                `json:"interrupted"`
	Truncated   bool                `json:"truncated"`
	Live        map[string]uint64   `json:"live"`
	Rings       []map[string]uint64 `json:"rings"`
}

// liveChan is a channel as the JSON contract writes it.
type liveChan struct {
	Method    string `json:"method"`
	Mode      string `json:"mode"`
	Announced string `json:"announced"`
	Command   string `json:"command"`
	Verdict   string `json:"verdict"`
	Blocked   bool   `json:"blocked"`
	Reason    string `json:"reason"`
	SYN       int    `json:"syn"`
}

// UnmarshalJSON reads a streamed channel's fields into Chan: its "blocked"
// is a bool where the summary's is a count.
func (r *liveRec) UnmarshalJSON(b []byte) error {
	var head struct {
		Type   string `json:"type"`
		Client string `json:"client"`
		Server string `json:"server"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	if head.Type == "channel" {
		*r = liveRec{Type: head.Type, Client: head.Client, Server: head.Server}
		return json.Unmarshal(b, &r.Chan)
	}
	type plain liveRec
	return json.Unmarshal(b, (*plain)(r))
}

// key identifies a channel for comparing two runs.
func (c liveChan) key(client, server string) string {
	return fmt.Sprintf("%s>%s %s %s %s blocked=%v", client, server, c.Method, c.Announced, c.Verdict, c.Blocked)
}

func liveParse(t *testing.T, out string) (sessions []liveRec, summary *liveRec) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r liveRec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, sc.Text())
		}
		switch r.Type {
		case "session":
			sessions = append(sessions, r)
		case "summary":
			summary = &r
		}
	}
	return sessions, summary
}

func channelKeys(sessions []liveRec) []string {
	var keys []string
	for _, s := range sessions {
		for _, c := range s.Channels {
			keys = append(keys, c.key(s.Client, s.Server))
		}
	}
	slices.Sort(keys)
	return keys
}

// ---------------------------------------------------------------- harness

// liveGate skips the test unless it may build namespaces: root, Linux, the
// tools. With FTPSCOPE_LIVE_TEST=1 a missing prerequisite fails the test.
func liveGate(t *testing.T, tools ...string) {
	t.Helper()
	mode := os.Getenv("FTPSCOPE_LIVE_TEST")
	if mode == "0" {
		t.Skip("FTPSCOPE_LIVE_TEST=0")
	}
	if testing.Short() && mode != "1" {
		t.Skip("network namespace test (-short)")
	}
	var missing []string
	if runtime.GOOS != "linux" {
		missing = append(missing, "linux")
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := lookTool(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	if mode == "1" {
		t.Fatalf("FTPSCOPE_LIVE_TEST=1 but missing: %s", strings.Join(missing, ", "))
	}
	t.Skipf("live namespace test needs %s (FTPSCOPE_LIVE_TEST=1 makes this a failure)", strings.Join(missing, ", "))
}

// lookTool finds a program in PATH or in the sbin directories a non-login
// root shell may lack.
func lookTool(name string) (string, error) {
	if name == "vsftpd" {
		if p := os.Getenv("FTPSCOPE_VSFTPD"); p != "" {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// lab is a set of namespaces and processes owned by one test. Everything is
// undone in Cleanup: processes stopped by PID, namespaces deleted.
type lab struct {
	t      *testing.T
	prefix string
	netns  []string
}

func newLab(t *testing.T, tag string) *lab {
	l := &lab{t: t, prefix: fmt.Sprintf("fsl%d%s", os.Getpid()%100000, tag)}
	t.Cleanup(func() {
		for _, ns := range l.netns {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	return l
}

// ns creates a namespace named after the lab and returns its name.
func (l *lab) ns(name string) string {
	full := l.prefix + "-" + name
	exec.Command("ip", "netns", "del", full).Run() // a leftover of a killed run
	l.run("ip", "netns", "add", full)
	l.netns = append(l.netns, full)
	l.in(full, "ip", "link", "set", "lo", "up")
	// Quiet links: no IPv6 autoconfiguration, router solicitations or DAD.
	l.sysctl(full, "net/ipv6/conf/all/disable_ipv6", "1")
	l.sysctl(full, "net/ipv6/conf/default/disable_ipv6", "1")
	return full
}

// sysctl sets a per-namespace kernel setting through /proc/sys (procps'
// sysctl may not be installed): /proc/sys/net shows the writer's namespace.
func (l *lab) sysctl(ns, key, value string) {
	l.t.Helper()
	l.in(ns, "sh", "-c", "echo "+value+" > /proc/sys/"+key)
}

// run runs a command to completion (bounded) and fails the test on error.
func (l *lab) run(args ...string) string {
	l.t.Helper()
	out, err := l.try(args...)
	if err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (l *lab) try(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	return string(out), err
}

// in runs a command inside namespace ns.
func (l *lab) in(ns string, args ...string) string {
	l.t.Helper()
	return l.run(append([]string{"ip", "netns", "exec", ns}, args...)...)
}

// proc is a background process the test started.
type proc struct {
	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	stderr *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start starts a command in namespace ns. `ip netns exec` execs the
// command, so the PID is the command's own and signals reach it. stdout, if
// not nil, receives the command's standard output.
func (l *lab) start(ns string, stdout io.Writer, args ...string) *proc {
	l.t.Helper()
	p := &proc{done: make(chan struct{}), stderr: &syncBuffer{}}
	p.cmd = exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
	p.cmd.Stdout = stdout
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		l.t.Fatalf("start %v: %v", args, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	l.t.Cleanup(func() { p.stop(5 * time.Second) })
	return p
}

// stop sends SIGTERM, waits up to grace, then SIGKILL; it returns whether
// the process had exited by itself within grace.
func (p *proc) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM) // Go emulates it with TerminateProcess on Windows
	select {
	case <-p.done:
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// wait waits up to d for the process to exit and returns its exit status
// (-1 if it did not exit in time).
func (p *proc) wait(d time.Duration) int {
	select {
	case <-p.done:
	case <-time.After(d):
		return -1
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		return -1
	}
	return 0
}

// waitFor polls cond every 50 ms for at most d.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); ; {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// liveRun is ftpscope running in a namespace with its JSON records
// streamed into recs.
type liveRun struct {
	*proc
	recs chan liveRec
	raw  *syncBuffer // every stdout line, for the logs
}

// veth makes a veth pair a-b inside the namespace ns, both ends up.
func (l *lab) veth(ns, a, b string) {
	l.in(ns, "ip", "link", "add", a, "type", "veth", "peer", "name", b)
	l.in(ns, "ip", "link", "set", a, "up")
	l.in(ns, "ip", "link", "set", b, "up")
}

// startFtpscope starts ftpscope in ns and waits until it listens.
func (l *lab) startFtpscope(ns, bin string, args ...string) *liveRun {
	l.t.Helper()
	pr, pw := io.Pipe()
	r := &liveRun{recs: make(chan liveRec, 1<<16), raw: &syncBuffer{}}
	r.proc = l.start(ns, pw, append([]string{bin}, args...)...)
	go func() {
		<-r.proc.done
		pw.Close()
	}()
	go func() {
		defer close(r.recs)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			fmt.Fprintf(r.raw, "%s\n", sc.Bytes())
			var rec liveRec
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				rec = liveRec{Type: "text", Chan: liveChan{Reason: sc.Text()}}
			}
			r.recs <- rec
		}
		io.Copy(io.Discard, pr)
	}()
	if !waitFor(15*time.Second, func() bool {
		select {
		case <-r.proc.done:
			return true
		default:
		}
		return strings.Contains(r.stderr.String(), "listening on")
	}) || !strings.Contains(r.stderr.String(), "listening on") {
		l.t.Fatalf("ftpscope did not start listening within 15 s; stderr:\n%s", r.stderr.String())
	}
	return r
}

// next returns the next record of a type in types, waiting at most d.
// sessionsThenStop reads up to n session records (each within 20 s of the
// last), then stops ftpscope with SIGINT and returns them with its summary.
func (r *liveRun) sessionsThenStop(t *testing.T, n int) ([]liveRec, liveRec) {
	t.Helper()
	var live []liveRec
	for len(live) < n {
		rec, ok := r.next(t, 20*time.Second, "session")
		if !ok {
			break
		}
		live = append(live, rec)
	}
	r.cmd.Process.Signal(os.Interrupt)
	if code := r.wait(15 * time.Second); code != 0 {
		t.Errorf("ftpscope after SIGINT: status %d: %s", code, r.stderr.String())
	}
	sum, ok := r.next(t, 5*time.Second, "summary")
	if !ok {
		t.Fatalf("no summary after SIGINT")
	}
	return live, sum
}

func (r *liveRun) next(t *testing.T, d time.Duration, types ...string) (liveRec, bool) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case rec, ok := <-r.recs:
			if !ok {
				return liveRec{}, false
			}
			if slices.Contains(types, rec.Type) {
				return rec, true
			}
		case <-timeout:
			return liveRec{}, false
		}
	}
}

// ------------------------------------------------------- namespace test

// Addresses of the namespace test; they exist only inside its namespaces.
const (
	nsClient   = "10.0.1.2"
	nsRouterC  = "10.0.1.1"
	nsRouterS  = "10.0.2.1"
	nsServer   = "10.0.2.2"
	nsDataFile = "/pub/file.bin"
)

// TestLiveNamespaces runs a real vsftpd and real clients across a router
// namespace, ftpscope listening on the router's server-facing veth, and
// checks each streamed verdict as it comes: an active transfer (curl), a
// passive one (lftp), and an active one whose data connection nftables in
// the router drops. Then SIGINT: totals with libpcap's counters, status 0.
// ftpscope runs with -Z nobody and -w; the -w file must give the same
// verdicts when read back.
func TestLiveNamespaces(t *testing.T) {
	liveGate(t, "vsftpd", "curl", "lftp", "nft")
	vsftpd, _ := lookTool("vsftpd")
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("user nobody: %v", err)
	}
	bin := buildLiveTool(t)
	l := newLab(t, "n")
	c, r, s := l.ns("client"), l.ns("router"), l.ns("server")
	l.run("ip", "-n", r, "link", "add", "rc", "type", "veth", "peer", "name", "eth0", "netns", c)
	l.run("ip", "-n", r, "link", "add", "rs", "type", "veth", "peer", "name", "eth0", "netns", s)
	l.in(c, "ip", "addr", "add", nsClient+"/24", "dev", "eth0")
	l.in(r, "ip", "addr", "add", nsRouterC+"/24", "dev", "rc")
	l.in(r, "ip", "addr", "add", nsRouterS+"/24", "dev", "rs")
	l.in(s, "ip", "addr", "add", nsServer+"/24", "dev", "eth0")
	for _, x := range [][2]string{{c, "eth0"}, {r, "rc"}, {r, "rs"}, {s, "eth0"}} {
		l.in(x[0], "ip", "link", "set", x[1], "up")
	}
	l.in(c, "ip", "route", "add", "default", "via", nsRouterC)
	l.in(s, "ip", "route", "add", "default", "via", nsRouterS)
	l.sysctl(r, "net/ipv4/ip_forward", "1")

	// The server: anonymous vsftpd serving one file, active mode from
	// port 20, giving up on a data connection after 5 s.
	work := t.TempDir()
	root, empty := filepath.Join(work, "ftproot"), filepath.Join(work, "empty")
	for _, d := range []string{work, root, filepath.Join(root, "pub"), empty} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o755)
	}
	// vsftpd reaches the root as nobody: every directory above must be searchable.
	for d := filepath.Dir(work); d != "/" && d != "."; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			os.Chmod(d, fi.Mode().Perm()|0o011)
		}
	}
	if err := os.WriteFile(filepath.Join(root, nsDataFile), bytes.Repeat([]byte("ftpscope live test\n"), 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(work, "vsftpd.conf")
	vlog := filepath.Join(work, "vsftpd.log")
	if err := os.WriteFile(conf, []byte(strings.Join([]string{
		"listen=YES", "listen_ipv6=NO", "background=NO",
		"anonymous_enable=YES", "local_enable=NO", "no_anon_password=YES", "write_enable=NO",
		"anon_root=" + root, "ftp_username=daemon", "nopriv_user=nobody", "secure_chroot_dir=" + empty,
		"dirmessage_enable=NO", "seccomp_sandbox=NO", "syslog_enable=NO", "xferlog_enable=YES", "xferlog_std_format=NO",
		"log_ftp_protocol=YES", "vsftpd_log_file=" + vlog, "dual_log_enable=NO",
		"connect_from_port_20=YES", "connect_timeout=5", "accept_timeout=5",
		"data_connection_timeout=30", "idle_session_timeout=60",
		"pasv_enable=YES", "port_enable=YES", "pasv_min_port=50000", "pasv_max_port=50099",
	}, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	server := l.start(s, nil, vsftpd, conf)
	if !waitFor(10*time.Second, func() bool {
		out, _ := l.try("ip", "netns", "exec", s, "ss", "-Hltn", "sport = :21")
		return strings.Contains(out, ":21")
	}) {
		t.Fatalf("vsftpd does not listen within 10 s: %s", server.stderr.String())
	}

	// The -w file is reopened after -Z (SIGHUP, below): its directory is
	// nobody's.
	wdir := filepath.Join(work, "w")
	if err := os.Mkdir(wdir, 0o755); err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	if err := os.Chown(wdir, uid, gid); err != nil {
		t.Fatal(err)
	}
	wfile := filepath.Join(wdir, "live.pcap")
	fs := l.startFtpscope(r, bin, "-i", "rs", "--format", "json", "-w", wfile, "-Z", "nobody",
		"--metrics-listen", "127.0.0.1:0", "tcp", "or", "icmp")
	m := metricsAddr.FindStringSubmatch(fs.stderr.String())
	if m == nil {
		t.Fatalf("no metrics address on stderr: %s", fs.stderr.String())
	}
	// The endpoint listens in the router's namespace: scraped from there.
	scrapeNS := func() map[string]*dto.MetricFamily {
		t.Helper()
		body, err := l.try("ip", "netns", "exec", r, "curl", "-sS", "--max-time", "5", m[1])
		if err != nil {
			t.Fatalf("scrape %s: %v\n%s", m[1], err, body)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(body))
		if err != nil {
			t.Fatalf("scrape: %v\n%s", err, body)
		}
		return fams
	}
	streamed := map[string]float64{} // "mode=...,verdict=..." of the channels streamed so far
	sessionsSeen := 0
	t.Logf("ftpscope: %s", strings.TrimSpace(fs.stderr.String()))
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", fs.cmd.Process.Pid))
	if m := regexp.MustCompile(`(?m)^Uid:\s+(\d+)\s+(\d+)\s+(\d+)`).FindStringSubmatch(string(status)); m == nil ||
		m[1] != nobody.Uid || m[2] != nobody.Uid || m[3] != nobody.Uid {
		t.Errorf("-Z nobody: ftpscope runs with %q, want uid %s everywhere", m, nobody.Uid)
	}

	url := "ftp://" + nsServer + nsDataFile
	steps := []struct {
		name    string
		block   bool
		cmd     []string
		method  []string
		verdict string
		blocked bool
	}{
		{"active (curl PORT)", false,
			[]string{"curl", "-sS", "--max-time", "30", "--ftp-port", "-", "--disable-eprt", "-o", "/dev/null", url},
			[]string{"PORT"}, "ok", false},
		{"passive (lftp PASV)", false,
			[]string{"lftp", "-c", "set net:timeout 10; set net:max-retries 1; set ftp:passive-mode on; set ftp:prefer-epsv no; " +
				"open ftp://" + nsServer + "; get " + nsDataFile + " -o " + filepath.Join(work, "got.bin")},
			[]string{"PASV", "EPSV"}, "ok", false},
		{"active, dropped by nftables (curl PORT)", true,
			[]string{"curl", "-sS", "--max-time", "40", "--ftp-port", "-", "--disable-eprt", "-o", "/dev/null", url},
			[]string{"PORT"}, "dropped", true},
	}
	for _, st := range steps {
		if st.block {
			// The router drops the server's active-mode SYNs (from port 20).
			rules := filepath.Join(work, "drop-active.nft")
			if err := os.WriteFile(rules, []byte("table inet ftpscope_test {\n"+
				"\tchain forward_drop {\n"+
				"\t\ttype filter hook forward priority 0; policy accept;\n"+
				"\t\tip saddr "+nsServer+" tcp sport 20 tcp flags & (syn | ack) == syn drop\n"+
				"\t}\n}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			l.in(r, "nft", "-f", rules)
		}
		began := time.Now()
		out, err := l.try(append([]string{"ip", "netns", "exec", c}, st.cmd...)...)
		ended := time.Now()
		if st.blocked != (err != nil) {
			t.Fatalf("%s: client error %v (want failure %v)\n%s\nvsftpd log:\n%s", st.name, err, st.blocked, out, readFile(vlog))
		}
		rec, ok := fs.next(t, 30*time.Second, "channel")
		if !ok {
			t.Fatalf("%s: no channel streamed within 30 s of the transfer; output so far:\n%s\nstderr:\n%s", st.name, fs.raw.String(), fs.stderr.String())
		}
		t.Logf("%s: transfer took %v; verdict streamed %v after it ended: %s %s %s: %s (%s)",
			st.name, ended.Sub(began).Round(time.Millisecond), time.Since(ended).Round(time.Millisecond),
			rec.Chan.Method, rec.Chan.Announced, rec.Chan.Verdict, rec.Chan.Reason, rec.Client)
		if !slices.Contains(st.method, rec.Chan.Method) || rec.Chan.Verdict != st.verdict || rec.Chan.Blocked != st.blocked || rec.Client == "" {
			t.Errorf("%s: streamed channel %s %s verdict %s blocked %v; want %v verdict %s blocked %v",
				st.name, rec.Chan.Method, rec.Chan.Announced, rec.Chan.Verdict, rec.Chan.Blocked, st.method, st.verdict, st.blocked)
		}
		if st.blocked && rec.Chan.SYN < 1 {
			t.Errorf("%s: %d SYNs seen, want the server's SYNs on the router's server side", st.name, rec.Chan.SYN)
		}
		// The session record follows when the control connection closes.
		sess, ok := fs.next(t, 15*time.Second, "session")
		if !ok {
			t.Fatalf("%s: no session record streamed within 15 s", st.name)
		}
		if sess.Client != rec.Client || len(sess.Channels) != 1 || sess.Channels[0].Verdict != st.verdict {
			t.Errorf("%s: session record %s with %d channels, want the channel's session %s", st.name, sess.Client, len(sess.Channels), rec.Client)
		}
		// Scraped during the run, the metrics count what was streamed.
		streamed["mode="+rec.Chan.Mode+",verdict="+rec.Chan.Verdict]++
		sessionsSeen++
		fams := scrapeNS()
		if v, _ := sample(fams, "ftpscope_sessions_total", ""); v != float64(sessionsSeen) {
			t.Errorf("%s: ftpscope_sessions_total %v, %d session records streamed", st.name, v, sessionsSeen)
		}
		var all float64
		for _, mm := range fams["ftpscope_channels_total"].GetMetric() {
			all += mm.Counter.GetValue()
		}
		if all != float64(sessionsSeen) {
			t.Errorf("%s: ftpscope_channels_total adds up to %v, %d channels streamed", st.name, all, sessionsSeen)
		}
		for k, n := range streamed {
			if v, _ := sample(fams, "ftpscope_channels_total", k); v != n {
				t.Errorf("%s: ftpscope_channels_total{%s} %v, %v streamed", st.name, k, v, n)
			}
		}
		if v, _ := sample(fams, "ftpscope_packets_total", ""); v == 0 {
			t.Errorf("%s: ftpscope_packets_total is 0 after a transfer", st.name)
		}
		if st.name == steps[0].name {
			// logrotate: the -w file is moved away and ftpscope told to
			// reopen it; the rest of the run goes to a new file.
			if err := os.Rename(wfile, wfile+".1"); err != nil {
				t.Fatal(err)
			}
			if err := fs.cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			if !waitFor(5*time.Second, func() bool { _, err := os.Stat(wfile); return err == nil }) {
				t.Fatalf("SIGHUP: no new %s within 5 s; stderr:\n%s", wfile, fs.stderr.String())
			}
		}
	}

	fs.cmd.Process.Signal(os.Interrupt)
	code := fs.wait(15 * time.Second)
	if code != 0 {
		t.Errorf("ftpscope after SIGINT: status %d, want 0; stderr:\n%s", code, fs.stderr.String())
	}
	sum, ok := fs.next(t, 5*time.Second, "summary")
	if !ok {
		t.Fatalf("no summary after SIGINT; output:\n%s", fs.raw.String())
	}
	t.Logf("summary: %d sessions, %d channels, verdicts %v, %d packets, libpcap %v", sum.Sessions, sum.ChannelsN, sum.Verdicts, sum.Packets, sum.Live)
	if sum.Sessions != 3 || sum.Verdicts["ok"] != 2 || sum.Verdicts["dropped"] != 1 || sum.BlockedN != 1 || !sum.Interrupted {
		t.Errorf("summary: sessions %d, verdicts %v, blocked %d, interrupted %v; want 3 sessions, 2 ok, 1 dropped, 1 blocked, interrupted",
			sum.Sessions, sum.Verdicts, sum.BlockedN, sum.Interrupted)
	}
	if sum.Live == nil || sum.Live["received"] < sum.Packets || sum.Packets == 0 {
		t.Errorf("summary: live counters %v for %d packets; want libpcap's received >= packets > 0", sum.Live, sum.Packets)
	}
	if sum.Live["kernel_dropped"] != 0 {
		t.Logf("the kernel dropped %d packets (a loaded machine?)", sum.Live["kernel_dropped"])
	}

	// The -w file holds what was seen: reading it gives the same verdicts.
	live := liveChannelsFrom(fs.raw.String())
	// The file moved away at SIGHUP and the one opened then, read
	// together, hold the whole run.
	stdout, stderr, code := runBin(t, bin, "-r", wfile+".1", "-r", wfile, "--format", "json")
	if code != exitOK {
		t.Fatalf("ftpscope -r %s: status %d: %s", wfile, code, stderr)
	}
	fileSessions, fileSum := liveParse(t, stdout)
	if got := channelKeys(fileSessions); !slices.Equal(got, live) {
		t.Errorf("-w file verdicts differ from the live ones:\nfile: %q\nlive: %q", got, live)
	}
	if fileSum == nil || fileSum.Packets != sum.Packets {
		t.Errorf("-w file has %v packets, live run counted %d", fileSum, sum.Packets)
	}
}

// liveChannelsFrom collects the channel keys of the session records in a
// live run's output.
func liveChannelsFrom(out string) []string {
	var sessions []liveRec
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r liveRec
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Type == "session" {
			sessions = append(sessions, r)
		}
	}
	return channelKeys(sessions)
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

// ---------------------------------------------------------- replay test

// writeReplayCapture writes n FTP sessions (Ethernet, IPv4) that end in
// every verdict a live capture can show: active and passive transfers with
// data, an active connection dropped, a passive one refused with a reset,
// one answered with ICMP admin-prohibited, an EPSV transfer. Sessions
// overlap in time, as on a busy link.
func writeReplayCapture(w io.Writer, n int) (packets int, err error) {
	cw, err := craft.NewWriter(w)
	if err != nil {
		return 0, err
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ms := func(k int) time.Duration { return time.Duration(k) * time.Millisecond }
	for i := 0; i < n; i++ {
		t := t0.Add(ms(20 * i))
		cl := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		sv := netip.AddrFrom4([4]byte{10, 2, 0, byte(1 + i%200)})
		client := netip.AddrPortFrom(cl, uint16(30000+i%20000))
		server := netip.AddrPortFrom(sv, 21)
		c := cw.Dial(t, client, server)
		c.Server(t.Add(ms(2)), "220 ready\r\n")
		c.Client(t.Add(ms(3)), "USER anonymous\r\n")
		c.Server(t.Add(ms(4)), "331 Please specify the password.\r\n")
		c.Client(t.Add(ms(5)), "PASS guest@\r\n")
		c.Server(t.Add(ms(6)), "230 Login successful.\r\n")
		c.Client(t.Add(ms(7)), "TYPE I\r\n")
		c.Server(t.Add(ms(8)), "200 Switching to Binary mode.\r\n")
		at := t.Add(ms(10))
		dataPort := uint16(50000 + i%10000)
		pasv := netip.AddrPortFrom(sv, dataPort)
		active := netip.AddrPortFrom(cl, dataPort)
		h := func(a netip.AddrPort) string {
			b := a.Addr().As4()
			return fmt.Sprintf("%d,%d,%d,%d,%d,%d", b[0], b[1], b[2], b[3], a.Port()>>8, a.Port()&0xff)
		}
		var end time.Time
		switch i % 6 {
		case 0: // active, ok
			c.Client(at, "PORT "+h(active)+"\r\n")
			c.Server(at.Add(ms(1)), "200 PORT command successful.\r\n")
			c.Client(at.Add(ms(2)), "RETR file.bin\r\n")
			d := cw.Dial(at.Add(ms(3)), netip.AddrPortFrom(sv, 20), active)
			c.Server(at.Add(ms(4)), "150 Opening BINARY mode data connection.\r\n")
			e := d.Bulk(at.Add(ms(5)), craft.FromClient, 20000, 50*time.Microsecond)
			d.Close(e)
			c.Server(e.Add(ms(1)), "226 Transfer complete.\r\n")
			end = e.Add(ms(2))
		case 1: // passive, ok
			c.Client(at, "PASV\r\n")
			c.Server(at.Add(ms(1)), "227 Entering Passive Mode ("+h(pasv)+").\r\n")
			c.Client(at.Add(ms(2)), "RETR file.bin\r\n")
			d := cw.Dial(at.Add(ms(3)), netip.AddrPortFrom(cl, 40000+uint16(i%20000)), pasv)
			c.Server(at.Add(ms(4)), "150 Opening BINARY mode data connection.\r\n")
			e := d.Bulk(at.Add(ms(5)), craft.FromServer, 12000, 50*time.Microsecond)
			d.CloseFrom(e, craft.FromServer)
			c.Server(e.Add(ms(1)), "226 Transfer complete.\r\n")
			end = e.Add(ms(2))
		case 2: // active, dropped: three SYNs, then 425
			c.Client(at, "PORT "+h(active)+"\r\n")
			c.Server(at.Add(ms(1)), "200 PORT command successful.\r\n")
			c.Client(at.Add(ms(2)), "RETR file.bin\r\n")
			last := cw.SYNUnanswered(at.Add(ms(3)), netip.AddrPortFrom(sv, 20), active, 3)
			c.Server(last.Add(ms(5)), "425 Failed to establish connection.\r\n")
			end = last.Add(ms(6))
		case 3: // passive, refused with a reset
			c.Client(at, "PASV\r\n")
			c.Server(at.Add(ms(1)), "227 Entering Passive Mode ("+h(pasv)+").\r\n")
			c.Client(at.Add(ms(2)), "LIST\r\n")
			cw.Refused(at.Add(ms(3)), netip.AddrPortFrom(cl, 40000+uint16(i%20000)), pasv)
			c.Server(at.Add(ms(900)), "425 Failed to establish connection.\r\n")
			end = at.Add(ms(901))
		case 4: // passive, ICMP admin-prohibited from the firewall
			c.Client(at, "PASV\r\n")
			c.Server(at.Add(ms(1)), "227 Entering Passive Mode ("+h(pasv)+").\r\n")
			c.Client(at.Add(ms(2)), "RETR file.bin\r\n")
			cw.Unreachable(at.Add(ms(3)), netip.AddrPortFrom(cl, 40000+uint16(i%20000)), pasv,
				netip.MustParseAddr("10.3.0.1"), craft.AdminProhibited(sv))
			c.Server(at.Add(ms(900)), "425 Failed to establish connection.\r\n")
			end = at.Add(ms(901))
		case 5: // EPSV, ok
			c.Client(at, "EPSV\r\n")
			c.Server(at.Add(ms(1)), fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|).\r\n", dataPort))
			c.Client(at.Add(ms(2)), "STOR up.bin\r\n")
			d := cw.Dial(at.Add(ms(3)), netip.AddrPortFrom(cl, 40000+uint16(i%20000)), pasv)
			c.Server(at.Add(ms(4)), "150 Ok to send data.\r\n")
			e := d.Bulk(at.Add(ms(5)), craft.FromClient, 8000, 50*time.Microsecond)
			d.Close(e)
			c.Server(e.Add(ms(1)), "226 Transfer complete.\r\n")
			end = e.Add(ms(2))
		}
		c.Client(end, "QUIT\r\n")
		c.Server(end.Add(ms(1)), "221 Goodbye.\r\n")
		c.Close(end.Add(ms(2)))
	}
	if err := cw.Flush(); err != nil {
		return 0, err
	}
	return cw.Packets(), nil
}

// writeReplayFile writes writeReplayCapture's capture to name.
func writeReplayFile(t testing.TB, name string, n int) int {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	packets, err := writeReplayCapture(bw, n)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	return packets
}

// TestWriteReplayCapture writes the replay capture for pcaps/live/soak.sh
// when -live.replay-out is given.
func TestWriteReplayCapture(t *testing.T) {
	if *replayOut == "" {
		t.Skip("-live.replay-out not given")
	}
	n, _ := strconv.Atoi(os.Getenv("FTPSCOPE_REPLAY_SESSIONS"))
	if n <= 0 {
		n = 3000
	}
	t.Logf("%d packets in %s", writeReplayFile(t, *replayOut, n), *replayOut)
}

// replaySessions is the size of the replay test's capture (about 40
// packets per session).
const replaySessions = 3000

var tcpreplayRate = regexp.MustCompile(`Rated: [\d.]+ Bps, ([\d.]+) Mbps, ([\d.]+) pps`)

// TestLiveReplay replays a capture with tcpreplay at top speed onto one end
// of a veth pair while ftpscope listens on the other, and checks that the
// verdicts equal those from reading the file. It logs the packet rate and
// the kernel's drops. Then it checks the drop warning end to end: ftpscope
// is stopped (SIGSTOP) with a tiny buffer while the capture is replayed
// again, so that the kernel must drop, and the table must say so.
func TestLiveReplay(t *testing.T) {
	liveGate(t, "tcpreplay")
	bin := buildLiveTool(t)
	file := filepath.Join(t.TempDir(), "replay.pcap")
	packets := writeReplayFile(t, file, replaySessions)

	stdout, stderr, code := runBin(t, bin, "-r", file, "--format", "json")
	if code != exitOK {
		t.Fatalf("ftpscope -r: status %d: %s", code, stderr)
	}
	fileSessions, _ := liveParse(t, stdout)
	want := channelKeys(fileSessions)
	if len(fileSessions) != replaySessions || len(want) != replaySessions {
		t.Fatalf("file: %d sessions, %d channels; want %d of each", len(fileSessions), len(want), replaySessions)
	}
	verdicts := map[string]int{}
	for _, s := range fileSessions {
		verdicts[s.Channels[0].Verdict]++
	}
	t.Logf("capture: %d sessions, %d packets; verdicts from the file: %v", replaySessions, packets, verdicts)

	l := newLab(t, "r")
	ns := l.ns("replay")
	l.veth(ns, "ra", "rb")

	replay := func(args ...string) (pps string) {
		t.Helper()
		out := l.in(ns, append([]string{"tcpreplay", "-q", "-i", "ra"}, append(args, file)...)...)
		m := tcpreplayRate.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("tcpreplay output without a rate:\n%s", out)
		}
		return m[2]
	}

	// Top speed; the default buffer first, a larger one if the kernel
	// dropped (verdicts are only comparable without drops).
	compared := false
	for _, buf := range []string{"4096", "262144"} {
		// The copy is written with -C, rotated every 256 KiB as tcpdump
		// names its files: read together they must give the same verdicts.
		wpath := filepath.Join(t.TempDir(), "rot.pcap")
		fs := l.startFtpscope(ns, bin, "-i", "rb", "-B", buf, "--format", "json", "-w", wpath, "-C", "256KiB", "tcp", "or", "icmp")
		pps := replay("--topspeed")
		live, sum := fs.sessionsThenStop(t, replaySessions)
		dropped := sum.Live["kernel_dropped"] + sum.Live["interface_dropped"]
		t.Logf("-B %s KiB: tcpreplay sent %d packets at %s pps; ftpscope read %d, libpcap received %d, kernel dropped %d, interface dropped %d; %d sessions streamed",
			buf, packets, pps, sum.Packets, sum.Live["received"], sum.Live["kernel_dropped"], sum.Live["interface_dropped"], len(live))
		if dropped > 0 {
			if !strings.Contains(fs.stderr.String(), "WARNING") {
				t.Errorf("the kernel dropped %d packets but stderr has no warning:\n%s", dropped, fs.stderr.String())
			}
			continue
		}
		if sum.Packets < uint64(packets) {
			t.Errorf("ftpscope read %d packets without drops, tcpreplay sent %d", sum.Packets, packets)
		}
		if got := channelKeys(live); !slices.Equal(got, want) {
			t.Errorf("live verdicts differ from the file's (%d vs %d channels); first differences: %v",
				len(got), len(want), firstDiff(got, want, 5))
		}
		rotated := []string{"-r", wpath}
		for i := 1; ; i++ {
			name := wpath + strconv.Itoa(i)
			if _, err := os.Stat(name); err != nil {
				break
			}
			if prev, _ := os.Stat(rotated[len(rotated)-1]); prev.Size() > 256<<10+int64(1<<16) {
				t.Errorf("-C 256KiB: %s holds %d bytes", rotated[len(rotated)-1], prev.Size())
			}
			rotated = append(rotated, "-r", name)
		}
		if len(rotated) < 4 {
			t.Errorf("-C 256KiB: %d files for %d packets", len(rotated)/2, packets)
		}
		stdout, stderr, code := runBin(t, bin, append(rotated, "--format", "json")...)
		if code != exitOK {
			t.Fatalf("ftpscope on the -C files: status %d: %s", code, stderr)
		}
		rotSessions, rotSum := liveParse(t, stdout)
		if got := channelKeys(rotSessions); !slices.Equal(got, want) || rotSum == nil || rotSum.Packets != sum.Packets {
			t.Errorf("the %d -C files give %d channels and %v packets; want the file's %d channels and the live %d packets",
				len(rotated)/2, len(got), rotSum, len(want), sum.Packets)
		}
		t.Logf("-C 256KiB: %d files", len(rotated)/2)
		compared = true
		break
	}
	if !compared {
		t.Errorf("the kernel dropped packets even with a 256 MiB buffer (larger than the capture): verdicts not compared")
	}

	// Drops made certain: ftpscope stopped with a tiny buffer while the
	// capture is replayed. The table must report them loudly.
	var out syncBuffer
	l2 := &liveRun{}
	l2.proc = l.start(ns, &out, bin, "-i", "rb", "-B", "64", "tcp", "or", "icmp")
	if !waitFor(15*time.Second, func() bool { return strings.Contains(l2.stderr.String(), "listening on") }) {
		t.Fatalf("ftpscope did not start: %s", l2.stderr.String())
	}
	if err := pause(l2.cmd.Process); err != nil {
		t.Fatal(err)
	}
	replay("--topspeed")
	if err := resume(l2.cmd.Process); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	l2.cmd.Process.Signal(os.Interrupt)
	if code := l2.wait(15 * time.Second); code != 0 {
		t.Errorf("ftpscope after SIGINT: status %d: %s", code, l2.stderr.String())
	}
	table := out.String()
	m := regexp.MustCompile(`libpcap: (\d+) received, (\d+) dropped by the kernel, (\d+) dropped by the interface`).FindStringSubmatch(table)
	if m == nil {
		t.Fatalf("table without libpcap's counters:\n%s", tail(table, 15))
	}
	t.Logf("stopped reader, -B 64: %s", m[0])
	if m[2] == "0" {
		t.Errorf("no kernel drops although the reader was stopped during the replay:\n%s", tail(table, 15))
	} else {
		if !strings.Contains(table, "WARNING: packets were dropped before ftpscope saw them") {
			t.Errorf("kernel drops without the table's WARNING:\n%s", tail(table, 15))
		}
		if !strings.Contains(l2.stderr.String(), "WARNING: "+m[2]+" packets dropped by the kernel") {
			t.Errorf("kernel drops without a warning on stderr:\n%s", l2.stderr.String())
		}
	}
}

func firstDiff(a, b []string, n int) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, "live only: "+x)
		}
		if len(out) >= n {
			return out
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			out = append(out, "file only: "+x)
		}
		if len(out) >= 2*n {
			break
		}
	}
	return out
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestLiveInterfaceGone deletes the interface under a running capture:
// ftpscope must stop by itself, report what it saw and the cause, and exit 1.
func TestLiveInterfaceGone(t *testing.T) {
	liveGate(t)
	bin := buildLiveTool(t)
	l := newLab(t, "g")
	ns := l.ns("gone")
	l.veth(ns, "ga", "gb")
	fs := l.startFtpscope(ns, bin, "-i", "gb", "--format", "json")
	l.in(ns, "ip", "link", "del", "ga") // takes its peer gb with it
	code := fs.wait(15 * time.Second)
	if code != exitError {
		t.Fatalf("ftpscope after its interface vanished: status %d, want 1; stderr:\n%s", code, fs.stderr.String())
	}
	if !strings.Contains(fs.stderr.String(), "capture gb damaged after packet") || !strings.Contains(fs.stderr.String(), "live read") {
		t.Errorf("stderr does not name the interface and the read error:\n%s", fs.stderr.String())
	}
	if _, ok := fs.next(t, 5*time.Second, "summary"); !ok {
		t.Errorf("no summary after the interface vanished; output:\n%s", fs.raw.String())
	}
	t.Logf("stderr: %s", strings.TrimSpace(fs.stderr.String()))
}
