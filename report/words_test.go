package report_test

import (
	"net/netip"
	"testing"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/report"
)

// TestNoteWords: every note and lint finding has words, and the ones no
// corpus capture shows are written exactly as before their facts moved out
// of analysis.
func TestNoteWords(t *testing.T) {
	for _, w := range analysis.NoteWhats() {
		if report.NoteText(analysis.Note{What: w}) == "" {
			t.Errorf("note %s has no words", w)
		}
	}
	for c := analysis.LintSplit; c <= analysis.LintRetransmitted; c++ {
		if report.LintText(analysis.LintFinding{Code: c}) == "" {
			t.Errorf("lint %s has no words", c)
		}
	}
	ep := netip.MustParseAddrPort("192.0.2.99:25")
	cases := []struct {
		note analysis.Note
		want string
	}{
		{analysis.Note{What: analysis.NoteNotReply, Wire: "0123456789012345678901234567890123456789012345678901234567890123", Cut: true},
			`server line is not a reply: "0123456789012345678901234567890123456789012345678901234567890123"…`},
		{analysis.Note{What: analysis.NoteMalformedArgument, Verb: "PORT", Wire: "1,2,3", Detail: "PORT needs six numbers"},
			`malformed PORT argument "1,2,3": PORT needs six numbers`},
		{analysis.Note{What: analysis.NoteThirdParty, Verb: "PORT", Endpoint: ep, Addr: netip.MustParseAddr("10.0.0.1")},
			"PORT names 192.0.2.99:25, a third party that is not the client 10.0.0.1: an FTP bounce attempt, or a NAT the capture cannot see"},
		{analysis.Note{What: analysis.NotePrivilegedPort, Verb: "EPRT", Endpoint: ep},
			"EPRT asks the server to connect to privileged port 25 (FTP bounce attempts target ports like 25)"},
		{analysis.Note{What: analysis.NotePassiveRefused, Verb: "EPSV", Code: 500, Wire: "EPSV not understood"},
			"the server refused EPSV: 500 EPSV not understood"},
		{analysis.Note{What: analysis.NoteUnusableAnnouncement, Code: 229, Wire: "229 Extended Passive"},
			`229 reply without a usable port: "229 Extended Passive"`},
		{analysis.Note{What: analysis.NoteUnusableAnnouncement, Code: 228, Wire: "228 x"},
			`228 reply without a usable address: "228 x"`},
		{analysis.Note{What: analysis.NoteOverlap, N: 17},
			"packet 17 from the client overlaps bytes already sent with different content: an evasion attempt (one text for a firewall's FTP helper, another for the server) or a broken middlebox; only one of the two texts is analysed here, and the server may have acted on the other"},
		{analysis.Note{What: analysis.NoteAttemptsCapped, N: 64, Endpoint: ep},
			"more than 64 connection attempts toward 192.0.2.99:25 (a scan or a SYN flood?): later ones are counted in the summary, not followed (--max-channel-attempts)"},
	}
	for _, c := range cases {
		if got := report.NoteText(c.note); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.note.What, got, c.want)
		}
	}
	lint := []struct {
		f    analysis.LintFinding
		want string
	}{
		{analysis.LintFinding{Code: analysis.LintMultiline227, AtStart: true},
			"a multi-line 227 reply: here its last line starts a TCP segment, so nf_conntrack_ftp still finds it, but helpers that read the first line only do not"},
		{analysis.LintFinding{Code: analysis.LintSuperseded, Method: analysis.PASV, Endpoint: ep},
			"PASV 192.0.2.99:25 was replaced by a new announcement before any transfer used it: a helper keeps one expectation per control connection (nf_conntrack_ftp max_expected=1), so only the newest is open"},
		{analysis.LintFinding{Code: analysis.LintEPRTFamily, Endpoint: ep},
			"EPRT names 192.0.2.99:25 over an IPv6 control connection: nf_conntrack_ftp rejects the mismatched family and drops the segment"},
	}
	for _, c := range lint {
		if got := report.LintText(c.f); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.f.Code, got, c.want)
		}
	}
}
