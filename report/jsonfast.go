package report

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// The session and channel records are the JSON output's bulk: on a
// control-heavy capture encoding/json's reflection and the jsonSafe pass
// after it took a sixth of the run. The functions below append the same
// records by hand, byte for byte what newJSONEncoder writes for the
// structs in json.go (TestJSONFastMatchesEncoder and FuzzEscape hold them
// to it): the structs stay the contract's definition, these follow their
// field order, omitempty and null rules. The summary and the firewall view
// (one record each) still go through encoding/json.

// jsonPlain marks the ASCII bytes a JSON string holds as they are: one
// lookup per byte in appendJSONString's loop, where most bytes are.
var jsonPlain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != 0x7f
	}
	return t
}()

// plain8 reports whether none of the 8 bytes of s needs escaping in JSON or
// decoding as UTF-8: each is printable ASCII (0x20 to 0x7e) other than '"'
// and '\\' (jsonPlain, eight at once).
func plain8(s string) bool { return plainWord(word8(s)) }

// word8 is the first 8 bytes of s as one little-endian word: one load (the
// hint leaves a single bounds check, and the compiler merges the byte loads).
func word8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plainWord is plain8 on a word. The tests are the usual word-at-a-time
// ones: a byte below n sets its high bit in (x - n·0x01…) &^ x, a byte equal
// to v is a zero byte of x ^ v·0x01….
func plainWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, bs, del := x^'"'*ones, x^'\\'*ones, x^0x7f*ones
	bad := x | (x-0x20*ones)&^x | (q-ones)&^q | (bs-ones)&^bs | (del-ones)&^del
	return bad&highs == 0
}

// appendJSONString appends s as a JSON string the way encoding/json writes
// it with HTML escaping off (\" \\ \b \f \n \r \t, other C0 controls as
// \u00NN, bytes that are not UTF-8 as \ufffd, U+2028 and U+2029 escaped),
// with what jsonSafe adds: DEL, C1 and bidi controls as \uNNNN.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look: nearly every
		// string here (addresses, times, sentences) is plain ASCII.
		for i+8 <= len(s) && plainWord(word8(s[i:])) {
			i += 8
		}
		if i < len(s) && i+8 > len(s) && len(s) >= 8 && plainWord(word8(s[len(s)-8:])) {
			// Fewer than 8 bytes are left: the last word, overlapping
			// the words already looked at, holds them all.
			i = len(s)
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = appendRuneEscape(dst, rune(c))
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029' || hidden(r):
			dst = appendRuneEscape(append(dst, s[start:i]...), r)
		default:
			i += n
			continue
		}
		i += n
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJSONFloat appends f as encoding/json writes a float64 (ES6 number
// formatting).
func appendJSONFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9, as encoding/json writes it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

func appendJSONBool(dst []byte, v bool) []byte { return strconv.AppendBool(dst, v) }

func appendJSONIntPtr(dst []byte, p *int) []byte {
	if p == nil {
		return append(dst, "null"...)
	}
	return strconv.AppendInt(dst, int64(*p), 10)
}

// appendJSONArray appends v as a JSON array, each element written by elem;
// a nil slice is null, as encoding/json writes it.
func appendJSONArray[T any](b []byte, v []T, elem func([]byte, *T) []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = elem(b, &v[i])
	}
	return append(b, ']')
}

// appendJSONStrings appends a []string (null when nil, as encoding/json).
func appendJSONStrings(dst []byte, v []string) []byte {
	return appendJSONArray(dst, v, func(b []byte, s *string) []byte { return appendJSONString(b, *s) })
}

func appendJSONInts(dst []byte, v []int) []byte {
	return appendJSONArray(dst, v, func(b []byte, n *int) []byte { return strconv.AppendInt(b, int64(*n), 10) })
}

