package analysis

import (
	"testing"

	"github.com/ftpscope/ftpscope/reassembly"
)

// tlsBytes is a line of TLS record bytes as reassembly cuts them at a LF.
var tlsBytes = string([]byte{0x17, 0x03, 0x03, 0x00, 0x45, 0x9a, 0xf1, 0x00, 0x7f, 0x80, 0xc2, 'P', 'W', 'D'})

// TestCCC: after AUTH TLS the channel is opaque; after CCC the client's
// next command is in clear, and what follows is read again: the PASV's
// channel is tracked, and a note says the channel is clear again.
func TestCCC(t *testing.T) {
	h := newHarness(t, "10.0.0.5:40000", "10.0.0.20:21", Config{Audit: true})
	h.rep(0, "220 ready")
	h.cmd(1, "AUTH TLS")
	h.rep(1.1, "234 Proceed")
	for i := range 10 {
		sec := 2 + float64(i)*0.1
		h.a.Line(reassembly.Line{Conn: h.key, From: reassembly.RoleClient, Time: h.at(sec), Text: []byte(tlsBytes)})
		h.a.Line(reassembly.Line{Conn: h.key, From: reassembly.RoleServer, Time: h.at(sec + 0.01), Text: []byte(tlsBytes)})
	}
	h.cmd(5, "PASV")
	h.rep(5.1, "227 Entering Passive Mode (10,0,0,20,200,10)")
	h.cmd(5.2, "RETR f")
	h.connect(5.3, "10.0.0.5:50000", "10.0.0.20:51210", 100)
	h.rep(5.4, "150 go")
	h.rep(5.5, "226 done")
	s := h.finish(20)
	if !s.TLS || len(s.Channels) != 1 || s.Channels[0].Verdict != OK || s.Channels[0].Command != "RETR" {
		t.Fatalf("tls %v, channels %+v", s.TLS, s.Channels)
	}
	var clear, junk int
	for _, n := range s.Notes {
		switch n.What {
		case NoteClearAgain:
			clear++
			if n.Wire != "PASV" {
				t.Errorf("clear-again note names %q", n.Wire)
			}
		case NoteNotCommand, NoteNotReply:
			junk++
		}
	}
	if clear != 1 || junk != 0 {
		t.Errorf("%d clear-again notes, %d notes about TLS bytes: %+v", clear, junk, s.Notes)
	}
}

// TestImplicitTLS: a connection whose first bytes are a TLS ClientHello is
// implicit FTPS: TLS, one note, nothing read from it.
func TestImplicitTLS(t *testing.T) {
	h := newHarness(t, "10.0.0.5:40000", "10.0.0.20:990", Config{Audit: true})
	hello := string([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03})
	h.a.Line(reassembly.Line{Conn: h.key, From: reassembly.RoleClient, Time: h.at(0.1), Text: []byte(hello)})
	for i := range 5 {
		h.a.Line(reassembly.Line{Conn: h.key, From: reassembly.RoleServer, Time: h.at(0.2 + float64(i)*0.1), Text: []byte(tlsBytes)})
		// Implicit TLS never turns clear: not even a line that reads like a command.
		h.a.Line(reassembly.Line{Conn: h.key, From: reassembly.RoleClient, Time: h.at(0.25 + float64(i)*0.1), Text: []byte("NOOP")})
	}
	h.close(5)
	s := h.finish(10)
	if !s.TLS || len(s.Notes) != 1 || s.Notes[0].What != NoteImplicitTLS || s.Commands != 0 || s.Replies != 0 {
		t.Fatalf("tls %v, %d commands, notes %+v", s.TLS, s.Commands, s.Notes)
	}
}
