package main

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// Byte and SYN counts of data connections (issue 12 item 13): every payload
// byte counts once, however often the capture holds it (retransmissions,
// the same packets read twice), and bytes sent before the announcement was
// seen still count.

const countSize = 1000

// countPayload is the transfer the tests below send: countSize bytes.
func countPayload() []byte {
	b := make([]byte, countSize)
	for i := range b {
		b[i] = "0123456789abcdef"[i%16]
	}
	return b
}

// finishRETR writes the end of the transfer begun by passiveRETR on c after
// data connection d: the server's FIN, the 226, QUIT and the control close.
func finishRETR(c, d *craft.Conn, at time.Time) {
	d.CloseFrom(at, craft.FromServer)
	c.Server(at.Add(time.Second), "226 Transfer complete.\r\n")
	c.Client(at.Add(2*time.Second), "QUIT\r\n")
	c.Server(at.Add(2*time.Second+time.Millisecond), "221 Goodbye.\r\n")
	c.Close(at.Add(3 * time.Second))
}

// TestRetransmissionsCountOnce: a 1000-byte RETR whose data segments the
// capture holds more than once (a retransmission after a timeout, one
// repacketized into a larger segment, a hole filled late, a keepalive probe
// repeating the last byte) or not at all (lost at the capture point before
// the FIN) is reported as 1000 bytes, with or without the connection's SYN
// in the capture.
func TestRetransmissionsCountOnce(t *testing.T) {
	data := netip.AddrPortFrom(promiseClient.Addr(), 40001)
	cases := []struct {
		name string
		// syn: the data connection's handshake is in the capture.
		syn bool
		// send writes the payload from the server at seq base+offset.
		send func(seg func(t time.Time, off, n int), at time.Time)
	}{
		{"each segment twice", true, func(seg func(time.Time, int, int), at time.Time) {
			for i := 0; i < 4; i++ {
				seg(at.Add(time.Duration(i)*time.Millisecond), i*250, 250)
			}
			// The ACKs were lost: every segment again after the RTO.
			for i := 0; i < 4; i++ {
				seg(at.Add(200*time.Millisecond+time.Duration(i)*time.Millisecond), i*250, 250)
			}
		}},
		{"each segment twice, no SYN", false, func(seg func(time.Time, int, int), at time.Time) {
			for i := 0; i < 4; i++ {
				seg(at.Add(time.Duration(i)*time.Millisecond), i*250, 250)
				seg(at.Add(300*time.Millisecond+time.Duration(i)*time.Millisecond), i*250, 250)
			}
		}},
		{"repacketized", true, func(seg func(time.Time, int, int), at time.Time) {
			seg(at, 0, 500)
			seg(at.Add(time.Millisecond), 500, 500)
			seg(at.Add(200*time.Millisecond), 0, 1000)
		}},
		{"hole filled late", true, func(seg func(time.Time, int, int), at time.Time) {
			seg(at, 0, 250)
			seg(at.Add(time.Millisecond), 250, 250) // lost after the capture point
			seg(at.Add(2*time.Millisecond), 500, 500)
			seg(at.Add(50*time.Millisecond), 250, 250) // fast retransmission
			seg(at.Add(60*time.Millisecond), 500, 500)
		}},
		{"keepalive probe", true, func(seg func(time.Time, int, int), at time.Time) {
			seg(at, 0, 1000)
			seg(at.Add(time.Second), 999, 1) // the last byte again, as Linux probes
		}},
		{"lost at the capture point, then the FIN", true, func(seg func(time.Time, int, int), at time.Time) {
			// Nothing: the one segment is not in the capture, but the
			// FIN's sequence number says where the stream ended.
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := countPayload()
			path := writeCapture(t, "retrans.pcap", func(w *craft.Writer) {
				c := passiveRETR(w, promiseT0)
				at := promiseT0.Add(2 * time.Second)
				var d *craft.Conn
				if tc.syn {
					d = w.Dial(at, data, promiseData)
				} else {
					d = w.Established(data, promiseData)
				}
				c.Server(at.Add(10*time.Millisecond), "150 Opening BINARY mode data connection.\r\n")
				base := d.NextSeq(craft.FromServer)
				tc.send(func(t time.Time, off, n int) {
					d.SendAt(t, craft.FromServer, base+uint32(off), payload[off:off+n])
				}, at.Add(20*time.Millisecond))
				d.Skip(craft.FromServer, countSize)
				d.Ack(at.Add(1500*time.Millisecond), craft.FromClient)
				finishRETR(c, d, at.Add(2*time.Second))
			})
			sessions, _, _ := jsonSessions(t, "-r", path)
			if len(sessions) != 1 || len(sessions[0].Channels) != 1 {
				t.Fatalf("want one session with one channel: %+v", sessions)
			}
			ch := sessions[0].Channels[0]
			if ch.Verdict != "ok" || ch.Bytes != countSize {
				t.Errorf("channel: verdict %s, %d bytes; want ok, %d bytes", ch.Verdict, ch.Bytes, countSize)
			}
		})
	}
}

