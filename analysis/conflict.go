package analysis

import (
	"fmt"
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
	st := a.sessions[conn]
	if st == nil {
		return
	}
	st.s.Conflicts++
	if st.s.Conflicts == 1 {
		a.note(st, t, NoteConflict, fmt.Sprintf("packet %d from the %s overlaps bytes already sent with different content: "+
			"an evasion attempt (one text for a firewall's FTP helper, another for the %s) or a broken middlebox; "+
			"only one of the two texts is analysed here, and the %s may have acted on the other", packet, from, other(from), other(from)))
	}
}

func other(r reassembly.Role) reassembly.Role {
	if r == reassembly.RoleClient {
		return reassembly.RoleServer
	}
	return reassembly.RoleClient
}
