package analysis

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// TestFirstLine pins what a stored reply line is, and that it is always a
// copy: the text may be a view of the wire's bytes (ftp.ReplyReader.Next),
// and a multi-line reply's whole text must not stay alive through its first
// line.
func TestFirstLine(t *testing.T) {
	long := "  " + strings.Repeat("x", 157) + "   tail"
	tests := []struct{ name, text, want string }{
		{"one line", "Transfer complete.", "Transfer complete."},
		{"empty", "", ""},
		{"spaces trimmed", "  Login successful. ", "Login successful."},
		{"multi-line", "Features:\n EPSV\nEnd", "Features:"},
		{"long cut", long, strings.Repeat("x", 157) + " " + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := firstLine(tc.text)
			if got != tc.want {
				t.Fatalf("firstLine(%q) = %q, want %q", tc.text, got, tc.want)
			}
			if got == "" {
				return
			}
			// Inside the text's bytes (unsigned: before them wraps to huge).
			off := uintptr(unsafe.Pointer(unsafe.StringData(got))) - uintptr(unsafe.Pointer(unsafe.StringData(tc.text)))
			if off < uintptr(len(tc.text)) {
				t.Errorf("firstLine(%q) shares the text's bytes", tc.text)
			}
		})
	}
}

// TestKeptStringsAreCopies runs a session through every place a reply's or
// a command's text is kept (greeting, transcript, command log, notes, the
// transfer's path from PWD and STOU, reply texts of channels, refusals),
// with the harness scribbling over each line's bytes once the analyzer has
// read it, as reassembly reuses its buffers. No string the session holds may
// show the scribble: each must be the analysis's own copy.
func TestKeptStringsAreCopies(t *testing.T) {
	h := newHarness(t, "10.0.0.1:40000", "10.0.0.2:21", Config{Audit: true})
	login(h)
	steps := []struct {
		sec       float64
		cmd, reps string
	}{
		{1, "SYST", "215 UNIX Type: L8"},
		{2, "FEAT", "211-Features:\n EPSV\n MDTM\n211 End"},
		{3, "PWD", `257 "/home/ftp/in" is the current directory`},
		{3.3, "PASV", "227 Entering Passive Mode (10,0,0,2,200,3)."},
		{3.6, "LIST", "150 Here comes the directory listing.\n226 Directory send OK."}, // its path is the PWD's
		{4, "TYPE I", "200 Switching to Binary mode."},
		{5, "SIZE big.iso", "213 4096"},
		{6, "PASV", "227 Entering Passive Mode (10,0,0,2,200,1)."},
		{7, "RETR big.iso", "150 Opening BINARY mode data connection for big.iso (4096 bytes).\n226 Transfer complete."},
		{8, "PASV", "227 Entering Passive Mode (garbage)."},
		{9, "PORT 10,0,0,1,200,2", "500 Illegal PORT command."},
		{10, "EPSV", "229 Entering Extended Passive Mode (|||50001|)"},
		{11, "STOU", "150 FILE: /home/ftp/in/upload.1\n226 Transfer complete."},
		{12, "CWD /nowhere", "550 Failed to change directory."},
		{13, "EPSV", "500 EPSV not understood here."},
		{14, "QUIT", "221 Goodbye."},
	}
	for _, st := range steps {
		h.cmd(st.sec, st.cmd)
		h.rep(st.sec+0.01, st.reps)
	}
	s := h.finish(20)
	if s.Greeting == "" || len(s.Channels) == 0 || s.Audit == nil || len(s.Audit.Commands) == 0 {
		t.Fatalf("the session kept too little to test: greeting %q, %d channels, audit %v", s.Greeting, len(s.Channels), s.Audit)
	}
	var texts int
	walkStrings(reflect.ValueOf(s), map[uintptr]bool{}, "session", func(path, v string) {
		texts++
		if strings.IndexByte(v, scribble) >= 0 {
			t.Errorf("%s = %q: a view of the wire's bytes, not a copy", path, v)
		}
	})
	if texts < 20 {
		t.Fatalf("walked %d strings: the walk missed the session's texts", texts)
	}
}

// walkStrings calls f with every non-empty string reachable from v, each
// pointer followed once.
func walkStrings(v reflect.Value, seen map[uintptr]bool, path string, f func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		if v.Len() > 0 {
			f(path, v.String())
		}
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		walkStrings(v.Elem(), seen, path, f)
	case reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), seen, path, f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			walkStrings(v.Field(i), seen, path+"."+v.Type().Field(i).Name, f)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), seen, path+"[]", f)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			walkStrings(it.Key(), seen, path+"{key}", f)
			walkStrings(it.Value(), seen, path+"{}", f)
		}
	}
}
