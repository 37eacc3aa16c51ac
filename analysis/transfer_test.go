package analysis

import (
	"net/netip"
	"testing"

	"github.com/ftpscope/ftpscope/analysis/ftp"
	"github.com/ftpscope/ftpscope/capture"
)

// seg sends one data segment with captured payload: n bytes on the wire,
// the first got of them in the capture (a snap length), at offset off from
// the first byte (the SYN is at sequence number 0).
func (h *harness) dataSeg(sec float64, src, dst string, f capture.TCPFlags, off uint32, n, got int) {
	p := &capture.Packet{Kind: capture.KindTCP, Time: h.at(sec), Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst),
		Flags: f, PayloadLen: n, Payload: make([]byte, got), Seq: 1 + off}
	h.a.Packet(p)
	h.a.Advance(p.Time)
}

// handshake opens a data connection from -> to with ISN 0 both ways.
func (h *harness) handshake(sec float64, from, to string) {
	h.dataSeg(sec, from, to, capture.SYN, ^uint32(0), 0, 0)
	h.dataSeg(sec+0.001, to, from, capture.SYN|capture.ACK, ^uint32(0), 0, 0)
}

func TestTransferLedger(t *testing.T) {
	const (
		cl = "10.0.0.1:40000"
		sv = "10.0.0.2:21"
		dc = "10.0.0.1:50000"
		ds = "10.0.0.2:30000"
	)
	type step func(h *harness)
	pasv := func(h *harness, sec float64, cmd string) {
		h.cmd(sec, "PASV")
		h.rep(sec, "227 Entering Passive Mode (10,0,0,2,117,48).")
		h.handshake(sec+0.01, dc, ds)
		h.cmd(sec+0.02, cmd)
	}
	cases := []struct {
		name   string
		run    step
		want   Transfer
		result Result
		cause  TransferCause
	}{
		{"resumed sized download", func(h *harness) {
			h.cmd(1, "PWD")
			h.rep(1, `257 "/home/u" is the current directory`)
			h.cmd(2, "CWD sub")
			h.rep(2, "250 ok")
			h.cmd(2.1, "CWD ../sub/./deeper/..")
			h.rep(2.1, "250 ok")
			h.cmd(2.2, "CWD /nope")
			h.rep(2.2, "550 no such directory")
			h.cmd(3, "TYPE I")
			h.rep(3, "200 Switching to Binary mode.")
			h.cmd(3.5, "SIZE f.bin")
			h.rep(3.5, "213 1000")
			h.cmd(4, "REST 100")
			h.rep(4, "350 Restart position accepted (100).")
			pasv(h, 5, "RETR f.bin")
			h.rep(5.03, "150 Opening BINARY mode data connection for f.bin (1000 bytes).")
			h.dataSeg(5.04, ds, dc, capture.ACK, 0, 500, 500)
			h.dataSeg(5.05, ds, dc, capture.ACK, 500, 400, 400)
			h.dataSeg(5.06, ds, dc, capture.FIN|capture.ACK, 900, 0, 0)
			h.rep(5.07, "226 Transfer complete.")
		}, Transfer{Direction: ftp.Download, Path: "/home/u/sub/f.bin", Type: "I", Mode: "S", Structure: "F", Rest: true, RestOffset: 100,
			Bytes: 900, ExpectedBytes: 1000, ExpectedFrom: SizeOpening, Reply: 226}, Complete, CauseCompleteSized},
		{"size reply", func(h *harness) {
			h.cmd(1, "TYPE I")
			h.rep(1, "200 ok")
			h.cmd(1.5, "SIZE /d/x")
			h.rep(1.5, "213 700")
			pasv(h, 2, "RETR /d/./x")
			h.rep(2.03, "150 Here it comes.")
			h.dataSeg(2.04, ds, dc, capture.ACK, 0, 700, 700)
			h.rep(2.07, "226 ok")
		}, Transfer{Direction: ftp.Download, Path: "/d/x", Type: "I", Mode: "S", Structure: "F", Bytes: 700, ExpectedBytes: 700,
			ExpectedFrom: SizeReply, Reply: 226}, Complete, CauseCompleteSized},
		{"loss at the capture point", func(h *harness) {
			pasv(h, 1, "RETR a")
			h.rep(1.03, "150 Opening BINARY mode data connection for a (1000 bytes).")
			h.dataSeg(1.05, ds, dc, capture.ACK, 500, 500, 500) // the first 500 were lost
			h.dataSeg(1.06, ds, dc, capture.FIN|capture.ACK, 1000, 0, 0)
			h.rep(1.07, "226 Transfer complete.")
		}, Transfer{Direction: ftp.Download, Path: "a", PathRelative: true, Type: "A", Mode: "S", Structure: "F", Bytes: 1000, MissingBytes: 500,
			ExpectedBytes: 1000, ExpectedFrom: SizeOpening, Reply: 226}, CaptureGap, CauseMissing},
		{"a lost segment retransmitted is not missing", func(h *harness) {
			pasv(h, 1, "RETR a")
			h.dataSeg(1.05, ds, dc, capture.ACK, 500, 500, 500)
			h.dataSeg(1.06, ds, dc, capture.ACK, 0, 500, 500)
			h.dataSeg(1.07, ds, dc, capture.ACK, 200, 100, 100)
			h.rep(1.08, "226 Transfer complete.")
		}, Transfer{Direction: ftp.Download, Path: "a", PathRelative: true, Type: "A", Mode: "S", Structure: "F", Bytes: 1000, Reply: 226}, Complete, CauseCompleteUnsized},
		{"snap length", func(h *harness) {
			pasv(h, 1, "RETR a")
			h.dataSeg(1.05, ds, dc, capture.ACK, 0, 1000, 96)
			h.rep(1.08, "226 Transfer complete.")
		}, Transfer{Direction: ftp.Download, Path: "a", PathRelative: true, Type: "A", Mode: "S", Structure: "F", Bytes: 1000, MissingBytes: 904, Reply: 226}, CaptureGap, CauseMissing},
		{"reset mid-file", func(h *harness) {
			h.cmd(0.5, "TYPE I")
			h.rep(0.5, "200 ok")
			pasv(h, 1, "RETR a")
			h.rep(1.03, "150 Opening BINARY mode data connection for a (1000 bytes).")
			h.dataSeg(1.05, ds, dc, capture.ACK, 0, 300, 300)
			h.dataSeg(1.06, dc, ds, capture.RST, 0, 0, 0)
		}, Transfer{Direction: ftp.Download, Path: "a", PathRelative: true, Type: "I", Mode: "S", Structure: "F", Bytes: 300,
			ExpectedBytes: 1000, ExpectedFrom: SizeOpening}, Truncated, CauseReset},
		{"426", func(h *harness) {
			pasv(h, 1, "RETR a")
			h.dataSeg(1.05, ds, dc, capture.ACK, 0, 300, 300)
			h.rep(1.08, "426 Failure writing network stream.")
		}, Transfer{Direction: ftp.Download, Path: "a", PathRelative: true, Type: "A", Mode: "S", Structure: "F", Bytes: 300, Reply: 426}, Truncated, CauseErrorReply},
		{"fewer bytes than announced, 226", func(h *harness) {
			h.cmd(0.5, "TYPE L 8")
			h.rep(0.5, "200 ok")
			pasv(h, 1, "RETR a")
			h.rep(1.03, "150 Opening BINARY mode data connection for a (1000 bytes).")
			h.dataSeg(1.05, ds, dc, capture.ACK, 0, 300, 300)
			h.rep(1.08, "226 ok")
		}, Transfer{Direction: ftp.Download, Path: "a", PathRelative: true, Type: "L 8", Mode: "S", Structure: "F", Bytes: 300,
			ExpectedBytes: 1000, ExpectedFrom: SizeOpening, Reply: 226, SizeMismatch: true}, Truncated, CauseShort},
		{"550", func(h *harness) {
			pasv(h, 1, "RETR nothere")
			h.rep(1.03, "550 Failed to open file.")
		}, Transfer{Direction: ftp.Download, Path: "nothere", PathRelative: true, Type: "A", Mode: "S", Structure: "F", Reply: 550}, Failed, CauseErrorReply},
		{"ABOR", func(h *harness) {
			pasv(h, 1, "RETR a")
			h.rep(1.03, "150 ok")
			h.dataSeg(1.05, ds, dc, capture.ACK, 0, 300, 300)
			h.cmd(1.06, "ABOR")
			h.rep(1.07, "426 Connection closed; transfer aborted.")
			h.rep(1.07, "226 Abort successful")
		}, Transfer{Direction: ftp.Download, Path: "a", PathRelative: true, Type: "A", Mode: "S", Structure: "F", Bytes: 300, Reply: 426, Aborted: true}, Aborted, CauseAbort},
		{"listing with options, CDUP", func(h *harness) {
			h.cmd(1, "CWD /pub/x")
			h.rep(1, "250 ok")
			h.cmd(1.1, "CDUP")
			h.rep(1.1, "200 ok")
			pasv(h, 2, "LIST -la incoming")
			h.dataSeg(2.05, ds, dc, capture.ACK, 0, 50, 50)
			h.rep(2.08, "226 ok")
		}, Transfer{Direction: ftp.Listing, Path: "/pub/incoming", Type: "A", Mode: "S", Structure: "F", Bytes: 50, Reply: 226}, Complete, CauseCompleteUnsized},
		{"STOU names its file", func(h *harness) {
			h.cmd(0.5, "CWD /in")
			h.rep(0.5, "250 ok")
			pasv(h, 1, "STOU")
			h.rep(1.03, "150 FILE: upload.7")
			h.dataSeg(1.05, dc, ds, capture.ACK, 0, 50, 50)
			h.rep(1.08, "226 Transfer complete.")
		}, Transfer{Direction: ftp.Upload, Path: "/in/upload.7", Type: "A", Mode: "S", Structure: "F", Bytes: 50, Reply: 226}, Complete, CauseCompleteUnsized},
		{"no final reply", func(h *harness) {
			pasv(h, 1, "STOR up")
			h.dataSeg(1.05, dc, ds, capture.ACK, 0, 50, 50)
		}, Transfer{Direction: ftp.Upload, Path: "up", PathRelative: true, Type: "A", Mode: "S", Structure: "F", Bytes: 50}, ResultUnknown, CauseNoReply},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, cl, sv, Config{})
			tc.run(h)
			h.close(9)
			s := h.finish(20)
			var got *Transfer
			for _, c := range s.Channels {
				if c.Transfer != nil {
					got = c.Transfer
				}
			}
			if got == nil {
				t.Fatalf("no transfer")
			}
			if got.Result != tc.result || got.Cause != tc.cause {
				t.Errorf("result %s cause %d, want %s cause %d", got.Result, got.Cause, tc.result, tc.cause)
			}
			g := *got
			g.Result, g.Cause, g.Start, g.End, g.Listing = 0, 0, got.Start, got.End, nil
			w := tc.want
			w.Start, w.End = g.Start, g.End
			// The 150 reply's Zeek file_size is held to Zeek's rule by
			// report's TestZeekFilesLogHostileNames.
			w.Opened150, w.Opened150Number = g.Opened150, g.Opened150Number
			if g != w {
				t.Errorf("got  %+v\nwant %+v", g, w)
			}
			if got.Bytes > 0 && (got.Start.IsZero() || got.End.Before(got.Start)) {
				t.Errorf("data times %v .. %v", got.Start, got.End)
			}
		})
	}
}

