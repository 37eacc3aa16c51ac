package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ftpscope/ftpscope/capture"
)

// TestCountsMatchCapture: the baseline reads and decodes every frame of the
// corpus's Ethernet pcap files, as many packets and TCP segments as
// ftpscope's own reader finds.
func TestCountsMatchCapture(t *testing.T) {
	files, _ := filepath.Glob("../../pcaps/handmade/*.pcap")
	if len(files) < 5 {
		t.Fatalf("only %d captures in ../../pcaps/handmade", len(files))
	}
	checked := 0
	for _, name := range files {
		src, err := capture.OpenFiles([]string{name}, capture.FileOptions{})
		if err != nil {
			continue
		}
		for {
			if _, err := src.Next(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		want := src.Stats()
		src.Close()
		if want.Truncated() || want.Other > 0 {
			continue // the baseline knows Ethernet, VLAN, IP and TCP only
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := newLoop().run(f)
		f.Close()
		if err != nil {
			continue // not an Ethernet pcap (pcapgo refuses what capture reads)
		}
		if got.packets != want.Packets || got.tcp != want.TCP {
			t.Errorf("%s: %d packets, %d TCP; capture reads %d, %d", name, got.packets, got.tcp, want.Packets, want.TCP)
		}
		checked++
	}
	if checked < 5 {
		t.Errorf("only %d captures compared", checked)
	}
}
