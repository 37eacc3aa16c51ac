package analysis

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/ftpscope/ftpscope/reassembly"
)

// noticesOf returns the notices of the sessions written, in order.
func noticesOf(ss []*Session) []Notice {
	var out []Notice
	for _, s := range ss {
		if s.Audit != nil {
			out = append(out, s.Audit.Notices...)
		}
	}
	return out
}

func kinds(ns []Notice) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Kind.String())
	}
	return out
}

// TestNoticeBruteforce: 25 failed logins from one source over five
// control connections, then a success: bruteforce at the 20th failure,
// once, with the users tried, then bruteforce-success; a login from another
// source is told nothing.
func TestNoticeBruteforce(t *testing.T) {
	h := newHarness(t, "203.0.113.5:40000", "198.51.100.20:21", Config{Audit: true})
	sec := 0.0
	for conn := range 5 {
		if conn > 0 {
			h.key = reassembly.ConnKey{Client: netip.AddrPortFrom(h.key.Client.Addr(), uint16(40000+conn)), Server: h.key.Server}
			h.a.Open(h.key, h.at(sec), false)
		}
		h.rep(sec, "220 ready")
		for i := range 5 {
			sec++
			h.cmd(sec, fmt.Sprintf("USER u%d", i))
			h.rep(sec+0.1, "331 pw")
			h.cmd(sec+0.2, "PASS guess")
			h.rep(sec+0.3, "530 Login incorrect")
		}
		if conn < 4 {
			h.close(sec + 0.5)
		}
	}
	h.cmd(sec+1, "USER root")
	h.rep(sec+1.1, "331 pw")
	h.cmd(sec+1.2, "PASS toor")
	h.rep(sec+1.3, "230 in")
	h.a.Finish(h.at(sec + 100))
	var got []Notice
	clear := 0
	for _, n := range noticesOf(h.sessions) {
		if n.Kind == NoticeCleartextCredentials {
			clear++ // once per session: public addresses, no TLS
			continue
		}
		got = append(got, n)
	}
	if clear != 5 {
		t.Errorf("%d cleartext-credentials notices, want one per session", clear)
	}
	if fmt.Sprint(kinds(got)) != "[bruteforce bruteforce-success]" {
		t.Fatalf("notices %v", kinds(got))
	}
	b := got[0]
	if b.Failures != 20 || b.Servers != 1 || len(b.Users) != 5 || b.Source != netip.MustParseAddr("203.0.113.5") || !b.First.Equal(h.at(1.3)) {
		t.Errorf("bruteforce %+v", b)
	}
	if s := got[1]; s.User != "root" || s.Failures != 25 {
		t.Errorf("success %+v", s)
	}
	if st := h.a.Stats(); st.Notices[NoticeBruteforce] != 1 || st.Notices[NoticeBruteforceSuccess] != 1 {
		t.Errorf("stats %v", st.Notices)
	}
}

// TestNoticeWindow: failures spread wider than the window never add up to
// a brute force.
func TestNoticeWindow(t *testing.T) {
	h := newHarness(t, "203.0.113.5:40000", "198.51.100.20:21", Config{Audit: true, BruteforceThreshold: 3})
	h.rep(0, "220 ready")
	for i := range 6 {
		sec := float64(i) * 400
		h.cmd(sec+1, "USER a")
		h.rep(sec+1.1, "530 no")
	}
	h.finish(5000)
	if got := noticesOf(h.sessions); len(got) != 2 || !got[0].Time.Equal(h.at(801.1)) || !got[1].Time.Equal(h.at(2001.1)) {
		// 0, 400, 800: three within 15 min → a notice at 800; the next
		// three in a window once that notice's window is over, at 2000.
		t.Fatalf("notices %v", got)
	}
	h = newHarness(t, "203.0.113.5:40000", "198.51.100.20:21", Config{Audit: true, BruteforceThreshold: 3})
	h.rep(0, "220 ready")
	for i := range 6 {
		sec := float64(i) * 1000
		h.cmd(sec+1, "USER a")
		h.rep(sec+1.1, "530 no")
	}
	h.finish(9000)
	if got := noticesOf(h.sessions); len(got) != 0 {
		t.Fatalf("failures 1000 s apart: notices %v", kinds(got))
	}
}

// TestNoticeSpray: one source failing as ten users is a password spray.
func TestNoticeSpray(t *testing.T) {
	h := newHarness(t, "203.0.113.5:40000", "198.51.100.20:21", Config{Audit: true})
	h.rep(0, "220 ready")
	for i := range 10 {
		sec := float64(i + 1)
		h.cmd(sec, fmt.Sprintf("USER user%d", i))
		h.rep(sec+0.1, "331 pw")
		h.cmd(sec+0.2, "PASS Winter2026")
		h.rep(sec+0.3, "530 no")
	}
	h.finish(100)
	got := noticesOf(h.sessions)
	// Public addresses without TLS: the first password is also in clear.
	if fmt.Sprint(kinds(got)) != "[cleartext-credentials password-spray]" || len(got[1].Users) != 10 {
		t.Fatalf("notices %v %+v", kinds(got), got)
	}
}

