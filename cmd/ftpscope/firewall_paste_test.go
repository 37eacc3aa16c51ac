package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// printedSnippets cuts the suggested rules out of the firewall view exactly
// as ftpscope printed them: for each server, title -> the snippet's lines as
// a user selects and copies them from the terminal (the view's indentation
// included).
func printedSnippets(t *testing.T, out string) []map[string]string {
	t.Helper()
	var all []map[string]string
	var cur map[string]string
	title := ""
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "Suggested rules and settings for "):
			cur = map[string]string{}
			all = append(all, cur)
			title = ""
		case cur == nil:
		case strings.HasPrefix(line, "    "):
			if title == "" {
				t.Fatalf("snippet line before any title: %q", line)
			}
			cur[title] += line + "\n"
		case strings.HasPrefix(line, "  "):
			title = strings.TrimSpace(line)
		default:
			cur = nil
		}
	}
	return all
}

// TestFirewallSnippetsPaste checks what the firewall view prints, byte for
// byte as it reaches standard output: the nftables snippets the README tells
// users to paste must load with nft -f. They are ftpscope's own text, so the
// terminal escaping of wire strings must not touch them (it turned the TABs
// into "\x09", which nft rejects). nft -c runs when nft is installed and the
// test runs as root (as in CI); elsewhere only the bytes are checked.
func TestFirewallSnippetsPaste(t *testing.T) {
	var snippets []string
	for _, f := range []string{"16-passive-range-firewall/client", "13-control-port-2121/server", "14-ftps-helper-firewall/server", "02-extended-v4-v6/server", "10-dnat-pasv-private/client", "03-proftpd/server"} {
		out, stderr, code := runTool(t, "-r", filepath.Join("..", "..", "pcaps", f+".pcap"), "--report", "firewall")
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", f, code, stderr)
		}
		servers := printedSnippets(t, out)
		if len(servers) == 0 {
			t.Fatalf("%s: no suggestions printed:\n%s", f, out)
		}
		for _, s := range servers {
			helper, filter := s["nftables: FTP helper on the control port"], s["nftables: accept rules for the filtering chain"]
			if filter == "" {
				t.Fatalf("%s: no nftables filter snippet: %v", f, s)
			}
			for _, text := range []string{helper, filter} {
				if strings.Contains(text, `\x`) || strings.ContainsAny(text, "\x00\x1b\r") {
					t.Errorf("%s: the printed snippet carries escapes or control bytes:\n%s", f, text)
				}
			}
			if helper != "" {
				snippets = append(snippets, helper)
			}
			// Filter lines go into an existing chain: load them in one.
			snippets = append(snippets, "table inet ftpscope_check {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n"+filter+"\t}\n}\n")
		}
	}
	if len(snippets) < 10 {
		t.Fatalf("only %d snippets printed", len(snippets))
	}
	nft, err := exec.LookPath("nft")
	if err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must check the snippets with nft -c as root (nft: %v, euid %d)", err, os.Geteuid())
		}
		t.Skipf("nft -c needs nft and root (nft: %v, euid %d); the printed bytes were checked", err, os.Geteuid())
	}
	dir := t.TempDir()
	for i, text := range snippets {
		path := filepath.Join(dir, "rules.nft")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(nft, "-c", "-f", path).CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "Operation not permitted") && os.Getenv("CI") == "" {
				t.Skipf("nft -c not permitted here: %s", out)
			}
			t.Errorf("printed snippet %d does not load with nft -c -f: %v\n%s\n%s", i, err, out, text)
		}
	}
}
