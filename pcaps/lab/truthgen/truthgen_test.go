package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedTruthFollowsFromLogs re-derives every committed scenario's truth.json
// from its committed spec.json and logs: the answer key must be reproducible from the
// evidence kept next to it, and a change to truthgen that changes a verdict shows here.
func TestCommittedTruthFollowsFromLogs(t *testing.T) {
	specs, err := filepath.Glob(filepath.Join("..", "..", "*", "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) == 0 {
		t.Skip("no committed lab scenarios under pcaps/")
	}
	for _, sp := range specs {
		dir := filepath.Dir(sp)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			spec, err := readSpec(sp)
			if err != nil {
				t.Fatal(err)
			}
			truth, err := build(dir, spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(truth, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, "truth.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(append(got, '\n'), want) {
				t.Errorf("truth.json differs from what truthgen derives from spec.json and logs/; rerun: go run ./pcaps/lab/truthgen %s", dir)
			}
		})
	}
}

func TestExtractPairsRepliesInOrder(t *testing.T) {
	s := logSession{events: []event{
		{kind: evCmd, text: "PASV"},
		{kind: evReply, code: 227, text: "227 Entering Passive Mode (10,0,2,2,117,49)."},
		{kind: evDataConnect},
		{kind: evDataFail, fail: "refused"},
		{kind: evCmd, text: "LIST"},
		{kind: evCmd, text: "ABOR"},
		{kind: evReply, code: 425, text: "425 Failed to establish connection."},
		{kind: evReply, code: 225, text: "225 No transfer to ABOR."},
		{kind: evCmd, text: "PORT 10,0,1,2,4,1"},
		{kind: evReply, code: 500, text: "500 Illegal PORT command."},
		{kind: evCmd, text: "LIST"},
		{kind: evReply, code: 425, text: "425 Use PORT or PASV first."},
		{kind: evCmd, text: "EPSV"},
		{kind: evReply, code: 229, text: "229 Entering Extended Passive Mode (|||30001|)"},
	}}
	info, err := extract(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.channels) != 3 {
		t.Fatalf("%d channels, want 3", len(info.channels))
	}
	c := info.channels
	if c[0].announced.String() != "10.0.2.2:30001" || c[0].command != "LIST" || c[0].reply != 425 || c[0].outcome != "refused" {
		t.Errorf("PASV channel: %+v", *c[0])
	}
	if !c[1].refused || c[1].command != "" || c[1].announced.String() != "10.0.1.2:1025" {
		t.Errorf("refused PORT: %+v", *c[1])
	}
	if !c[2].epsvPort || c[2].announced.Port() != 30001 || c[2].command != "" {
		t.Errorf("EPSV: %+v", *c[2])
	}
}

// TestParsePureftpd: sessions split at "New connection", commands upper-cased
// with their argument, only the last line of a multi-line reply is a reply.
func TestParsePureftpd(t *testing.T) {
	log := `<94>Dec  3 07:00:11 pure-ftpd: (?@10.0.1.2) [INFO] New connection from 10.0.1.2
<95>Dec  3 07:00:11 pure-ftpd: (?@10.0.1.2) [DEBUG] 220-Welcome
<95>Dec  3 07:00:11 pure-ftpd: (?@10.0.1.2) [DEBUG] 220 You will be disconnected after 15 minutes of inactivity.
<95>Dec  3 07:00:11 pure-ftpd: (?@10.0.1.2) [DEBUG] Command [pasv] []
<95>Dec  3 07:00:11 pure-ftpd: (labuser@10.0.1.2) [DEBUG] 227 Entering Passive Mode (10,0,2,2,117,48)
<93>Dec  3 07:00:11 pure-ftpd: (labuser@10.0.1.2) [NOTICE] /x downloaded  (6 bytes, 45.77KB/sec)
<94>Dec  3 07:00:12 pure-ftpd: (?@10.0.1.2) [INFO] New connection from 10.0.1.2
<95>Dec  3 07:00:12 pure-ftpd: (?@10.0.1.2) [DEBUG] Command [eprt] [|1|10.0.1.2|43423|]
`
	p := filepath.Join(t.TempDir(), "pure.log")
	if err := os.WriteFile(p, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	ss, err := parsePureftpd(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || len(ss[0].events) != 3 || len(ss[1].events) != 1 {
		t.Fatalf("sessions %+v", ss)
	}
	e := ss[0].events
	if e[0].kind != evReply || e[0].code != 220 || e[1].kind != evCmd || e[1].text != "PASV" ||
		e[2].code != 227 || e[2].text != "227 Entering Passive Mode (10,0,2,2,117,48)" {
		t.Errorf("first session %+v", e)
	}
	if c := ss[1].events[0]; c.kind != evCmd || c.text != "EPRT |1|10.0.1.2|43423|" {
		t.Errorf("second session %+v", c)
	}
}

// TestParseTnftp: tnftp's echoed replies are dropped, a transfer's 150 gives the
// passive connection to the control host and the EPSV port, or the accepted
// active one.
func TestParseTnftp(t *testing.T) {
	log := `Connected to 10.0.2.2.
220 (vsFTPd 3.0.3)
---> EPSV
229 Entering Extended Passive Mode (|||30001|)
229 Entering Extended Passive Mode (|||30001|)
---> STOU stou.txt
150 FILE: stou.txt
226 Transfer complete.
---> EPRT |1|10.0.1.2|40000|
200 EPRT command successful. Consider using EPSV.
200 EPRT command successful. Consider using EPSV.
---> STOU stou.txt
150 FILE: stou.txt.1
226 Transfer complete.
`
	p := filepath.Join(t.TempDir(), "tnftp.log")
	if err := os.WriteFile(p, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	ss, err := parseTnftp(p)
	if err != nil || len(ss) != 1 {
		t.Fatalf("%v, %d sessions", err, len(ss))
	}
	info, err := extract(ss[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(info.channels) != 2 {
		t.Fatalf("%d channels", len(info.channels))
	}
	p0, a1 := info.channels[0], info.channels[1]
	if p0.command != "STOU" || p0.outcome != "established" || p0.dataTo.String() != "10.0.2.2:30001" || p0.reply != 226 {
		t.Errorf("passive STOU %+v", p0)
	}
	if a1.command != "STOU" || !a1.accepted || a1.reply != 226 {
		t.Errorf("active STOU %+v", a1)
	}
}
