package ftp

// VerbClass is what a command means for the data connections and the session
// around them. Every verb has exactly one class; verbs outside the table are
// OtherVerb.
type VerbClass uint8

// The verb classes.
const (
	// OtherVerb: a command with no bearing on data connections or the
	// session's state (CWD, TYPE, SIZE, unknown verbs).
	OtherVerb VerbClass = iota
	// LoginVerb: USER, PASS, ACCT (RFC 959 4.1.1).
	LoginVerb
	// ActiveSetup: the client announces an endpoint the server connects to:
	// PORT (RFC 959), LPRT (RFC 1639), EPRT (RFC 2428).
	ActiveSetup
	// PassiveSetup: the client asks the server for an endpoint, which the
	// reply announces: PASV (227), LPSV (228), EPSV (229).
	PassiveSetup
	// TransferVerb: a command that moves a file or a listing over the data
	// connection: RETR, STOR, STOU, APPE, LIST, NLST, MLSD.
	TransferVerb
	// SecurityVerb: AUTH and ADAT (RFC 2228), which may make the control
	// channel opaque.
	SecurityVerb
	// QuitVerb: QUIT and REIN, which end the login.
	QuitVerb
	// AbortVerb: ABOR, which ends a transfer in progress.
	AbortVerb
)

var verbClassNames = [...]string{"other", "login", "active-setup", "passive-setup", "transfer", "security", "quit", "abort"}

// String names the class.
func (c VerbClass) String() string {
	if int(c) < len(verbClassNames) {
		return verbClassNames[c]
	}
	return "other"
}

// ClassSet is a set of reply classes (bit n set: class n is in the set).
type ClassSet uint8

// AnyClass holds every reply class 1 to 5.
const AnyClass ClassSet = 1<<Preliminary | 1<<Completion | 1<<Intermediate | 1<<TransientNegative | 1<<PermanentNegative

// Negative holds the two failure classes, 4yz and 5yz.
const Negative ClassSet = 1<<TransientNegative | 1<<PermanentNegative

// Has reports whether class c is in the set.
func (s ClassSet) Has(c ReplyClass) bool { return c <= PermanentNegative && s&(1<<c) != 0 }

// VerbInfo is what the analysis knows about one command verb.
type VerbInfo struct {
	// Name is the verb, upper-case.
	Name string
	// Class says what the command means.
	Class VerbClass
	// Announcement is, for a passive setup verb, the reply code whose text
	// carries the endpoint (PASV 227, LPSV 228, EPSV 229); 0 otherwise.
	Announcement ReplyCode
	// Owns lists the reply codes this verb may take among the reserved ones:
	// codes that only certain commands can receive (150 only answers a
	// transfer, 227 only a PASV). A reserved code answers no verb that does
	// not own it.
	Owns []ReplyCode
	// Otherwise is the set of reply classes the verb takes among the codes
	// no verb owns; Also lists such codes taken outside those classes (a
	// transfer takes 250 besides 4yz and 5yz).
	Otherwise ClassSet
	Also      []ReplyCode
	// Transcript says the command line is kept in a session's transcript
	// (the ladder view); TranscriptReply says its reply is kept too.
	Transcript, TranscriptReply bool
}

// Takes reports whether code can answer the verb. It is false only for pairs
// that RFC 959 and real servers rule out, so a verb outside the table takes
// any code no verb owns.
func (v VerbInfo) Takes(code ReplyCode) bool {
	if reserved[code] {
		return hasCode(v.Owns, code)
	}
	return v.Otherwise.Has(code.Class()) || hasCode(v.Also, code)
}

// IsSetup reports whether the verb announces or asks for a data endpoint.
func (v VerbInfo) IsSetup() bool { return v.Class == ActiveSetup || v.Class == PassiveSetup }

func hasCode(list []ReplyCode, c ReplyCode) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

// transferReplies are the reserved codes of a transfer: the 1yz that opens
// the data connection, and the replies about the data connection itself.
var transferReplies = []ReplyCode{125, 150, 226, 425, 426, 451}

