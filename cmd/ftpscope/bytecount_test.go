package main

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// Byte counts of data connections (issue 12 item 13): every payload byte
// counts once, however often the capture holds it, and bytes sent before the
// announcement was seen still count.

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
