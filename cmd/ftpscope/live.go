package main

import (
	"fmt"
	"io"
	"strings"

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
	src, err := capture.OpenLive(liveConfig(o))
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
	fmt.Fprintf(&b, "ftpscope: listening on %s", o.iface)
	if o.filter != "" {
		fmt.Fprintf(&b, ", filter %q", o.filter)
	}
	if o.writeFile != "" {
		fmt.Fprintf(&b, ", writing packets to %s", o.writeFile)
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
