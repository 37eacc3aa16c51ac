package ftp

import "strings"

// Risk says what a command may do to the server's files or the server
// itself: what an audit of a session marks.
type Risk uint8

// The risks.
const (
	// NoRisk: the command reads or navigates.
	NoRisk Risk = iota
	// Write: the command adds or overwrites content (STOR, STOU, APPE,
	// MKD and its RFC 775 twin XMKD).
	Write
	// Delete: the command removes a file or directory (DELE, RMD, XRMD).
	Delete
	// Rename: the command renames (RNFR names the victim, RNTO the new name).
	Rename
	// Site: SITE runs a server-specific command (EXEC, CHMOD, UMASK...),
	// which may change permissions or run programs.
	Site
)

var riskNames = [...]string{"", "write", "delete", "rename", "site"}

// String names the risk ("" for NoRisk).
func (r Risk) String() string {
	if int(r) < len(riskNames) {
		return riskNames[r]
	}
	return ""
}

// risks is every verb an audit marks; it is never written after
// initialisation.
var risks = map[string]Risk{
	"STOR": Write, "STOU": Write, "APPE": Write, "MKD": Write, "XMKD": Write,
	"DELE": Delete, "RMD": Delete, "XRMD": Delete,
	"RNFR": Rename, "RNTO": Rename,
	"SITE": Site,
}

// RiskOf returns the risk of a verb (upper-case, as ParseCommand returns it).
func RiskOf(verb string) Risk { return risks[verb] }

// guestIDs are the user names taken for an anonymous login: Zeek's
// FTP::guest_ids, so that ftpscope and Zeek call the same logins anonymous.
var guestIDs = []string{"anonymous", "ftp", "ftpuser", "guest"}

// IsAnonymous reports whether a USER argument asks for an anonymous login
// (case does not matter).
func IsAnonymous(user string) bool {
	for _, g := range guestIDs {
		if strings.EqualFold(strings.TrimSpace(user), g) {
			return true
		}
	}
	return false
}

// LoginReply says what a reply to USER, PASS or ACCT means for the login.
type LoginReply uint8

// The meanings of a login reply.
const (
	// LoginPending: the server wants more (331 password, 332 account) or
	// the reply is preliminary.
	LoginPending LoginReply = iota
	// LoginAccepted: 230, or 202 to PASS/ACCT ("superfluous": logged in).
	LoginAccepted
	// LoginRefused: any 4yz or 5yz (530, 421, 503 "USER first"...).
	LoginRefused
)

// JudgeLogin returns what code means as the answer to the login verb.
func JudgeLogin(verb string, code ReplyCode) LoginReply {
	switch {
	case code == 230, code == 202 && verb != "USER":
		return LoginAccepted
	case code.Class() == TransientNegative || code.Class() == PermanentNegative:
		return LoginRefused
	}
	return LoginPending
}
