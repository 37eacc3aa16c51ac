package report_test

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/flowid"
	"github.com/ftpscope/ftpscope/report"
)

// TestSessionIDs: on the lab captures every session record carries a uid
// of Zeek's form, distinct per control connection and the same on a second
// run, and the Community ID of its control connection; a channel with a
// connection carries that connection's Community ID.
func TestSessionIDs(t *testing.T) {
	for _, file := range []string{"../pcaps/01-basic-v4/client.pcap", "../pcaps/02-extended-v4-v6/client.pcap", "../pcaps/15-long-session-abort-kill/client.pcap"} {
		var first []string
		for run := 0; run < 2; run++ {
			seen := map[string]bool{}
			var uids []string
			for _, s := range sessionsOf(t, file) {
				fast, _ := report.JSONBothWays(s, false)
				var rec struct {
					UID         string `json:"uid"`
					CommunityID string `json:"community_id"`
					Channels    []struct {
						Connection  *struct{ From, To string }
						CommunityID string `json:"community_id"`
					}
				}
				if err := json.Unmarshal([]byte(fast), &rec); err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(rec.UID, "C") || len(rec.UID) < 12 || seen[rec.UID] {
					t.Errorf("%s: uid %q (seen before: %v)", file, rec.UID, seen[rec.UID])
				}
				seen[rec.UID] = true
				uids = append(uids, rec.UID)
				// The ID is the same from either end.
				if want := flowid.CommunityID(s.Server, s.Client, flowid.ProtoTCP); rec.CommunityID != want {
					t.Errorf("%s: community_id %q, want %q", file, rec.CommunityID, want)
				}
				for i, c := range rec.Channels {
					if c.Connection == nil {
						if c.CommunityID != "" {
							t.Errorf("%s: channel %d without a connection has community_id %q", file, i, c.CommunityID)
						}
						continue
					}
					want := flowid.CommunityID(netip.MustParseAddrPort(c.Connection.To), netip.MustParseAddrPort(c.Connection.From), flowid.ProtoTCP)
					if c.CommunityID != want {
						t.Errorf("%s: channel %d community_id %q, want %q", file, i, c.CommunityID, want)
					}
				}
			}
			if len(uids) == 0 {
				t.Fatalf("%s: no sessions", file)
			}
			if run == 0 {
				first = uids
			} else if strings.Join(first, ",") != strings.Join(uids, ",") {
				t.Errorf("%s: uids differ between runs: %v, %v", file, first, uids)
			}
		}
	}
}
