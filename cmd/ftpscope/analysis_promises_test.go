package main

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// Promises of the analysis that held only for short, clean transfers
// (issue 12): long transfers, retransmissions, inputs read twice.

// channelRecord is the part of a JSON channel the tests below read.
type channelRecord struct {
	Verdict string `json:"verdict"`
	Reply   *int   `json:"reply"`
	Replies []int  `json:"replies"`
	SYN     int    `json:"syn"`
	Bytes   uint64 `json:"bytes"`
}

// jsonSessions runs ftpscope --format json on path and returns the session
// records (with their channels) and the summary.
func jsonSessions(t *testing.T, args ...string) ([]struct {
	Client    string          `json:"client"`
	Midstream bool            `json:"midstream"`
	Closed    string          `json:"closed"`
	Channels  []channelRecord `json:"channels"`
}, map[string]json.RawMessage, string) {
	t.Helper()
	out, stderr, code := runTool(t, append([]string{"--format", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var (
		sessions []struct {
			Client    string          `json:"client"`
			Midstream bool            `json:"midstream"`
			Closed    string          `json:"closed"`
			Channels  []channelRecord `json:"channels"`
		}
		summary map[string]json.RawMessage
	)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal([]byte(line), &head); err != nil {
			t.Fatalf("not JSON: %.80s", line)
		}
		switch head.Type {
		case "session":
			sessions = append(sessions, struct {
				Client    string          `json:"client"`
				Midstream bool            `json:"midstream"`
				Closed    string          `json:"closed"`
				Channels  []channelRecord `json:"channels"`
			}{})
			if err := json.Unmarshal([]byte(line), &sessions[len(sessions)-1]); err != nil {
				t.Fatal(err)
			}
		case "summary":
			if err := json.Unmarshal([]byte(line), &summary); err != nil {
				t.Fatal(err)
			}
		}
	}
	return sessions, summary, stderr
}

var (
	promiseClient = netip.MustParseAddrPort("192.0.2.50:40000")
	promiseServer = netip.MustParseAddrPort("198.51.100.21:21")
	promiseData   = netip.MustParseAddrPort("198.51.100.21:50000")
	promiseT0     = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
)

// passiveRETR writes a login, PASV, its 227 for promiseData and a RETR on
// a new control connection, from t.
func passiveRETR(w *craft.Writer, t time.Time) *craft.Conn {
	c := login(w, t, promiseClient, promiseServer)
	c.Client(t.Add(time.Second), "PASV\r\n")
	c.Server(t.Add(time.Second+time.Millisecond), "227 Entering Passive Mode (198,51,100,21,195,80).\r\n")
	c.Client(t.Add(time.Second+2*time.Millisecond), "RETR big.iso\r\n")
	return c
}

// TestLongTransferKeepsControlOpen: a transfer of three hours on a slow link
// (a segment every ten minutes) while the control connection says nothing
// between the 150 and the 226, longer than the two hours after which an
// idle control connection is closed. The data connection's activity keeps
// its session alive: one session, closed by its FIN, the 226 matched to the
// transfer, every byte counted, no phantom mid-session session.
func TestLongTransferKeepsControlOpen(t *testing.T) {
	const segs, size = 19, 1000
	path := writeCapture(t, "longtransfer.pcap", func(w *craft.Writer) {
		c := passiveRETR(w, promiseT0)
		at := promiseT0.Add(2 * time.Second)
		d := w.Dial(at, netip.AddrPortFrom(promiseClient.Addr(), 40001), promiseData)
		c.Server(at.Add(10*time.Millisecond), "150 Opening BINARY mode data connection.\r\n")
		for i := range segs {
			d.Send(at.Add(time.Duration(i)*10*time.Minute+time.Second), craft.FromServer, make([]byte, size))
			d.Ack(at.Add(time.Duration(i)*10*time.Minute+time.Second+time.Millisecond), craft.FromClient)
		}
		at = at.Add(time.Duration(segs) * 10 * time.Minute)
		d.CloseFrom(at, craft.FromServer)
		c.Server(at.Add(time.Second), "226 Transfer complete.\r\n")
		c.Client(at.Add(2*time.Second), "QUIT\r\n")
		c.Server(at.Add(2*time.Second+time.Millisecond), "221 Goodbye.\r\n")
		c.Close(at.Add(3 * time.Second))
	})
	sessions, _, _ := jsonSessions(t, "-r", path)
	if len(sessions) != 1 {
		t.Fatalf("%d sessions, want 1 (a phantom mid-session one after an idle close?): %+v", len(sessions), sessions)
	}
	s := sessions[0]
	if s.Closed != "fin" || s.Midstream {
		t.Errorf("session closed %q (midstream %v), want fin", s.Closed, s.Midstream)
	}
	if len(s.Channels) != 1 {
		t.Fatalf("%d channels, want 1", len(s.Channels))
	}
	ch := s.Channels[0]
	if ch.Verdict != "ok" || ch.Reply == nil || *ch.Reply != 226 || ch.Bytes != segs*size {
		t.Errorf("channel: verdict %s, reply %v, %d bytes; want ok, 226, %d bytes", ch.Verdict, ch.Replies, ch.Bytes, segs*size)
	}
}
