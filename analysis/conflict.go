package analysis

import (
	"time"

	"github.com/ftpscope/ftpscope/reassembly"
)

// Conflict implements reassembly.ConflictHandler: two segments of one
// direction carried different bytes for the same sequence numbers. That is
// how an attacker shows one command to a firewall's FTP helper and another
// to the server, so the session says so rather than trusting either text
// silently.
func (a *Analyzer) Conflict(conn reassembly.ConnKey, from reassembly.Role, t time.Time, packet uint64) {
	a.clock(t)
	st := a.session(conn)
	if st == nil {
		return
	}
	st.s.Conflicts++
	if st.s.Conflicts == 1 {
		a.note(st, Note{Time: t, Kind: NoteConflict, What: NoteOverlap, N: packet, FromServer: from == reassembly.RoleServer})
	}
}