// appendSessionJSON appends a session record and its newline.
func appendSessionJSON(b []byte, r *jsonSession) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, r.Type)
	b = append(b, `,"client":`...)
	b = appendJSONString(b, r.Client)
	b = append(b, `,"server":`...)
	b = appendJSONString(b, r.Server)
	b = append(b, `,"start":`...)
	b = appendJSONString(b, r.Start)
	b = append(b, `,"end":`...)
	b = appendJSONString(b, r.End)
	b = append(b, `,"user":`...)
	b = appendJSONString(b, r.User)
	b = append(b, `,"tls":`...)
	b = appendJSONBool(b, r.TLS)
	b = append(b, `,"modes":`...)
	b = appendJSONStrings(b, r.Modes)
	b = append(b, `,"channels":`...)
	b = appendJSONArray(b, r.Channels, func(b []byte, c *jsonChannel) []byte {
		return append(appendChannelFields(append(b, '{'), c), '}')
	})
	if r.Password != "" {
		b = append(b, `,"password":`...)
		b = appendJSONString(b, r.Password)
	}
	b = append(b, `,"midstream":`...)
	b = appendJSONBool(b, r.Midstream)
	if r.EPSVAll {
		b = append(b, `,"epsv_all":true`...)
	}
	if r.Greeting != "" {
		b = append(b, `,"greeting":`...)
		b = appendJSONString(b, r.Greeting)
	}
	b = append(b, `,"commands":`...)
	b = strconv.AppendInt(b, int64(r.Commands), 10)
	b = append(b, `,"replies":`...)
	b = strconv.AppendInt(b, int64(r.Replies), 10)
	b = append(b, `,"gap_bytes":`...)
	b = strconv.AppendInt(b, int64(r.GapBytes), 10)
	b = append(b, `,"closed":`...)
	b = appendJSONString(b, r.Closed)
	if r.ChannelsDropped != 0 {
		b = append(b, `,"channels_dropped":`...)
		b = strconv.AppendInt(b, int64(r.ChannelsDropped), 10)
	}
	b = append(b, `,"notes":`...)
	b = appendJSONArray(b, r.Notes, func(b []byte, n *jsonNote) []byte {
		b = append(b, `{"time":`...)
		b = appendJSONString(b, n.Time)
		b = append(b, `,"kind":`...)
		b = appendJSONString(b, n.Kind)
		b = append(b, `,"text":`...)
		b = appendJSONString(b, n.Text)
		return append(b, '}')
	})
	b = append(b, `,"capture_point":`...)
	b = appendCapturePointJSON(b, &r.CapturePoint)
	b = append(b, `,"lint":`...)
	b = appendJSONArray(b, r.Lint, func(b []byte, l *jsonLint) []byte {
		b = append(b, `{"code":`...)
		b = appendJSONString(b, l.Code)
		b = append(b, `,"time":`...)
		b = appendJSONString(b, l.Time)
		if l.Packet != 0 {
			b = append(b, `,"packet":`...)
			b = strconv.AppendUint(b, l.Packet, 10)
		}
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(l.Count), 10)
		b = append(b, `,"text":`...)
		b = appendJSONString(b, l.Text)
		return append(b, '}')
	})
	b = append(b, `,"latency":{"commands":`...)
	b = strconv.AppendInt(b, int64(r.Latency.Commands), 10)
	b = appendOptMS(b, `,"mean_ms":`, r.Latency.Mean)
	b = appendOptMS(b, `,"min_ms":`, r.Latency.Min)
	b = appendOptMS(b, `,"max_ms":`, r.Latency.Max)
	b = append(b, '}')
	b = appendOptInt(b, `,"user_len":`, r.UserLen)
	b = appendOptInt(b, `,"password_len":`, r.PasswordLen)
	b = append(b, `,"uid":`...)
	b = appendJSONString(b, r.UID)
	b = append(b, `,"community_id":`...)
	b = appendJSONString(b, r.CommunityID)
	if l := r.Login; l != nil {
		b = appendLoginJSON(append(b, `,"login":`...), l)
	}
	if len(r.CommandLog) > 0 {
		b = appendJSONArray(append(b, `,"command_log":`...), r.CommandLog, appendCommandJSON)
	}
	if r.CommandLogDropped != 0 {
		b = append(b, `,"command_log_dropped":`...)
		b = strconv.AppendInt(b, int64(r.CommandLogDropped), 10)
	}
	if r.TLSMode != "" {
		b = append(b, `,"tls_mode":`...)
		b = appendJSONString(b, r.TLSMode)
	}
	b = appendPointsJSON(b, r)
	return append(b, "}\n"...)
}

// appendStreamChannelJSON appends a streamed channel record and its newline.
func appendStreamChannelJSON(b []byte, r *jsonStreamChannel) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, r.Type)
	b = append(b, `,"client":`...)
	b = appendJSONString(b, r.Client)
	b = append(b, `,"server":`...)
	b = appendJSONString(b, r.Server)
	b = append(b, ',')
	b = appendChannelFields(b, &r.jsonChannel)
	return append(b, "}\n"...)
}

