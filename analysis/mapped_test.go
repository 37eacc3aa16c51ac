package analysis

import "testing"

// TestIPv4MappedAddresses: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) names
// the same host as a.b.c.d. A dual-stack client that writes its address
// that way in EPRT, or a capture whose control connection carries mapped
// addresses while the 227 writes plain IPv4, is neither NAT nor an FTP
// bounce, and its data connection matches the announced endpoint.
func TestIPv4MappedAddresses(t *testing.T) {
	tests := []struct {
		name, client, server string
		script               func(h *harness)
		want                 wantChannel
	}{{
		name: "EPRT with a mapped address over IPv4", client: "192.0.2.50:40000", server: "198.51.100.21:21",
		script: func(h *harness) {
			login(h)
			h.cmd(1, "EPRT |2|::ffff:192.0.2.50|5001|")
			h.rep(1.1, "200 EPRT command successful.")
			h.cmd(1.2, "RETR f")
			h.connect(1.3, "198.51.100.21:20", "192.0.2.50:5001", 0)
			h.rep(1.4, "150 Opening data connection.")
			h.rep(1.5, "226 Transfer complete.")
		},
		want: wantChannel{method: EPRT, announced: "192.0.2.50:5001", command: "RETR", verdict: OK, match: MatchAnnounced, syns: 1},
	}, {
		name: "227 over a control connection with mapped addresses", client: "[::ffff:192.0.2.50]:40000", server: "[::ffff:198.51.100.21]:21",
		script: func(h *harness) {
			login(h)
			h.cmd(1, "PASV")
			h.rep(1.1, "227 Entering Passive Mode (198,51,100,21,19,137).")
			h.cmd(1.2, "RETR f")
			h.connect(1.3, "[::ffff:192.0.2.50]:40001", "[::ffff:198.51.100.21]:5001", 0)
			h.rep(1.4, "150 Opening data connection.")
			h.rep(1.5, "226 Transfer complete.")
		},
		want: wantChannel{method: PASV, announced: "[::ffff:198.51.100.21]:5001", command: "RETR", verdict: OK, match: MatchAnnounced, syns: 1},
	}, {
		name: "PORT over a control connection with mapped addresses", client: "[::ffff:192.0.2.50]:40000", server: "[::ffff:198.51.100.21]:21",
		script: func(h *harness) {
			login(h)
			h.cmd(1, "PORT 192,0,2,50,19,137")
			h.rep(1.1, "200 PORT command successful.")
			h.cmd(1.2, "RETR f")
			h.connect(1.3, "[::ffff:198.51.100.21]:20", "[::ffff:192.0.2.50]:5001", 0)
			h.rep(1.4, "150 Opening data connection.")
			h.rep(1.5, "226 Transfer complete.")
		},
		want: wantChannel{method: PORT, announced: "[::ffff:192.0.2.50]:5001", command: "RETR", verdict: OK, match: MatchAnnounced, syns: 1},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.client, tc.server, Config{})
			tc.script(h)
			h.close(3)
			s := h.finish(10)
			checkChannels(t, s, []wantChannel{tc.want})
			for _, n := range s.Notes {
				if n.Kind == NoteBounce {
					t.Errorf("bounce note for the client's own address: %s", noteText(n))
				}
			}
			if st := h.a.Stats(); st.Bounces != 0 || st.NAT != 0 {
				t.Errorf("stats count %d bounces and %d NAT announcements, want none", st.Bounces, st.NAT)
			}
		})
	}
}
