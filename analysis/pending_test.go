package analysis

import "testing"

// TestReplyToOlderOfTwoPendingCommands: a 227 released after the client's
// next command (reordered capture, or a pipelining client) answers the PASV,
// not the RETR queued behind it, so the passive channel exists.
func TestReplyToOlderOfTwoPendingCommands(t *testing.T) {
	h := newHarness(t, "192.0.2.10:40000", "198.51.100.7:21", Config{})
	h.rep(0, "220 ready")
	h.cmd(0.1, "PASV")
	h.cmd(0.2, "RETR f")
	h.rep(0.3, "227 Entering Passive Mode (198,51,100,7,195,80).")
	h.connect(0.35, "192.0.2.10:40001", "198.51.100.7:50000", 100)
	h.rep(0.4, "150 here it comes")
	h.rep(0.5, "226 done")
	h.close(1)
	s := h.finish(40)
	if len(s.Channels) != 1 {
		t.Fatalf("got %d channels, want the one the 227 announced", len(s.Channels))
	}
	if ch := s.Channels[0]; ch.Verdict != OK || ch.Method != PASV {
		t.Errorf("channel %v %v, want PASV ok", ch.Method, ch.Verdict)
	}
}
