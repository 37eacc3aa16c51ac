package analysis

import (
	"fmt"
	"testing"
)

// TestNoTranscript: without a ladder to draw, the session keeps no
// transcript, and nothing else about it changes.
func TestNoTranscript(t *testing.T) {
	run := func(cfg Config) *Session {
		h := newHarness(t, cli, srv, cfg)
		login(h)
		h.cmd(1, "PASV")
		h.rep(1.01, "227 Entering Passive Mode (198,51,100,20,156,64).")
		h.cmd(1.02, "RETR x")
		h.rep(1.03, "150 here it comes")
		h.rep(1.2, "226 done")
		return h.finish(10)
	}
	with, without := run(Config{}), run(Config{NoTranscript: true})
	if len(with.Exchanges) == 0 {
		t.Fatal("the transcript is empty by default")
	}
	if len(without.Exchanges) != 0 {
		t.Errorf("NoTranscript kept %d exchanges", len(without.Exchanges))
	}
	if len(with.Channels) != 1 || len(without.Channels) != 1 ||
		with.Channels[0].Verdict != without.Channels[0].Verdict {
		t.Fatalf("channels differ: %d and %d", len(with.Channels), len(without.Channels))
	}
	with.Exchanges, with.Channels, without.Channels = nil, nil, nil
	if a, b := fmt.Sprintf("%+v", *with), fmt.Sprintf("%+v", *without); a != b {
		t.Errorf("the sessions differ beyond the transcript:\n%s\n%s", a, b)
	}
}
