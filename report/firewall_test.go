package report_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/report"
)

// firewallOutput renders sessions through the firewall view alone.
func firewallOutput(t *testing.T, f report.Format, sessions []*analysis.Session) string {
	t.Helper()
	var b bytes.Buffer
	inner, err := report.New(f, &b, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := report.WithFirewall(inner, f, &b, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		if err := w.Session(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(report.Summary{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

type fwRecord struct {
	Type         string         `json:"type"`
	Server       string         `json:"server"`
	ControlPorts []int          `json:"control_ports"`
	Sessions     int            `json:"sessions"`
	TLSSessions  int            `json:"tls_sessions"`
	Methods      map[string]int `json:"methods"`
	EPSV, EPRT   bool
	Passive      struct {
		Channels  int    `json:"channels"`
		Range     string `json:"range"`
		Low, High int
	} `json:"passive"`
	Active struct {
		Channels   int    `json:"channels"`
		SourcePort string `json:"source_port"`
	} `json:"active"`
	BlockedRange     string   `json:"blocked_passive_range"`
	PrivateAnnounced []string `json:"private_announced"`
	Suggestions      []struct {
		Kind, Title, Text string
	} `json:"suggestions"`
}

func firewallRecords(t *testing.T, out string) []fwRecord {
	t.Helper()
	var recs []fwRecord
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sawSummary := false
	for sc.Scan() {
		var r fwRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, sc.Text())
		}
		switch r.Type {
		case "firewall":
			if sawSummary {
				t.Fatal("firewall record after the summary")
			}
			recs = append(recs, r)
		case "summary":
			sawSummary = true
		default:
			t.Fatalf("unexpected record %q with --report firewall alone", r.Type)
		}
	}
	if !sawSummary {
		t.Fatal("no summary record")
	}
	return recs
}

func suggestion(r fwRecord, kind string) string {
	for _, s := range r.Suggestions {
		if s.Kind == kind {
			return s.Text
		}
	}
	return ""
}

// TestFirewallView checks the per-server view on lab captures: the passive
// range, the blocked part of it, the active source port, NAT and TLS, and the
// exact rule text suggested.
func TestFirewallView(t *testing.T) {
	recs := firewallRecords(t, firewallOutput(t, report.JSON, sessionsOf(t, "../pcaps/16-passive-range-firewall/client.pcap")))
	var v4 *fwRecord
	for i := range recs {
		if recs[i].Server == "10.0.2.2" {
			v4 = &recs[i]
		}
	}
	if v4 == nil {
		t.Fatalf("no record for 10.0.2.2: %+v", recs)
	}
	if v4.Passive.Range != "30001-40008" || v4.BlockedRange != "40003-40008" || v4.ControlPorts[0] != 21 {
		t.Errorf("16: passive %q blocked %q ports %v", v4.Passive.Range, v4.BlockedRange, v4.ControlPorts)
	}
	for kind, frags := range map[string][]string{
		"nftables":        {"ct helper ftp {\n\t\ttype \"ftp\" protocol tcp", "ip daddr 10.0.2.2 tcp dport 21 ct helper set \"ftp\""},
		"nftables-filter": {"ct state established,related accept", "ip daddr 10.0.2.2 tcp dport 30001-40008 ct state new accept"},
		"iptables":        {"iptables -t raw -A PREROUTING -p tcp -d 10.0.2.2 --dport 21 -j CT --helper ftp", "--dport 30001:40008 -m conntrack --ctstate NEW -j ACCEPT"},
		"vsftpd":          {"ports that got through (30001-30002); 40003-40008 were blocked", "pasv_min_port=30001\npasv_max_port=30002"},
		"proftpd":         {"PassivePorts 30001 30002"},
		"pure-ftpd":       {"pure-ftpd -p 30001:30002"},
	} {
		text := suggestion(*v4, kind)
		for _, f := range frags {
			if !strings.Contains(text, f) {
				t.Errorf("%s suggestion lacks %q:\n%s", kind, f, text)
			}
		}
	}

	recs = firewallRecords(t, firewallOutput(t, report.JSON, sessionsOf(t, "../pcaps/03-proftpd/server.pcap")))
	if recs[0].Active.SourcePort != "ephemeral" || !recs[0].EPSV {
		t.Errorf("03 proftpd: active source %q epsv %v", recs[0].Active.SourcePort, recs[0].EPSV)
	}
	recs = firewallRecords(t, firewallOutput(t, report.JSON, sessionsOf(t, "../pcaps/10-dnat-pasv-private/client.pcap")))
	if len(recs[0].PrivateAnnounced) != 1 || recs[0].PrivateAnnounced[0] != "10.0.2.2" ||
		!strings.Contains(suggestion(recs[0], "vsftpd"), "pasv_address=203.0.113.10") ||
		!strings.Contains(suggestion(recs[0], "proftpd"), "MasqueradeAddress 203.0.113.10") ||
		!strings.Contains(suggestion(recs[0], "pure-ftpd"), "-P 203.0.113.10") {
		t.Errorf("10 dnat: %+v", recs[0])
	}
	recs = firewallRecords(t, firewallOutput(t, report.JSON, sessionsOf(t, "../pcaps/13-control-port-2121/server.pcap")))
	if !strings.Contains(suggestion(recs[0], "nftables"), "tcp dport 2121 ct helper set \"ftp\"") ||
		!strings.Contains(suggestion(recs[0], "iptables"), "--dport 2121 -j CT --helper ftp") {
		t.Errorf("13: helper not on port 2121:\n%s", suggestion(recs[0], "nftables"))
	}
	recs = firewallRecords(t, firewallOutput(t, report.JSON, sessionsOf(t, "../pcaps/14-ftps-helper-firewall/server.pcap")))
	if recs[0].TLSSessions != 3 || !strings.Contains(suggestion(recs[0], "nftables-filter"), "TLS hides the data ports") &&
		!strings.Contains(suggestion(recs[0], "nftables-filter"), "for TLS sessions") {
		t.Errorf("14: TLS not accounted for: %+v", recs[0])
	}

	table := firewallOutput(t, report.Table, sessionsOf(t, "../pcaps/16-passive-range-firewall/client.pcap"))
	for _, f := range []string{"Firewall view: server 10.0.2.2", "| Passive ports      | 30001-40008", "passive ports 40003-40008", "Suggested rules and settings for 10.0.2.2:", "Totals"} {
		if !strings.Contains(table, f) {
			t.Errorf("table lacks %q:\n%s", f, table)
		}
	}
	if strings.Index(table, "Firewall view") > strings.Index(table, "Totals") {
		t.Error("the firewall view must come before the totals")
	}
	if _, err := report.WithFirewall(nil, report.CSV, &bytes.Buffer{}, true); err == nil {
		t.Error("csv accepted for the firewall view")
	}
}

// TestNFTRulesLoad checks every generated nftables snippet with nft -c (a dry
// run that parses and validates against the kernel without changing
// anything). Skipped where nft is not installed or not permitted.
func TestNFTRulesLoad(t *testing.T) {
	nft, err := exec.LookPath("nft")
	if err != nil {
		t.Skip("nft not installed (apt-get install nftables)")
	}
	// One book per capture: the same server address appears in several.
	var profiles []*analysis.ServerProfile
	for _, f := range []string{"16-passive-range-firewall/client", "13-control-port-2121/server", "14-ftps-helper-firewall/server", "02-extended-v4-v6/server", "10-dnat-pasv-private/client", "03-proftpd/server"} {
		book := analysis.NewFirewallBook(0)
		for _, s := range sessionsOf(t, filepath.Join("..", "pcaps", f+".pcap")) {
			book.Add(s)
		}
		profiles = append(profiles, book.Profiles()...)
	}
	dir := t.TempDir()
	n := 0
	for _, p := range profiles {
		for _, s := range report.Suggestions(p) {
			var text string
			switch s.Kind {
			case "nftables":
				text = s.Text
			case "nftables-filter":
				// Filter lines go into an existing chain: load them in one.
				text = "table inet ftpscope_check {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n" + s.Text + "\t}\n}\n"
			default:
				continue
			}
			path := filepath.Join(dir, "rules.nft")
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(nft, "-c", "-f", path).CombinedOutput()
			if err != nil {
				if strings.Contains(string(out), "Operation not permitted") {
					t.Skipf("nft -c not permitted here: %s", out)
				}
				t.Errorf("%s for %s does not load: %v\n%s\n%s", s.Kind, p.Server, err, out, text)
			}
			n++
		}
	}
	if n < 16 {
		t.Errorf("checked %d snippets", n)
	}
}
