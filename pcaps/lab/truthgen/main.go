// Command truthgen writes the truth of one lab scenario (truth.json) from what the
// lab configured (spec.json: which runs, which router fate for new data connections)
// and from the logs of the software that took part: the FTP clients' debug output
// (lftp -d, curl -v), the servers' protocol logs (vsftpd log_ftp_protocol, proftpd
// ExtendedLog) and the router's conntrack events. It never reads a capture: the
// captures are what ftpscope is tested on, so they cannot also be the answer key.
//
// Usage: truthgen SCENARIO_DIR (reads SCENARIO_DIR/spec.json, writes SCENARIO_DIR/truth.json).
//
// truthgen -syslog SOCKET FILE is the lab's syslog for pure-ftpd, which logs only
// through syslog(3): it receives datagrams on SOCKET (bound over /dev/log in the
// server's private mount namespace) and appends each to FILE as one line, until
// it is stopped.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "-syslog" {
		if err := syslogSink(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintf(os.Stderr, "truthgen -syslog: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: truthgen SCENARIO_DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "truthgen: %v\n", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	spec, err := readSpec(filepath.Join(dir, "spec.json"))
	if err != nil {
		return err
	}
	truth, err := build(dir, spec)
	if err != nil {
		return fmt.Errorf("%s: %w", spec.Scenario, err)
	}
	out, err := json.MarshalIndent(truth, "", "  ")
	if err != nil {
		return fmt.Errorf("encode truth: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "truth.json"), append(out, '\n'), 0o644)
}

func readSpec(path string) (Spec, error) {
	var s Spec
	b, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("read spec: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("parse %s: %w", path, err)
	}
	if s.Scenario == "" || len(s.Runs) == 0 {
		return s, errors.New(path + ": no scenario name or no runs")
	}
	return s, nil
}
