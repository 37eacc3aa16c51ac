package report

import (
	"strings"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/flowid"
)

// noticeLogFields are the columns of Zeek's notice.log (Notice::Info, Zeek
// 5 and later) and, last, the community_id that the community-id
// package's notice script adds.
var noticeLogFields = []zeekField{
	{"ts", zTime}, {"uid", zString}, {"id.orig_h", zAddr}, {"id.orig_p", zPort}, {"id.resp_h", zAddr}, {"id.resp_p", zPort},
	{"fuid", zString}, {"file_mime_type", zString}, {"file_desc", zString}, {"proto", zEnum}, {"note", zEnum},
	{"msg", zString}, {"sub", zString}, {"src", zAddr}, {"dst", zAddr}, {"p", zPort}, {"n", zCount},
	{"peer_descr", zString}, {"actions", zSetEnum}, {"email_dest", zSetString}, {"suppress_for", zInterval},
	{"remote_location.country_code", zString}, {"remote_location.region", zString}, {"remote_location.city", zString},
	{"remote_location.latitude", zDouble}, {"remote_location.longitude", zDouble},
	{"community_id", zString},
}

// zeekNoteNames are the notice types: Zeek's own where Zeek has the notice
// (FTP::Bruteforcing, from policy/protocols/ftp/detect-bruteforcing), the
// FTPScope module's for the others.
var zeekNoteNames = map[analysis.NoticeKind]string{
	analysis.NoticeBruteforce:            "FTP::Bruteforcing",
	analysis.NoticeBruteforceSuccess:     "FTPScope::Bruteforce_Success",
	analysis.NoticePasswordSpray:         "FTPScope::Password_Spray",
	analysis.NoticeAnonymousWrite:        "FTPScope::Anonymous_Write",
	analysis.NoticeSiteExec:              "FTPScope::Site_Exec",
	analysis.NoticePortPrivileged:        "FTPScope::Port_Privileged",
	analysis.NoticeFXP:                   "FTPScope::FXP",
	analysis.NoticeBounce:                "FTPScope::Bounce",
	analysis.NoticeCleartextCredentials:  "FTPScope::Cleartext_Credentials",
	analysis.NoticeDistributedBruteforce: "FTPScope::Distributed_Bruteforce",
}

// noticeLogRow is a notice's notice.log row. A brute force is about a
// host, not a connection: like Zeek's, its row names only the source.
// Zeek's default suppression (Notice::default_suppression_interval, 1 h)
// is logged as it would be.
func noticeLogRow(s *analysis.Session, n *analysis.Notice) []zv {
	row := make([]zv, len(noticeLogFields))
	row[0] = zAt(n.Time)
	conn := n.Kind != analysis.NoticeBruteforce
	if conn {
		row[1] = zStr(SessionUID(s))
		row[2], row[3] = zAddrOf(s.Client.Addr()), zNum(uint64(s.Client.Port()))
		row[4], row[5] = zAddrOf(s.Server.Addr()), zNum(uint64(s.Server.Port()))
		row[9] = zStr("tcp")
		row[14], row[15] = zAddrOf(s.Server.Addr()), zNum(uint64(s.Server.Port()))
		row[26] = zStr(flowid.CommunityID(s.Client, s.Server, flowid.ProtoTCP))
	}
	row[10] = zStr(zeekNoteNames[n.Kind])
	row[11] = zStr(NoticeReason(n))
	switch {
	case n.Arg != "":
		row[12] = zStr(n.Verb + " " + n.Arg)
	case len(n.Sources) > 0:
		list := make([]string, len(n.Sources))
		for i, a := range n.Sources {
			list[i] = a.String()
		}
		row[12] = zStr("sources: " + strings.Join(list, ","))
	case len(n.Users) > 0 && n.Kind != analysis.NoticeBruteforce:
		row[12] = zStr("users: " + strings.Join(n.Users, ","))
	case n.Endpoint.IsValid():
		row[12] = zStr(n.Verb + " " + n.Endpoint.String())
	}
	row[13] = zAddrOf(n.Source)
	if n.Failures > 0 {
		row[16] = zNum(uint64(n.Failures))
	}
	row[18] = zList("Notice::ACTION_LOG")
	row[19] = zList()
	row[20] = zFloat(3600)
	return row
}
