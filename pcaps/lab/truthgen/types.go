package main

// Spec is what run.sh records about a scenario while it runs it: the configuration
// (the router's fate for new data connections, per run) and where each log is.
type Spec struct {
	Scenario    string            `json:"scenario"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Software    map[string]string `json:"software"`
	Ruleset     string            `json:"ruleset"`
	Conntrack   string            `json:"conntrack"`
	Runs        []Run             `json:"runs"`
}

// Run is one client invocation. One invocation may open several control connections
// (lftp reconnects after a data-connection failure), each becoming a session.
type Run struct {
	ID          string `json:"id"`
	Tool        string `json:"tool"`       // lftp or curl
	ClientLog   string `json:"client_log"` // relative to the scenario directory
	Server      string `json:"server"`     // vsftpd, proftpd or pure-ftpd
	ServerLog   string `json:"server_log"`
	ControlPort int    `json:"control_port"`
	// Fate of a new data connection crossing the router, as configured in the ruleset:
	// pass, drop, reset (TCP RST) or icmp (ICMP/ICMPv6 administratively prohibited).
	ActiveFate  string `json:"active_fate"`
	PassiveFate string `json:"passive_fate"`
	Note        string `json:"note"`
}

// Truth is the answer key for one scenario, the format documented in pcaps/README.md.
type Truth struct {
	Format      string            `json:"format"`
	Scenario    string            `json:"scenario"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Software    map[string]string `json:"software"`
	Ruleset     string            `json:"ruleset"`
	Vantages    []Vantage         `json:"vantages"`
}

// Vantage is one capture point: the client's or the server's side of the router.
type Vantage struct {
	Name     string         `json:"name"`
	Capture  string         `json:"capture"`
	Args     []string       `json:"args,omitempty"`
	Sessions []TruthSession `json:"sessions"`
}

// TruthSession is one control connection as seen from one vantage point.
type TruthSession struct {
	Run            string         `json:"run"`
	Client         string         `json:"client"`
	Server         string         `json:"server"`
	User           string         `json:"user,omitempty"`
	TLS            bool           `json:"tls"`
	Channels       []TruthChannel `json:"channels"`
	HiddenChannels int            `json:"hidden_channels,omitempty"`
}

// TruthChannel is one announced data connection and what became of it.
type TruthChannel struct {
	Method    string `json:"method"`
	Mode      string `json:"mode"`
	Announced string `json:"announced"`
	NAT       bool   `json:"nat"`
	Command   string `json:"command,omitempty"`
	Reply     int    `json:"reply,omitempty"`
	Verdict   string `json:"verdict"`
	Blocked   bool   `json:"blocked"`
	Evidence  string `json:"evidence"`
}