// verbTable is every verb the analysis gives a meaning to. It is the only
// place that knowledge is written; Verb reads it.
var verbTable = []VerbInfo{
	{Name: "USER", Class: LoginVerb, Owns: []ReplyCode{230, 331, 332}, Otherwise: AnyClass, Transcript: true, TranscriptReply: true},
	{Name: "PASS", Class: LoginVerb, Owns: []ReplyCode{230}, Otherwise: AnyClass, Transcript: true, TranscriptReply: true},
	// ACCT carries account information, often secret: not kept.
	{Name: "ACCT", Class: LoginVerb, Owns: []ReplyCode{230}, Otherwise: AnyClass},

	{Name: "PORT", Class: ActiveSetup, Otherwise: AnyClass, Transcript: true, TranscriptReply: true},
	{Name: "EPRT", Class: ActiveSetup, Otherwise: AnyClass, Transcript: true, TranscriptReply: true},
	{Name: "LPRT", Class: ActiveSetup, Otherwise: AnyClass, Transcript: true, TranscriptReply: true},

	// A passive setup is answered by an announcement or an error, never by a
	// 1yz or 3yz (and the announcements are reserved: no other verb takes them).
	{Name: "PASV", Class: PassiveSetup, Announcement: 227, Owns: []ReplyCode{227, 228, 229}, Otherwise: 1<<Completion | Negative, Transcript: true, TranscriptReply: true},
	{Name: "LPSV", Class: PassiveSetup, Announcement: 228, Owns: []ReplyCode{227, 228, 229}, Otherwise: 1<<Completion | Negative, Transcript: true, TranscriptReply: true},
	{Name: "EPSV", Class: PassiveSetup, Announcement: 229, Owns: []ReplyCode{227, 228, 229}, Otherwise: 1<<Completion | Negative, Transcript: true, TranscriptReply: true},

	// Transfers end in 1yz, 226/250, 4yz or 5yz.
	{Name: "RETR", Class: TransferVerb, Owns: transferReplies, Otherwise: Negative, Also: []ReplyCode{250}, Transcript: true},
	{Name: "STOR", Class: TransferVerb, Owns: transferReplies, Otherwise: Negative, Also: []ReplyCode{250}, Transcript: true},
	{Name: "STOU", Class: TransferVerb, Owns: transferReplies, Otherwise: Negative, Also: []ReplyCode{250}, Transcript: true},
	{Name: "APPE", Class: TransferVerb, Owns: transferReplies, Otherwise: Negative, Also: []ReplyCode{250}, Transcript: true},
	{Name: "LIST", Class: TransferVerb, Owns: transferReplies, Otherwise: Negative, Also: []ReplyCode{250}, Transcript: true},
	{Name: "NLST", Class: TransferVerb, Owns: transferReplies, Otherwise: Negative, Also: []ReplyCode{250}, Transcript: true},
	{Name: "MLSD", Class: TransferVerb, Owns: transferReplies, Otherwise: Negative, Also: []ReplyCode{250}, Transcript: true},

	{Name: "AUTH", Class: SecurityVerb, Owns: []ReplyCode{234, 334}, Otherwise: AnyClass, Transcript: true, TranscriptReply: true},
	{Name: "ADAT", Class: SecurityVerb, Owns: []ReplyCode{234, 334}, Otherwise: AnyClass},

	// QUIT is answered by 221 or an error (a 2yz other than 221 belongs
	// to a command whose reply was late).
	{Name: "QUIT", Class: QuitVerb, Owns: []ReplyCode{221}, Otherwise: Negative, Transcript: true},
	{Name: "REIN", Class: QuitVerb, Owns: []ReplyCode{221}, Otherwise: AnyClass},

	// ABOR takes the 426 and 226 that close the aborted transfer.
	{Name: "ABOR", Class: AbortVerb, Owns: []ReplyCode{226, 426}, Otherwise: AnyClass, Transcript: true},
}

// verbIndex, reserved and announcing are built from verbTable once and never
// written afterwards.
var verbIndex, reserved, announcing = func() (map[string]VerbInfo, map[ReplyCode]bool, map[ReplyCode]bool) {
	idx := make(map[string]VerbInfo, len(verbTable))
	res, ann := make(map[ReplyCode]bool), make(map[ReplyCode]bool)
	for _, v := range verbTable {
		idx[v.Name] = v
		for _, c := range v.Owns {
			res[c] = true
		}
		if v.Announcement != 0 {
			ann[v.Announcement] = true
		}
	}
	return idx, res, ann
}()

// Verb returns what is known about a verb (upper-case, as ParseCommand
// returns it). A verb outside the table is an OtherVerb that takes every
// reply code no verb owns.
func Verb(name string) VerbInfo {
	if v, ok := verbIndex[name]; ok {
		return v
	}
	return VerbInfo{Name: name, Otherwise: AnyClass}
}

// Announces reports whether code is the reply that announces a passive
// endpoint (227, 228, 229): such a reply describes itself and answers only a
// passive setup.
func Announces(code ReplyCode) bool { return announcing[code] }

// IsTransfer reports whether verb opens a data connection to move a file or a
// listing: RETR, STOR, STOU, APPE, LIST, NLST and MLSD. The verb must already
// be upper-case, as ParseCommand returns it.
func IsTransfer(verb string) bool { return Verb(verb).Class == TransferVerb }

// IsDataSetup reports whether verb announces or requests a data connection
// endpoint: PORT, EPRT, LPRT (active) and PASV, EPSV, LPSV (passive). The verb
// must already be upper-case.
func IsDataSetup(verb string) bool { return Verb(verb).IsSetup() }