// TestTransferActiveUpload: in active mode the server opens the data
// connection, so an upload's bytes come from its acceptor.
func TestTransferActiveUpload(t *testing.T) {
	h := newHarness(t, "10.0.0.1:40000", "10.0.0.2:21", Config{})
	h.cmd(1, "PORT 10,0,0,1,195,80")
	h.rep(1, "200 PORT command successful.")
	h.cmd(1.1, "STOR up.bin")
	h.handshake(1.2, "10.0.0.2:20", "10.0.0.1:50000")
	h.rep(1.2, "150 Ok to send data.")
	h.dataSeg(1.3, "10.0.0.1:50000", "10.0.0.2:20", capture.ACK, 0, 3000, 3000)
	h.dataSeg(1.4, "10.0.0.2:20", "10.0.0.1:50000", capture.ACK, 0, 7, 7) // not the upload's direction
	h.rep(1.5, "226 Transfer complete.")
	h.close(2)
	s := h.finish(10)
	x := s.Channels[0].Transfer
	if x == nil || x.Direction != ftp.Upload || x.Bytes != 3000 || x.Result != Complete || x.Duration() != 0 {
		t.Fatalf("got %+v", x)
	}
}

func TestCoverage(t *testing.T) {
	var c coverage
	c.add(1000, 100)
	c.add(1100, 100)
	c.add(1300, 100) // hole 1200..1300
	if got := c.missing(400); got != 100 {
		t.Fatalf("missing %d, want 100", got)
	}
	c.add(1150, 200) // fills the hole, overlaps both sides
	if got := c.missing(400); got != 0 || len(c.iv) != 1 {
		t.Fatalf("missing %d in %d intervals, want 0 in 1", got, len(c.iv))
	}
	c.add(1000, 400) // a retransmission of everything adds nothing
	if c.captured() != 400 {
		t.Fatalf("captured %d", c.captured())
	}
	// Across the 32-bit wrap.
	var w coverage
	w.add(^uint32(0)-49, 100)
	w.add(50, 100)
	if w.captured() != 200 || len(w.iv) != 1 {
		t.Fatalf("across the wrap: captured %d in %d intervals", w.captured(), len(w.iv))
	}
	// Bounded: many holes merge, counting the merged gaps as missing.
	var b coverage
	for i := 0; i < 100; i++ {
		b.add(uint32(i*20), 10)
	}
	if len(b.iv) > maxIntervals {
		t.Fatalf("%d intervals", len(b.iv))
	}
	if got := b.missing(1990); got != 1990-1000 {
		t.Fatalf("missing %d, want %d (never less than the truth)", got, 990)
	}
}

