package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/ftpscope/ftpscope/analysis"
)

// TestCutStringsShowTheirLength: a wire string stored cut (StoredMax bytes
// of a longer argument, user name or password) carries its length on the
// wire in an added JSON field; a whole one adds nothing (issue 12 item 3).
func TestCutStringsShowTheirLength(t *testing.T) {
	cut := strings.Repeat("a", analysis.StoredMax)
	for _, tc := range []struct {
		name                     string
		arg                      string
		argLen                   int
		user, pass               string
		userLen, passLen         int
		wantArg, wantUser, wantP *int
	}{
		{name: "whole", arg: "f.txt", argLen: 5, user: "anonymous", userLen: 9},
		{name: "cut", arg: cut, argLen: 4004, user: cut, userLen: 300, pass: cut, passLen: 500, wantArg: ptr(4004), wantUser: ptr(300), wantP: ptr(500)},
	} {
		s := &analysis.Session{Client: netip.MustParseAddrPort("192.0.2.1:4000"), Server: netip.MustParseAddrPort("198.51.100.1:21"),
			User: tc.user, UserLen: int32(tc.userLen), Password: tc.pass, PasswordLen: int32(tc.passLen)}
		s.Channels = []*analysis.Channel{{Method: analysis.PASV, Command: "RETR", Argument: tc.arg, ArgumentLen: tc.argLen}}
		var buf bytes.Buffer
		w, err := New(JSON, &buf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Session(s); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(Summary{}); err != nil {
			t.Fatal(err)
		}
		var rec struct {
			UserLen     *int `json:"user_len"`
			PasswordLen *int `json:"password_len"`
			Channels    []struct {
				Argument    string `json:"argument"`
				ArgumentLen *int   `json:"argument_len"`
			} `json:"channels"`
		}
		line, _, _ := strings.Cut(buf.String(), "\n")
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !eqPtr(rec.UserLen, tc.wantUser) || !eqPtr(rec.PasswordLen, tc.wantP) || len(rec.Channels) != 1 ||
			!eqPtr(rec.Channels[0].ArgumentLen, tc.wantArg) || rec.Channels[0].Argument != tc.arg {
			t.Errorf("%s: %s", tc.name, line)
		}
	}
}

// TestBudgetEvictionsReported: what the memory budget shed is counted in
// the summary's evictions (JSON) and named with its flag in the table.
func TestBudgetEvictionsReported(t *testing.T) {
	sum := Summary{Analysis: analysis.Stats{BudgetChannels: 7, BudgetSessions: 2, LongArguments: 5}}
	var table, js bytes.Buffer
	for f, buf := range map[Format]*bytes.Buffer{Table: &table, JSON: &js} {
		w, err := New(f, buf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(sum); err != nil {
			t.Fatal(err)
		}
	}
	var rec struct {
		Evictions map[string]uint64 `json:"evictions"`
		Anomalies map[string]uint64 `json:"anomalies"`
	}
	if err := json.Unmarshal(js.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Evictions["memory_channels"] != 7 || rec.Evictions["memory_sessions"] != 2 || rec.Anomalies["long_arguments"] != 5 {
		t.Errorf("JSON summary %s", js.String())
	}
	for _, want := range []string{"judged channels unlisted 7 (--max-memory)", "sessions 2 (--max-memory)"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table summary lacks %q:\n%s", want, table.String())
		}
	}
}

func ptr(n int) *int { return &n }

func eqPtr(a, b *int) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }
