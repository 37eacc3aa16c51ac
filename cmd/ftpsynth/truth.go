package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// The truth file is JSON Lines. For every FTP control connection, when its
// last packet has been written, one "session" object and then one "channel"
// object per announced data channel; at the end one "truth-summary". Field
// names follow ftpscope's JSON output contract (issue 2) so tests can join
// the two on client, server and announced; fields ftpscope does not have
// (scenario, matched, lossy, ...) are the generator's own.
//
// Truth is what the generator decided, never read back from the capture.
// Capture loss (--loss) and reordering (--reorder) are applied after the
// decisions: sessions that lost packets carry "lossy":true (on the session
// and each of its channels), because ftpscope may then rightly answer
// "unknown" or miss a channel altogether.

// connTruth is the data connection that was attempted or made.
type connTruth struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// channelTruth is one announced data channel and what became of it.
type channelTruth struct {
	Type    string `json:"type"` // "channel"
	Session int    `json:"session"`
	// Client and Server are the control connection's endpoints.
	Client string `json:"client"`
	Server string `json:"server"`
	Method string `json:"method"` // PORT, EPRT, PASV, EPSV
	Mode   string `json:"mode"`   // active, passive
	// Announced is the endpoint as written on the wire (EPSV: the control
	// server's address).
	Announced string `json:"announced"`
	Time      string `json:"time"` // when the announcement (PORT/EPRT command or 227/229 reply) was sent
	// AnnounceReply is the server's reply to PORT/EPRT (200, or 500/522
	// when it refused), or the code of the passive reply (227/229).
	AnnounceReply int `json:"announce_reply"`
	// Command and Argument are the transfer command that used the channel
	// ("" when none did); Reply is that command's final reply (226, 425) or 0.
	Command    string     `json:"command"`
	Argument   string     `json:"argument"`
	Reply      int        `json:"reply"`
	Connection *connTruth `json:"connection"`
	// Matched says which endpoint the data connection went to: "announced",
	// or "control" when the client ignored a NATed 227 address and
	// connected to the control server's address. Empty without a connection.
	Matched string `json:"matched,omitempty"`
	SYN     int    `json:"syn"`   // SYNs sent toward the endpoint
	Bytes   int64  `json:"bytes"` // payload bytes over the data connection
	Verdict string `json:"verdict"`
	Blocked bool   `json:"blocked"`
	NAT     bool   `json:"nat"`
	// ICMPCode is the code of the unreachable message for verdict icmp.
	ICMPCode *int `json:"icmp_code,omitempty"`
	// Scenario names the generator's recipe (ok, dropped, nat-control, ...).
	Scenario string `json:"scenario"`
	// Lossy is true when any packet of the session was dropped by --loss;
	// Lost counts the dropped packets of this channel's own connection.
	Lossy bool `json:"lossy"`
	Lost  int  `json:"lost"`
}

// sessionTruth is one FTP control connection.
type sessionTruth struct {
	Type    string   `json:"type"` // "session"
	Session int      `json:"session"`
	Client  string   `json:"client"`
	Server  string   `json:"server"`
	Start   string   `json:"start"`
	End     string   `json:"end"`
	User    string   `json:"user"`
	TLS     bool     `json:"tls"`
	Modes   []string `json:"modes"`
	// Channels is how many channel objects follow this one.
	Channels int `json:"channels"`
	// HiddenChannels counts data connections made inside an AUTH TLS
	// session, which no observer can predict.
	HiddenChannels int `json:"hidden_channels"`
	// Flavor is the server software the replies imitate.
	Flavor    string `json:"flavor"`
	Lossy     bool   `json:"lossy"`
	Lost      int    `json:"lost"`      // packets of this session dropped
	Reordered int    `json:"reordered"` // packets of this session delivered out of order
}

// summaryTruth closes the truth file.
type summaryTruth struct {
	Type           string         `json:"type"` // "truth-summary"
	Seed           uint64         `json:"seed"`
	Sessions       int            `json:"sessions"`
	Channels       int            `json:"channels"`
	Verdicts       map[string]int `json:"verdicts"`
	Blocked        int            `json:"blocked"`
	NAT            int            `json:"nat"`
	TLSSessions    int            `json:"tls_sessions"`
	HiddenChannels int            `json:"hidden_channels"`
	IPv6Sessions   int            `json:"ipv6_sessions"`
	LossySessions  int            `json:"lossy_sessions"`
	Packets        int64          `json:"packets"`
	FTPPackets     int64          `json:"ftp_packets"` // control and data connections of FTP sessions
	ControlPackets int64          `json:"control_packets"`
	Bytes          int64          `json:"bytes"` // capture file size before compression
	Lost           int64          `json:"lost"`
	Reordered      int64          `json:"reordered"`
	Start          string         `json:"start"`
	End            string         `json:"end"`
}

// truthWriter streams truth objects.
type truthWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
	err error
}

func newTruthWriter(w io.Writer) *truthWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &truthWriter{bw: bw, enc: enc}
}

func (t *truthWriter) write(v any) {
	if t == nil || t.err != nil {
		return
	}
	if err := t.enc.Encode(v); err != nil {
		t.err = fmt.Errorf("write truth: %w", err)
	}
}

func (t *truthWriter) flush() error {
	if t == nil {
		return nil
	}
	if t.err != nil {
		return t.err
	}
	if err := t.bw.Flush(); err != nil {
		return fmt.Errorf("write truth: %w", err)
	}
	return nil
}

// stamp formats capture times in truth objects.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