// appendOptMS appends an omitempty *float64 field with its key.
func appendOptMS(b []byte, key string, v *float64) []byte {
	if v == nil {
		return b
	}
	return appendJSONFloat(append(b, key...), *v)
}

// appendOptInt appends an omitempty *int field with its key.
func appendOptInt(b []byte, key string, v *int) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendInt(append(b, key...), int64(*v), 10)
}

func appendCapturePointJSON(b []byte, c *jsonCapturePoint) []byte {
	b = append(b, `{"position":`...)
	b = appendJSONString(b, c.Position)
	b = appendOptInt(b, `,"client_ttl":`, c.ClientTTL)
	b = appendOptInt(b, `,"client_hops":`, c.ClientHops)
	b = appendOptInt(b, `,"server_ttl":`, c.ServerTTL)
	b = appendOptInt(b, `,"server_hops":`, c.ServerHops)
	return append(b, '}')
}

// appendChannelFields appends a channel's fields, without the braces (a
// streamed channel record puts its own before them).
func appendChannelFields(b []byte, c *jsonChannel) []byte {
	b = append(b, `"method":`...)
	b = appendJSONString(b, c.Method)
	b = append(b, `,"mode":`...)
	b = appendJSONString(b, c.Mode)
	b = append(b, `,"announced":`...)
	b = appendJSONString(b, c.Announced)
	b = append(b, `,"time":`...)
	b = appendJSONString(b, c.Time)
	b = append(b, `,"command":`...)
	b = appendJSONString(b, c.Command)
	b = append(b, `,"argument":`...)
	b = appendJSONString(b, c.Argument)
	b = append(b, `,"reply":`...)
	b = appendJSONIntPtr(b, c.Reply)
	b = append(b, `,"connection":`...)
	if c.Connection == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"from":`...)
		b = appendJSONString(b, c.Connection.From)
		b = append(b, `,"to":`...)
		b = appendJSONString(b, c.Connection.To)
		b = append(b, '}')
	}
	b = append(b, `,"syn":`...)
	b = strconv.AppendInt(b, int64(c.SYN), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendUint(b, c.Bytes, 10)
	b = append(b, `,"verdict":`...)
	b = appendJSONString(b, c.Verdict)
	b = append(b, `,"blocked":`...)
	b = appendJSONBool(b, c.Blocked)
	b = append(b, `,"nat":`...)
	b = appendJSONBool(b, c.NAT)
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, c.Reason)
	b = append(b, `,"control_endpoint":`...)
	b = appendJSONString(b, c.Alternate)
	if c.Matched != "" {
		b = append(b, `,"matched":`...)
		b = appendJSONString(b, c.Matched)
	}
	b = append(b, `,"replies":`...)
	b = appendJSONInts(b, c.Replies)
	if c.ReplyText != "" {
		b = append(b, `,"reply_text":`...)
		b = appendJSONString(b, c.ReplyText)
	}
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(c.Attempts), 10)
	b = append(b, `,"synack":`...)
	b = appendJSONBool(b, c.SYNACK)
	b = append(b, `,"rst":`...)
	b = appendJSONBool(b, c.RST)
	if i := c.ICMP; i != nil {
		b = appendICMPJSON(append(b, `,"icmp":`...), i)
	}
	if c.Superseded {
		b = append(b, `,"superseded":true`...)
	}
	b = appendOptInt(b, `,"setup_reply":`, c.SetupReply)
	if c.SetupRefused {
		b = append(b, `,"setup_refused":true`...)
	}
	if c.Packet != 0 {
		b = append(b, `,"packet":`...)
		b = strconv.AppendUint(b, c.Packet, 10)
	}
	b = append(b, `,"vantage":`...)
	b = appendJSONString(b, c.Vantage)
	if d := c.NATDiagnosis; d != nil {
		b = append(b, `,"nat_diagnosis":{"kind":`...)
		b = appendJSONString(b, d.Kind)
		b = append(b, `,"announced":`...)
		b = appendJSONString(b, d.Announced)
		b = append(b, `,"control":`...)
		b = appendJSONString(b, d.Control)
		b = append(b, `,"connected_to":`...)
		b = appendJSONString(b, d.ConnectedTo)
		b = append(b, `,"established":`...)
		b = appendJSONBool(b, d.Established)
		b = append(b, `,"supported":`...)
		b = appendJSONString(b, d.Supported)
		b = append(b, `,"hypothesis":`...)
		b = appendJSONString(b, d.Hypothesis)
		b = append(b, `,"fix":`...)
		b = appendJSONString(b, d.Fix)
		b = append(b, '}')
	}
	b = append(b, `,"timings":{`...)
	n := len(b)
	b = appendOptMS(b, `,"setup_reply_ms":`, c.Timings.SetupReply)
	b = appendOptMS(b, `,"announce_to_syn_ms":`, c.Timings.AnnounceToSYN)
	b = appendOptMS(b, `,"syn_to_synack_ms":`, c.Timings.SYNToSYNACK)
	b = appendOptMS(b, `,"command_to_reply_ms":`, c.Timings.CommandToReply)
	b = appendOptMS(b, `,"prelim_to_data_ms":`, c.Timings.PrelimToData)
	if len(b) > n {
		// The first timing written needs no comma before it.
		b = append(b[:n], b[n+1:]...)
	}
	b = append(b, '}')
	b = appendOptInt(b, `,"argument_len":`, c.ArgumentLen)
	if c.CommunityID != "" {
		b = append(b, `,"community_id":`...)
		b = appendJSONString(b, c.CommunityID)
	}
	if c.Transfer != nil {
		b = appendTransferJSON(append(b, `,"transfer":`...), c.Transfer)
	}
	if c.Path != nil {
		b = appendPathJSON(append(b, `,"path":`...), c.Path)
	}
	if c.DataProtection != "" {
		b = appendJSONString(append(b, `,"data_protection":`...), c.DataProtection)
	}
	return b
}

func appendICMPJSON(b []byte, i *jsonICMP) []byte {
	b = append(b, `{"from":`...)
	b = appendJSONString(b, i.From)
	b = append(b, `,"type":`...)
	b = strconv.AppendUint(b, uint64(i.Type), 10)
	b = append(b, `,"code":`...)
	b = strconv.AppendUint(b, uint64(i.Code), 10)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, i.Text)
	b = append(b, `,"v6":`...)
	b = appendJSONBool(b, i.V6)
	return append(b, '}')
}

// appendPathJSON appends a channel's path along the capture points.
func appendPathJSON(b []byte, p *jsonPath) []byte {
	b = append(b, `{"points":`...)
	b = appendJSONArray(b, p.Points, func(b []byte, q *jsonPathPoint) []byte {
		b = append(b, `{"name":`...)
		b = appendJSONString(b, q.Name)
		b = append(b, `,"seen":`...)
		b = appendJSONBool(b, q.Seen)
		b = append(b, `,"announced":`...)
		b = appendJSONString(b, q.Announced)
		b = append(b, `,"syns":`...)
		b = strconv.AppendInt(b, int64(q.SYNs), 10)
		b = append(b, `,"synack":`...)
		b = appendJSONBool(b, q.SYNACK)
		b = append(b, `,"reset":`...)
		b = appendJSONBool(b, q.Reset)
		if q.ForgedReset {
			b = append(b, `,"forged_reset":true`...)
		}
		if q.ICMP != nil {
			b = appendICMPJSON(append(b, `,"icmp":`...), q.ICMP)
		}
		b = append(b, `,"payload_bytes":`...)
		b = strconv.AppendUint(b, q.PayloadBytes, 10)
		b = append(b, `,"verdict":`...)
		b = appendJSONString(b, q.Verdict)
		return append(b, '}')
	})
	b = append(b, `,"lost_between":`...)
	b = appendJSONStrings(b, p.LostBetween)
	if p.Lost != "" {
		b = append(b, `,"lost":`...)
		b = appendJSONString(b, p.Lost)
	}
	if p.LostBeyond != "" {
		b = append(b, `,"lost_beyond":`...)
		b = appendJSONString(b, p.LostBeyond)
	}
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, p.Reason)
	return append(b, '}')
}

// appendPointsJSON appends a session's capture-point fields (--point).
func appendPointsJSON(b []byte, r *jsonSession) []byte {
	if len(r.Points) > 0 {
		b = appendJSONStrings(append(b, `,"points":`...), r.Points)
	}
	if len(r.PointSessions) > 0 {
		b = appendJSONArray(append(b, `,"point_sessions":`...), r.PointSessions, func(b []byte, p *jsonPointSession) []byte {
			b = append(b, `{"name":`...)
			b = appendJSONString(b, p.Name)
			b = append(b, `,"client":`...)
			b = appendJSONString(b, p.Client)
			b = append(b, `,"server":`...)
			b = appendJSONString(b, p.Server)
			b = append(b, `,"start":`...)
			b = appendJSONString(b, p.Start)
			b = append(b, `,"uid":`...)
			b = appendJSONString(b, p.UID)
			b = append(b, `,"community_id":`...)
			b = appendJSONString(b, p.CommunityID)
			if p.Joined != "" {
				b = append(b, `,"joined_by":`...)
				b = appendJSONString(b, p.Joined)
			}
			return append(b, '}')
		})
	}
	if r.Rewrites != nil {
		b = appendJSONArray(append(b, `,"rewrites":`...), *r.Rewrites, func(b []byte, w *jsonRewrite) []byte {
			b = append(b, `{"between":`...)
			b = appendJSONStrings(b, w.Between)
			b = append(b, `,"field":`...)
			b = appendJSONString(b, w.Field)
			b = append(b, `,"from":`...)
			b = appendJSONString(b, w.From)
			b = append(b, `,"to":`...)
			b = appendJSONString(b, w.To)
			if w.Side != "" {
				b = append(b, `,"side":`...)
				b = appendJSONString(b, w.Side)
			}
			if w.Channel != 0 {
				b = append(b, `,"channel":`...)
				b = strconv.AppendInt(b, int64(w.Channel), 10)
			}
			if w.Breaks {
				b = append(b, `,"breaks":true`...)
			}
			b = append(b, `,"text":`...)
			b = appendJSONString(b, w.Text)
			return append(b, '}')
		})
	}
	if r.PointsNote != "" {
		b = append(b, `,"points_note":`...)
		b = appendJSONString(b, r.PointsNote)
	}
	return b
}

func appendLoginJSON(b []byte, l *jsonLogin) []byte {
	b = append(b, `{"user":`...)
	b = appendJSONString(b, l.User)
	b = append(b, `,"outcome":`...)
	b = appendJSONString(b, l.Outcome)
	b = append(b, `,"anonymous":`...)
	b = appendJSONBool(b, l.Anonymous)
	if l.Time != "" {
		b = append(b, `,"time":`...)
		b = appendJSONString(b, l.Time)
	}
	b = append(b, `,"failures":`...)
	b = strconv.AppendInt(b, int64(l.Failures), 10)
	b = append(b, `,"attempts":`...)
	b = appendJSONArray(b, l.Attempts, func(b []byte, at *jsonLoginAttempt) []byte {
		b = append(b, `{"time":`...)
		b = appendJSONString(b, at.Time)
		b = append(b, `,"user":`...)
		b = appendJSONString(b, at.User)
		if at.Password != "" {
			b = append(b, `,"password":`...)
			b = appendJSONString(b, at.Password)
		}
		b = append(b, `,"password_sent":`...)
		b = appendJSONBool(b, at.PasswordSent)
		b = append(b, `,"reply":`...)
		b = appendJSONIntPtr(b, at.Reply)
		b = append(b, `,"outcome":`...)
		b = appendJSONString(b, at.Outcome)
		return append(b, '}')
	})
	if l.AttemptsDropped != 0 {
		b = append(b, `,"attempts_dropped":`...)
		b = strconv.AppendInt(b, int64(l.AttemptsDropped), 10)
	}
	return append(b, '}')
}

func appendCommandJSON(b []byte, c *jsonCommand) []byte {
	b = append(b, `{"time":`...)
	b = appendJSONString(b, c.Time)
	b = append(b, `,"command":`...)
	b = appendJSONString(b, c.Command)
	b = append(b, `,"argument":`...)
	b = appendJSONString(b, c.Argument)
	b = appendOptInt(b, `,"argument_len":`, c.ArgumentLen)
	b = append(b, `,"reply":`...)
	b = appendJSONIntPtr(b, c.Reply)
	if c.ReplyText != "" {
		b = append(b, `,"reply_text":`...)
		b = appendJSONString(b, c.ReplyText)
	}
	if c.Risk != "" {
		b = append(b, `,"risk":`...)
		b = appendJSONString(b, c.Risk)
	}
	if c.Overwrite {
		b = append(b, `,"overwrite":true`...)
	}
	return append(b, '}')
}