// readTwiceCapture writes a session with a passive RETR of countSize bytes
// (one segment retransmitted) and an active LIST whose SYNs, three of them,
// go unanswered. shift moves every timestamp: the same traffic seen a little
// later on a second interface.
func readTwiceCapture(w *craft.Writer, shift time.Duration) {
	t0 := promiseT0.Add(shift)
	payload := countPayload()
	c := passiveRETR(w, t0)
	at := t0.Add(2 * time.Second)
	d := w.Dial(at, netip.AddrPortFrom(promiseClient.Addr(), 40001), promiseData)
	c.Server(at.Add(10*time.Millisecond), "150 Opening BINARY mode data connection.\r\n")
	base := d.NextSeq(craft.FromServer)
	d.SendAt(at.Add(20*time.Millisecond), craft.FromServer, base, payload[:500])
	d.SendAt(at.Add(21*time.Millisecond), craft.FromServer, base+500, payload[500:])
	d.SendAt(at.Add(300*time.Millisecond), craft.FromServer, base+500, payload[500:])
	d.Skip(craft.FromServer, countSize)
	d.Ack(at.Add(301*time.Millisecond), craft.FromClient)
	d.CloseFrom(at.Add(time.Second), craft.FromServer)
	c.Server(at.Add(1100*time.Millisecond), "226 Transfer complete.\r\n")
	at = at.Add(2 * time.Second)
	active := netip.AddrPortFrom(promiseClient.Addr(), 40100)
	c.Client(at, "PORT 192,0,2,50,156,164\r\n")
	c.Server(at.Add(time.Millisecond), "200 PORT command successful.\r\n")
	c.Client(at.Add(2*time.Millisecond), "LIST\r\n")
	w.SYNUnanswered(at.Add(3*time.Millisecond), netip.AddrPortFrom(promiseServer.Addr(), 20), active, 3)
	at = at.Add(10 * time.Second)
	c.Server(at, "425 Can't open data connection.\r\n")
	c.Client(at.Add(time.Second), "QUIT\r\n")
	c.Server(at.Add(time.Second+time.Millisecond), "221 Goodbye.\r\n")
	c.Close(at.Add(2 * time.Second))
}

// jsonRecords runs ftpscope --format json with args and returns the session
// records (as generic objects, without the merged input's packet numbers,
// which differ when frames are read twice), the summary and standard error.
func jsonRecords(t *testing.T, args ...string) ([]map[string]any, map[string]any, string) {
	t.Helper()
	out, stderr, code := runTool(t, append([]string{"--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sessions []map[string]any
	var summary map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %.80s", line)
		}
		switch rec["type"] {
		case "session":
			for _, c := range rec["channels"].([]any) {
				delete(c.(map[string]any), "packet")
			}
			sessions = append(sessions, rec)
		case "summary":
			summary = rec
		}
	}
	return sessions, summary, stderr
}

// TestReadTwice: the same packets read twice, from the same file given twice
// with -r or from a second interface that saw them 20 µs later, give the
// sessions, SYN counts and byte counts of one reading, count the copies as
// anomalies.duplicate_packets and say so on standard error.
func TestReadTwice(t *testing.T) {
	once := writeCapture(t, "once.pcap", func(w *craft.Writer) { readTwiceCapture(w, 0) })
	later := writeCapture(t, "later.pcap", func(w *craft.Writer) { readTwiceCapture(w, 20*time.Microsecond) })
	want, wantSum, wantErr := jsonRecords(t, "-r", once)
	if strings.Contains(wantErr, "twice") {
		t.Errorf("one reading warns of packets read twice: %s", wantErr)
	}
	anomalies := func(sum map[string]any) map[string]any {
		a, _ := sum["anomalies"].(map[string]any)
		return a
	}
	if n, ok := anomalies(wantSum)["duplicate_packets"]; !ok || n.(float64) != 0 {
		t.Errorf("one reading: anomalies.duplicate_packets = %v, want 0", n)
	}
	if len(want) != 1 {
		t.Fatalf("%d sessions, want 1", len(want))
	}
	chs := want[0]["channels"].([]any)
	if len(chs) != 2 || chs[0].(map[string]any)["bytes"].(float64) != countSize || chs[1].(map[string]any)["syn"].(float64) != 3 {
		t.Fatalf("one reading: want a RETR of %d bytes and a LIST with 3 SYNs: %v", countSize, chs)
	}
	tcp := wantSum["capture"].(map[string]any)["tcp"].(float64)
	cases := []struct {
		name   string
		second string
		// all: every copy is recognised (the same time stamps); otherwise
		// at least the SYN copies, which a retransmission cannot be.
		all bool
	}{
		{"same file twice", once, true},
		{"second interface 20us later", later, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, sum, stderr := jsonRecords(t, "-r", once, "-r", tc.second)
			if len(got) != len(want) {
				t.Fatalf("%d sessions, want %d", len(got), len(want))
			}
			if tc.all {
				a, _ := json.Marshal(got)
				b, _ := json.Marshal(want)
				if string(a) != string(b) {
					t.Errorf("read twice:\n%s\nwant as read once:\n%s", a, b)
				}
			}
			for i, c := range got[0]["channels"].([]any) {
				g, w := c.(map[string]any), chs[i].(map[string]any)
				for _, k := range []string{"syn", "bytes", "verdict", "reason"} {
					if g[k] != w[k] {
						t.Errorf("channel %d: %s = %v, want %v as read once", i+1, k, g[k], w[k])
					}
				}
			}
			n, _ := anomalies(sum)["duplicate_packets"].(float64)
			switch {
			case tc.all && n != tcp:
				t.Errorf("anomalies.duplicate_packets = %v, want %v (every TCP packet of the second copy)", n, tcp)
			case !tc.all && n < 3+2+1:
				t.Errorf("anomalies.duplicate_packets = %v, want at least the 6 copied SYNs and SYN-ACKs", n)
			}
			if !strings.Contains(stderr, "read twice") {
				t.Errorf("no warning that the same packets were read twice: %q", stderr)
			}
		})
	}
}

