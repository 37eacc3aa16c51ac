package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ftpscope/ftpscope/capture"
)

// liveConfig maps the live-capture flags to the capture package's settings.
func liveConfig(o options) capture.LiveConfig {
	return capture.LiveConfig{
		Interface:   o.iface,
		SnapLen:     o.snaplen,
		Promiscuous: !o.noPromisc,
		BufferSize:  o.bufferKiB * 1024,
		Filter:      o.filter,
		WriteFile:   o.writeFile,
		WriteLimit:  o.writeLimit,
		RotateEvery: o.rotateEvery,
		// Timeout stays at capture.DefaultLiveTimeout: it bounds how late
		// a time-driven verdict is printed and how soon a signal is seen.
	}
}

// openLive opens the live capture described by the options. With -Z it then
// drops root privileges, as tcpdump does: after the capture handle and the
// -w file are open, before a single packet is parsed. The account is looked
// up first, so that a misspelt user fails before anything is opened.
func openLive(o options, stderr io.Writer) (capture.Source, error) {
	var acct *account
	if o.dropUser != "" {
		a, err := lookupAccount(o.dropUser)
		if err != nil {
			return nil, fmt.Errorf("-Z: %w", err)
		}
		acct = &a
	}
	src, method, err := openCapture(o)
	if err != nil {
		return nil, err
	}
	if acct != nil {
		if err := dropPrivileges(*acct); err != nil {
			src.Close()
			return nil, fmt.Errorf("-Z %s: %w", o.dropUser, err)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ftpscope: listening on %s (%s)", o.iface, method)
	if o.filter != "" {
		fmt.Fprintf(&b, ", filter %q", o.filter)
	}
	if o.writeFile != "" {
		fmt.Fprintf(&b, ", writing packets to %s", o.writeFile)
		if o.rotateEvery > 0 {
			fmt.Fprintf(&b, " (a new file every %v, named by the time it begins)", o.rotateEvery)
		}
		if o.writeLimit > 0 {
			fmt.Fprintf(&b, " (a new file, %s1, %s2, ..., past %d bytes)", o.writeFile, o.writeFile, o.writeLimit)
		}
	}
	if acct != nil {
		fmt.Fprintf(&b, ", running as %s", acct.name)
	}
	b.WriteString("; Ctrl-C prints the totals\n")
	io.WriteString(stderr, b.String())
	return src, nil
}

// listInterfaces prints the interfaces live capture can use (-D), one per
// line, numbered as tcpdump -D numbers them.
func listInterfaces(stdout, stderr io.Writer) int {
	ifs, err := capture.ListInterfaces()
	if err != nil {
		fmt.Fprintf(stderr, "ftpscope: %v\n", err)
		return exitError
	}
	if len(ifs) == 0 {
		fmt.Fprintln(stderr, "ftpscope: libpcap found no interface to capture on (root or CAP_NET_RAW may be needed)")
		return exitError
	}
	for i, ifc := range ifs {
		fmt.Fprintf(stdout, "%d. %s [%s]", i+1, ifc.Name, ifc.Flags)
		if ifc.Description != "" {
			fmt.Fprintf(stdout, " (%s)", ifc.Description)
		}
		for _, a := range ifc.Addresses {
			fmt.Fprintf(stdout, " %s", a)
		}
		fmt.Fprintln(stdout)
	}
	return exitOK
}

// rotateSeconds is -G's pflag.Value: whole seconds, as tcpdump takes them,
// or a Go duration (90s, 1h).
type rotateSeconds struct{ v *time.Duration }

func (r rotateSeconds) String() string {
	if r.v == nil || *r.v == 0 {
		return ""
	}
	return strconv.FormatInt(int64(*r.v/time.Second), 10)
}

func (r rotateSeconds) Set(s string) error {
	d, err := time.ParseDuration(s)
	if n, nerr := strconv.ParseInt(s, 10, 64); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d < time.Second {
		return fmt.Errorf("%q: give whole seconds (3600) or a duration (1h), at least 1s", s)
	}
	*r.v = d
	return nil
}

func (r rotateSeconds) Type() string { return "secs" }

// fileSize is -C's pflag.Value: tcpdump's unit, millions of bytes, for a
// bare number (-C 100 rotates at 100 000 000 bytes, as tcpdump does), or a
// size with its unit (-C 64MiB).
type fileSize struct{ v *int64 }

func (f fileSize) String() string {
	if f.v == nil || *f.v == 0 {
		return "0"
	}
	return sizeText(*f.v)
}

func (f fileSize) Set(s string) error {
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n <= 0 || n > (int64(1)<<62)/1000000 {
			return fmt.Errorf("%q: give a positive number of millions of bytes (tcpdump's -C), or a size such as 64MiB", s)
		}
		*f.v = n * 1000000
		return nil
	}
	return byteSize{f.v}.Set(s)
}

func (f fileSize) Type() string { return "size" }

// openCapture opens the interface as --capture-method says, and names the
// way it did for the listening line. Auto takes AF_PACKET rings, one per
// worker, when there are several workers and no -w file (libpcap writes
// it), and falls back to libpcap when the system cannot give rings (not
// Linux, no cgo, not an Ethernet device); a capture asked for by name
// fails instead.
func openCapture(o options) (capture.Source, string, error) {
	cfg := liveConfig(o)
	workers := o.engineWorkers()
	method := o.captureMethod
	if method == "auto" {
		method = "pcap"
		if workers > 1 && o.writeFile == "" {
			method = "afpacket"
		}
	}
	if method == "afpacket" {
		rings := min(max(workers, 1), capture.MaxAFPacketRings)
		srcs, err := capture.OpenAFPacket(cfg, rings)
		switch {
		case err == nil && len(srcs) == 1:
			return srcs[0], "AF_PACKET, one ring", nil
		case err == nil:
			return capture.MergeRings(srcs, cfg.Timeout), fmt.Sprintf("AF_PACKET, %d rings in a fanout group", len(srcs)), nil
		case o.captureMethod == "afpacket":
			return nil, "", err
		}
	}
	src, err := capture.OpenLive(cfg)
	return src, "libpcap", err
}