// dataPayload sends real bytes on a data connection, from offset off.
func (h *harness) dataPayload(sec float64, src, dst string, off uint32, b []byte) {
	p := &capture.Packet{Kind: capture.KindTCP, Time: h.at(sec), Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst),
		Flags: capture.ACK, PayloadLen: len(b), Payload: b, Seq: 1 + off}
	h.a.Packet(p)
	h.a.Advance(p.Time)
}

// TestListingLedger: a LIST's lines become entries (cut into segments
// anywhere), its sizes are remembered, a later RETR of a listed file is
// held to the listed size, and a DELE after the download is flagged.
func TestListingLedger(t *testing.T) {
	const (
		dc = "10.0.0.1:50000"
		ds = "10.0.0.2:30000"
	)
	h := newHarness(t, "10.0.0.1:40000", "10.0.0.2:21", Config{})
	h.cmd(0.1, "PWD")
	h.rep(0.1, `257 "/pub"`)
	h.cmd(0.2, "TYPE I")
	h.rep(0.2, "200 ok")
	h.cmd(1, "PASV")
	h.rep(1, "227 Entering Passive Mode (10,0,0,2,117,48).")
	h.handshake(1.01, dc, ds)
	h.cmd(1.02, "LIST -la")
	h.rep(1.03, "150 Here comes the directory listing.")
	listing := "total 8\r\n-rw-r--r--    1 0        0            1000 Nov 24 02:20 a.bin\r\n" +
		"drwxr-xr-x    2 0        0            4096 Jan  3  2024 sub dir\r\nlrwxrwxrwx 1 0 0 5 Nov 24 02:20 l -> a.bin\r\n"
	h.dataPayload(1.04, ds, dc, 0, []byte(listing[:50]))
	h.dataPayload(1.05, ds, dc, 50, []byte(listing[50:]))
	h.rep(1.06, "226 Directory send OK.")
	h.cmd(2, "PASV")
	h.rep(2, "227 Entering Passive Mode (10,0,0,2,117,49).")
	h.handshake(2.01, "10.0.0.1:50001", "10.0.0.2:30001")
	h.cmd(2.02, "RETR a.bin")
	h.rep(2.03, "150 Opening BINARY mode data connection.")
	h.dataPayload(2.04, "10.0.0.2:30001", "10.0.0.1:50001", 0, make([]byte, 900))
	h.rep(2.06, "226 Transfer complete.")
	h.cmd(3, "DELE a.bin")
	h.rep(3, "250 Delete operation successful.")
	h.close(4)
	s := h.finish(20)
	l := s.Channels[0].Transfer.Listing
	if l == nil || l.Format != ftp.FormatUnix || len(l.Entries) != 3 || l.Unparsed != 1 || !l.Whole {
		t.Fatalf("listing %+v", l)
	}
	if e := l.Entries[1]; e.Name != "sub dir" || e.Type != ftp.EntryDir || e.Modified != "Jan 3 2024" {
		t.Errorf("entry %+v", e)
	}
	if e := l.Entries[2]; e.Name != "l" || e.Target != "a.bin" || e.Type != ftp.EntryLink {
		t.Errorf("entry %+v", e)
	}
	x := s.Channels[1].Transfer
	if x.Path != "/pub/a.bin" || !x.Listed || x.ListedBytes != 1000 || x.ExpectedFrom != SizeListing || x.Result != Truncated ||
		!x.SizeMismatch || !x.DeletedAfter {
		t.Errorf("download %+v", x)
	}
}
