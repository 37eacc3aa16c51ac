package analysis

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpscope/ftpscope/reassembly"
)

// TestNoteFacts checks what notes and lint findings hold, not their words.
func TestNoteFacts(t *testing.T) {
	h := newHarness(t, "10.0.0.1:40000", "10.0.0.2:2121", Config{})
	h.line(0, false, "220 ready", 1, true)
	h.cmd(1, "PORT 192,0,2,99,0,25")
	h.rep(1, "500 Illegal PORT command.")
	h.cmd(2, "PORT 1,2,3")
	h.rep(2, "500 Illegal PORT command.")
	h.rep(3, "hello there")
	h.line(4, true, "PASV", 1, true)
	h.line(4.01, false, "227 Entering Passive Mode (10,0,0,2,200,1).", 2, true)
	h.line(5, true, "EPRT |2|2001:db8::1|40000|", 1, true)
	h.line(5.01, false, "200 ok", 1, true)
	h.a.Gap(h.key, reassembly.RoleServer, h.at(6), 51)
	s := h.finish(100)

	ep := netip.MustParseAddrPort("192.0.2.99:25")
	want := []Note{
		{Kind: NoteBounce, What: NoteThirdParty, Verb: "PORT", Endpoint: ep, Addr: netip.MustParseAddr("10.0.0.1")},
		{Kind: NoteBounce, What: NotePrivilegedPort, Verb: "PORT", Endpoint: ep},
		{Kind: NoteRefusedSetup, What: NoteActiveRefused, Verb: "PORT", Endpoint: ep, Code: 500, Wire: "Illegal PORT command."},
		{Kind: NoteProtocol, What: NoteMalformedArgument, Verb: "PORT", Wire: "1,2,3"},
		{Kind: NoteProtocol, What: NoteNotReply, Wire: "hello there"},
		{Kind: NoteBounce, What: NoteThirdParty, Verb: "EPRT", Endpoint: netip.MustParseAddrPort("[2001:db8::1]:40000"), Addr: netip.MustParseAddr("10.0.0.1")},
		{Kind: NoteGap, What: NoteBytesMissing, N: 51, FromServer: true},
		{Kind: NoteCaptureEnd, What: NoteOpenAtEnd},
	}
	var got []Note
	for _, n := range s.Notes {
		n.Time = time.Time{}
		if n.What == NoteMalformedArgument {
			if n.Detail == "" {
				t.Errorf("malformed argument without the parser's complaint: %+v", n)
			}
			n.Detail = ""
		}
		got = append(got, n)
	}
	if len(got) != len(want) {
		t.Fatalf("notes:\n got %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("note %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}

	lint := map[LintCode]LintFinding{}
	for _, f := range s.Lint {
		f.Time, f.Packet, f.Count = h.t0, 0, 0
		lint[f.Code] = f
	}
	wantLint := []LintFinding{
		{Code: LintControlPort, Port: 2121},
		{Code: LintSplit, What: "227", Segments: 2},
		{Code: LintEPRTFamily, Endpoint: netip.MustParseAddrPort("[2001:db8::1]:40000"), IPv4: true},
	}
	for _, w := range wantLint {
		w.Time = h.t0
		if f := lint[w.Code]; f != w {
			t.Errorf("%s:\n got %+v\nwant %+v", w.Code, f, w)
		}
	}
}

// TestNoteWhatNames: every note has a name, so NoteWhats lists them all.
func TestNoteWhatNames(t *testing.T) {
	if len(noteWhatNames) != int(NoteClearAgain)+1 {
		t.Errorf("%d names for %d notes", len(noteWhatNames), NoteClearAgain+1)
	}
	if w := NoteWhats(); len(w) != int(NoteClearAgain) || w[len(w)-1] != NoteClearAgain {
		t.Errorf("NoteWhats() = %v", w)
	}
}
