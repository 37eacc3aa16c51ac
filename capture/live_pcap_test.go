//go:build cgo

package capture

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needCapture skips unless the test may open live captures. Only the
// loopback interface is used, with a filter on a port the test owns.
func needCapture(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live capture needs root (CAP_NET_RAW)")
	}
}

// openLo opens a capture on lo for traffic on port only.
func openLo(t *testing.T, port uint16, write string) Source {
	t.Helper()
	src, err := OpenLive(LiveConfig{
		Interface: "lo", SnapLen: 65535, BufferSize: 1 << 20,
		Filter:  "tcp port " + itoa(uint64(port)),
		Timeout: 50 * time.Millisecond, WriteFile: write,
	})
	if err != nil {
		t.Fatalf("OpenLive: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// loopbackConversation accepts one connection on 127.0.0.1, reads until
// EOF, and returns the listening port and a function that dials, sends msg
// and closes.
func loopbackConversation(t *testing.T, msg string) (uint16, func()) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, c)
		c.Close()
	}()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	return port, func() {
		c, err := net.DialTimeout("tcp4", ln.Addr().String(), 2*time.Second)
		if err != nil {
			t.Errorf("dial: %v", err)
			return
		}
		c.Write([]byte(msg))
		c.Close()
	}
}

func TestOpenLiveLoopback(t *testing.T) {
	needCapture(t)
	out := filepath.Join(t.TempDir(), "live.pcap")
	port, talk := loopbackConversation(t, "USER anonymous\r\n")
	src := openLo(t, port, out)
	if !src.Stats().Live {
		t.Fatal("Stats().Live is false for a live source")
	}
	talk()

	server := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	var sawSYN, sawSYNACK, sawData, sawFIN bool
	var timeouts int
	deadline := time.Now().Add(5 * time.Second)
	for !(sawSYN && sawSYNACK && sawData && sawFIN) && time.Now().Before(deadline) {
		p, err := src.Next()
		if errors.Is(err, ErrTimeout) {
			timeouts++
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if p.Kind != KindTCP {
			t.Fatalf("packet %d: kind %v, want tcp (the filter passes TCP only)", p.Num, p.Kind)
		}
		if p.File != "lo" {
			t.Errorf("packet %d: File %q, want lo", p.Num, p.File)
		}
		switch {
		case p.Dst == server && p.Flags == SYN:
			sawSYN = true
		case p.Src == server && p.Flags == SYN|ACK:
			sawSYNACK = true
		case p.Dst == server && string(p.Payload) == "USER anonymous\r\n":
			sawData = true
		case p.Dst == server && p.Flags.Has(FIN):
			sawFIN = true
		}
		if p.Time.IsZero() || time.Since(p.Time) > time.Minute || time.Until(p.Time) > time.Minute {
			t.Errorf("packet %d: timestamp %v is not near the wall clock", p.Num, p.Time)
		}
	}
	if !(sawSYN && sawSYNACK && sawData && sawFIN) {
		t.Fatalf("within 5 s: SYN %v, SYN-ACK %v, data %v, FIN %v (timeouts %d)", sawSYN, sawSYNACK, sawData, sawFIN, timeouts)
	}

	// The -w file is flushed on an idle read, so it can be read while the
	// capture is still running.
	for i := 0; i < 100; i++ {
		if _, err := src.Next(); errors.Is(err, ErrTimeout) {
			break
		}
	}
	st := src.Stats()
	if st.Received < st.Packets || st.Packets < 4 || st.TCP != st.Packets {
		t.Errorf("stats: received %d, packets %d, tcp %d; want received >= packets >= 4, all TCP", st.Received, st.Packets, st.TCP)
	}
	if st.KernelDropped != 0 {
		t.Logf("kernel dropped %d packets on lo", st.KernelDropped)
	}
	during := countPackets(t, out)
	if during != st.Packets {
		t.Errorf("-w file has %d packets before Close, want %d (not flushed on idle?)", during, st.Packets)
	}

	if err := src.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if p, err := src.Next(); p != nil || err != io.EOF {
		t.Fatalf("Next after Close = %v, %v; want nil, io.EOF", p, err)
	}
	if after := src.Stats(); after.Received != st.Received && after.Received < st.Received {
		t.Errorf("Stats after Close lost libpcap's counters: %d < %d", after.Received, st.Received)
	}
	if n := countPackets(t, out); n != st.Packets {
		t.Errorf("-w file has %d packets after Close, want %d", n, st.Packets)
	}
}

// countPackets reads a capture file with the file reader and checks that it
// is intact.
func countPackets(t *testing.T, name string) uint64 {
	t.Helper()
	f, err := OpenFiles([]string{name}, FileOptions{})
	if err != nil {
		t.Fatalf("read -w file: %v", err)
	}
	defer f.Close()
	for {
		_, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read -w file: %v", err)
		}
	}
	st := f.Stats()
	if st.Truncated() {
		t.Fatalf("-w file damaged: %v", st.Damage)
	}
	return st.Packets
}

func TestOpenLiveTimeout(t *testing.T) {
	needCapture(t)
	// No traffic goes to port 9 on lo's documentation address.
	src, err := OpenLive(LiveConfig{Interface: "lo", Filter: "host 192.0.2.9", Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("OpenLive: %v", err)
	}
	defer src.Close()
	start := time.Now()
	p, err := src.Next()
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Next on an idle filter = %v, %v; want ErrTimeout", p, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Next blocked %v with a 20ms timeout", d)
	}
}

func TestOpenLiveErrors(t *testing.T) {
	needCapture(t)
	for _, c := range []struct {
		name string
		cfg  LiveConfig
		want []string
	}{
		{"bad filter", LiveConfig{Interface: "lo", Filter: "tcp prot 21"}, []string{`"tcp prot 21"`, "lo"}},
		{"no such device", LiveConfig{Interface: "ftpscope-none0"}, []string{"ftpscope-none0"}},
		{"no interface", LiveConfig{}, []string{"no interface"}},
		{"unwritable -w", LiveConfig{Interface: "lo", WriteFile: filepath.Join(t.TempDir(), "no", "such", "dir.pcap")}, []string{"dir.pcap"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, err := OpenLive(c.cfg)
			if err == nil {
				src.Close()
				t.Fatal("OpenLive succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
}

func TestListInterfaces(t *testing.T) {
	needCapture(t)
	ifs, err := ListInterfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifc := range ifs {
		if ifc.Name != "lo" {
			continue
		}
		if ifc.Flags&IfLoopback == 0 {
			t.Errorf("lo flags %v lack loopback", ifc.Flags)
		}
		want := netip.MustParsePrefix("127.0.0.1/8")
		for _, a := range ifc.Addresses {
			if a == want {
				return
			}
		}
		t.Fatalf("lo addresses %v lack %v", ifc.Addresses, want)
	}
	t.Fatalf("lo not among %d interfaces", len(ifs))
}
