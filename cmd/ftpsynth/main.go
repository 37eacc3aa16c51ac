// Command ftpsynth writes deterministic, realistic packet captures of FTP
// sessions of every mode and outcome, among background traffic, together
// with a truth file of what it generated: the input for ftpscope's
// benchmarks and for tests that compare ftpscope's verdicts with the truth.
//
//	ftpsynth --out mixed.pcap --truth mixed.truth.jsonl --size 1GiB
//	ftpsynth --out loss.pcap --truth loss.truth.jsonl --size 1GiB --loss 0.001
//	ftpsynth --out small.pcap --truth small.truth.jsonl --small-packets
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
