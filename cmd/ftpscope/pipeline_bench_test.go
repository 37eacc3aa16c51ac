package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
)

// benchCapture synthesizes a small mixed capture (about 30 MB: FTP among
// background traffic, the recipe of `make bench` in small) into a
// temporary directory and returns its path and packet count.
func benchCapture(b *testing.B) (string, int) {
	b.Helper()
	dir := b.TempDir()
	synth := buildSynth(b, dir)
	name := filepath.Join(dir, "mixed.pcap")
	if out, err := exec.Command(synth, "--out", name, "--size", "30MB", "--seed", "1").CombinedOutput(); err != nil {
		b.Fatalf("ftpsynth: %v\n%s", err, out)
	}
	src, err := capture.OpenFiles([]string{name}, capture.FileOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	n := 0
	for {
		if _, err := src.Next(); err != nil {
			break
		}
		n++
	}
	return name, n
}

// BenchmarkPipeline runs the whole command (read, decode, reassemble,
// analyse, JSON report) on a synthesized capture, on one core and with the
// second-core reader; packets/s is the figure to compare with
// capture.BenchmarkRawLoop's.
func BenchmarkPipeline(b *testing.B) {
	name, packets := benchCapture(b)
	fi, err := os.Stat(name)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name string
		args []string
	}{{"one-core", []string{"--single-core"}}, {"two-cores", []string{"--pipe-start-after", "1"}}} {
		b.Run(mode.name, func(b *testing.B) {
			if mode.name == "two-cores" && runtime.GOMAXPROCS(0) < 2 {
				b.Skip("GOMAXPROCS < 2: the second-core reader is off")
			}
			args := append([]string{"-r", name, "-f", "json"}, mode.args...)
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			for range b.N {
				if code := runWith(context.Background(), args, nil, io.Discard, io.Discard); code != exitOK {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(packets)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}

// BenchmarkFile runs the whole command on the capture named by
// FTPSCOPE_BENCH_FILE (bench/run.sh keeps its captures in
// /var/tmp/ftpscope-bench), JSON output (or FTPSCOPE_BENCH_FORMAT's)
// discarded, with FTPSCOPE_BENCH_WORKERS workers when set: the benchmark
// to profile with -cpuprofile.
func BenchmarkFile(b *testing.B) {
	name := os.Getenv("FTPSCOPE_BENCH_FILE")
	if name == "" {
		b.Skip("set FTPSCOPE_BENCH_FILE to a capture")
	}
	fi, err := os.Stat(name)
	if err != nil {
		b.Fatal(err)
	}
	format := os.Getenv("FTPSCOPE_BENCH_FORMAT")
	if format == "" {
		format = "json"
	}
	args := []string{"-r", name, "-f", format}
	if w := os.Getenv("FTPSCOPE_BENCH_WORKERS"); w != "" {
		args = append(args, "--workers", w)
	}
	b.SetBytes(fi.Size())
	for range b.N {
		if code := runWith(context.Background(), args, nil, io.Discard, io.Discard); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
}