// TestNoticeSessionEvents: an anonymous login that stores and deletes, SITE
// EXEC, a password in clear between public addresses, a PORT to a
// privileged port of a third party.
func TestNoticeSessionEvents(t *testing.T) {
	h := newHarness(t, "203.0.113.5:40000", "198.51.100.20:21", Config{Audit: true})
	h.rep(0, "220 ready")
	h.cmd(1, "USER anonymous")
	h.rep(1.1, "331 pw")
	h.cmd(1.2, "PASS a@b")
	h.rep(1.3, "230 ok")
	h.cmd(2, "MKD x")
	h.rep(2.1, "550 denied") // refused: no notice
	h.cmd(3, "PASV")
	h.rep(3.1, "227 Entering Passive Mode (198,51,100,20,200,1)")
	h.cmd(3.2, "STOR warez.zip")
	h.rep(3.3, "150 go")
	h.rep(3.4, "226 done")
	h.cmd(4, "SITE EXEC /bin/sh -c id")
	h.rep(4.1, "200 ok")
	h.cmd(5, "PORT 192,0,2,99,0,25")
	h.rep(5.1, "200 ok")
	h.finish(100)
	got := noticesOf(h.sessions)
	if fmt.Sprint(kinds(got)) != "[anonymous-write site-exec port-privileged bounce]" {
		t.Fatalf("notices %v", kinds(got))
	}
	if w := got[0]; w.Verb != "STOR" || w.Arg != "warez.zip" || w.Code != 150 || w.User != "anonymous" {
		t.Errorf("anonymous-write %+v", w)
	}
	if p := got[2]; p.Endpoint != netip.MustParseAddrPort("192.0.2.99:25") {
		t.Errorf("port-privileged %+v", p)
	}

	h = newHarness(t, "203.0.113.5:40000", "198.51.100.20:21", Config{Audit: true})
	h.rep(0, "220 ready")
	h.cmd(1, "USER alice")
	h.rep(1.1, "331 pw")
	h.cmd(1.2, "PASS secret")
	h.rep(1.3, "230 ok")
	h.cmd(2, "USER bob")
	h.rep(2.1, "331 pw")
	h.cmd(2.2, "PASS secret")
	h.rep(2.3, "230 ok")
	h.finish(100)
	if got := noticesOf(h.sessions); fmt.Sprint(kinds(got)) != "[cleartext-credentials]" || got[0].User != "alice" {
		t.Fatalf("notices %v", got)
	}
	// Private addresses: no cleartext notice.
	h = newHarness(t, "10.0.0.5:40000", "10.0.0.20:21", Config{Audit: true})
	h.rep(0, "220 ready")
	h.cmd(1, "USER alice")
	h.rep(1.1, "331 pw")
	h.cmd(1.2, "PASS secret")
	h.rep(1.3, "230 ok")
	h.finish(100)
	if got := noticesOf(h.sessions); len(got) != 0 {
		t.Fatalf("notices %v", kinds(got))
	}
}

// TestNoticeFXP: a PORT naming the server of the client's other session is
// a server-to-server transfer.
func TestNoticeFXP(t *testing.T) {
	h := newHarness(t, "10.0.0.5:40000", "10.0.0.20:21", Config{Audit: true})
	other := reassembly.ConnKey{Client: netip.MustParseAddrPort("10.0.0.5:40001"), Server: netip.MustParseAddrPort("10.0.0.30:21")}
	h.a.Open(other, h.at(0), false)
	h.rep(0, "220 ready")
	h.cmd(1, "PORT 10,0,0,30,200,1")
	h.rep(1.1, "200 ok")
	h.a.Finish(h.at(100))
	got := noticesOf(h.sessions)
	if fmt.Sprint(kinds(got)) != "[fxp]" || got[0].Endpoint != netip.MustParseAddrPort("10.0.0.30:51201") {
		t.Fatalf("notices %v", got)
	}
}

// TestNoticeSourcesBounded: past MaxLoginSources the least recently active
// source is forgotten and counted.
func TestNoticeSourcesBounded(t *testing.T) {
	h := newHarness(t, "203.0.113.5:40000", "198.51.100.20:21", Config{Audit: true, MaxLoginSources: 4})
	for i := range 10 {
		h.key = reassembly.ConnKey{Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i)}), 40000), Server: h.key.Server}
		h.a.Open(h.key, h.at(float64(i)), false)
		h.rep(float64(i), "220 ready")
		h.cmd(float64(i)+0.1, "USER x")
		h.rep(float64(i)+0.2, "530 no")
	}
	if n := len(h.a.notes.sources); n != 4 {
		t.Errorf("%d sources held, want 4", n)
	}
	if st := h.a.Stats(); st.EvictedLoginSources != 6 {
		t.Errorf("%d sources evicted, want 6", st.EvictedLoginSources)
	}
}

// TestNoticeDistributed: ten sources failing as one user within the window
// is a distributed brute force, told once, with the sources.
func TestNoticeDistributed(t *testing.T) {
	h := newHarness(t, "10.1.0.1:40000", "10.0.0.20:21", Config{Audit: true})
	for i := range 12 {
		if i > 0 {
			h.key = reassembly.ConnKey{Client: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, 0, byte(1 + i)}), 40000), Server: h.key.Server}
			h.a.Open(h.key, h.at(float64(i)), false)
		}
		h.rep(float64(i), "220 ready")
		h.cmd(float64(i)+0.1, "USER admin")
		h.rep(float64(i)+0.2, "331 pw")
		h.cmd(float64(i)+0.3, "PASS x")
		h.rep(float64(i)+0.4, "530 no")
	}
	h.a.Finish(h.at(100))
	got := noticesOf(h.sessions)
	if fmt.Sprint(kinds(got)) != "[distributed-bruteforce]" || len(got[0].Sources) != 10 || got[0].User != "admin" ||
		got[0].Sources[9] != netip.MustParseAddr("10.1.0.10") {
		t.Fatalf("notices %+v", got)
	}
}
