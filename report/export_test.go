package report

import (
	"bytes"

	"github.com/ftpscope/ftpscope/analysis"
)

// JSONBothWays returns the session's record (with stream, its channels'
// streamed records before it) and its notices' records, as the JSON writer
// writes them (by hand) and as encoding/json writes the same structs
// through newJSONEncoder.
func JSONBothWays(s *analysis.Session, stream bool) (fast, reflected string) {
	var f, r bytes.Buffer
	enc := newJSONEncoder(&r)
	if stream {
		for _, c := range s.Channels {
			rec := jsonStreamChannel{Type: "channel", Client: ap(s.Client), Server: ap(s.Server), jsonChannel: channelJSON(c, &jsonScratch{})}
			f.Write(appendStreamChannelJSON(nil, &rec))
			if err := enc.Encode(rec); err != nil {
				panic(err)
			}
		}
	}
	rec := sessionJSON(s, &jsonScratch{})
	f.Write(appendSessionJSON(nil, &rec))
	if err := enc.Encode(rec); err != nil {
		panic(err)
	}
	ns := sessionNotices(s)
	for i := range ns {
		n := noticeJSON(s, &ns[i], &jsonScratch{})
		f.Write(appendNoticeJSON(nil, &n))
		if err := enc.Encode(n); err != nil {
			panic(err)
		}
	}
	return f.String(), r.String()
}