// TestBytesBeforeAnnouncement: the data connection's SYN and its bytes are in
// the capture before the announcement that predicts it is released (the
// segment carrying the 227 or the PORT was captured late, on another
// interface's clock or out of order). The channel claims the connection when
// the announcement arrives, with every byte it carried.
func TestBytesBeforeAnnouncement(t *testing.T) {
	cases := []struct {
		name string
		// announce is the line sent late; fromServer says who sends it.
		announce   string
		fromServer bool
		from, to   netip.AddrPort
	}{
		{"passive", "227 Entering Passive Mode (198,51,100,21,195,80).\r\n", true,
			netip.AddrPortFrom(promiseClient.Addr(), 40001), promiseData},
		{"active", "PORT 192,0,2,50,156,164\r\n", false,
			netip.AddrPortFrom(promiseServer.Addr(), 20), netip.AddrPortFrom(promiseClient.Addr(), 40100)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := countPayload()
			path := writeCapture(t, "early.pcap", func(w *craft.Writer) {
				c := login(w, promiseT0, promiseClient, promiseServer)
				at := promiseT0.Add(time.Second)
				side := craft.FromClient
				if tc.fromServer {
					c.Client(at, "PASV\r\n")
					side = craft.FromServer
				}
				// The announcement's segment is captured only later: the
				// control bytes after it wait in reassembly until then.
				seq := c.NextSeq(side)
				c.Skip(side, len(tc.announce))
				if !tc.fromServer {
					c.Server(at.Add(time.Millisecond), "200 PORT command successful.\r\n")
				}
				c.Client(at.Add(2*time.Millisecond), "RETR big.iso\r\n")
				d := w.Dial(at.Add(3*time.Millisecond), tc.from, tc.to)
				c.Server(at.Add(4*time.Millisecond), "150 Opening BINARY mode data connection.\r\n")
				d.Send(at.Add(5*time.Millisecond), craft.FromServer, payload[:500])
				d.Send(at.Add(6*time.Millisecond), craft.FromServer, payload[500:])
				d.Ack(at.Add(7*time.Millisecond), craft.FromClient)
				d.CloseFrom(at.Add(8*time.Millisecond), craft.FromServer)
				c.Server(at.Add(20*time.Millisecond), "226 Transfer complete.\r\n")
				c.SendAt(at.Add(50*time.Millisecond), side, seq, []byte(tc.announce))
				at = at.Add(time.Second)
				c.Client(at, "QUIT\r\n")
				c.Server(at.Add(time.Millisecond), "221 Goodbye.\r\n")
				c.Close(at.Add(2 * time.Millisecond))
			})
			sessions, _, _ := jsonSessions(t, "-r", path)
			if len(sessions) != 1 || len(sessions[0].Channels) != 1 {
				t.Fatalf("want one session with one channel: %+v", sessions)
			}
			ch := sessions[0].Channels[0]
			if ch.Verdict != "ok" || ch.SYN != 1 || ch.Bytes != countSize {
				t.Errorf("channel: verdict %s, %d SYN, %d bytes; want ok, 1 SYN, %d bytes", ch.Verdict, ch.SYN, ch.Bytes, countSize)
			}
		})
	}
}
