package ftp

import "testing"

// Benchmarks measure the per-line cost of the grammar. They report
// allocations because the parsers run on every control line of every
// session of a multi-gigabyte capture.

// benchCommands is a typical client side of an anonymous session.
var benchCommands = [][]byte{
	[]byte("USER anonymous"),
	[]byte("PASS guest@example.com"),
	[]byte("SYST"),
	[]byte("TYPE I"),
	[]byte("EPSV"),
	[]byte("PASV"),
	[]byte("RETR /pub/linux/kernel/v6.x/linux-6.9.tar.xz"),
	[]byte("QUIT"),
}

func BenchmarkParseCommand(b *testing.B) {
	var n int64
	for _, l := range benchCommands {
		n += int64(len(l))
	}
	b.SetBytes(n / int64(len(benchCommands)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := ParseCommand(benchCommands[i%len(benchCommands)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// benchReplies is the server side of the same session, multi-line banner and
// FEAT included.
var benchReplies = [][]byte{
	[]byte("220-Welcome to the example archive"),
	[]byte("220-All transfers are logged."),
	[]byte("220 FTP server ready."),
	[]byte("331 Please specify the password."),
	[]byte("230 Login successful."),
	[]byte("215 UNIX Type: L8"),
	[]byte("211-Features:"),
	[]byte(" EPRT"),
	[]byte(" EPSV"),
	[]byte(" MDTM"),
	[]byte(" PASV"),
	[]byte(" SIZE"),
	[]byte("211 End"),
	[]byte("200 Switching to Binary mode."),
	[]byte("229 Entering Extended Passive Mode (|||40123|)"),
	[]byte("227 Entering Passive Mode (192,0,2,10,156,187)."),
	[]byte("150 Opening BINARY mode data connection for linux-6.9.tar.xz (141080728 bytes)."),
	[]byte("226 Transfer complete."),
	[]byte("221 Goodbye."),
}

func BenchmarkReplyReaderFeed(b *testing.B) {
	var n int64
	for _, l := range benchReplies {
		n += int64(len(l))
	}
	b.SetBytes(n / int64(len(benchReplies)))
	b.ReportAllocs()
	var r ReplyReader
	i := 0
	for b.Loop() {
		if _, _, err := r.Feed(benchReplies[i%len(benchReplies)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkParsePASVReply(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"parens", "Entering Passive Mode (192,0,2,10,156,187)."},
		{"bare", "Entering passive mode. 127,0,0,1,4,51"},
		{"multiline", "listen socket created\nEntering Passive Mode (10,0,0,2,200,10)"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParsePASVReply(bc.text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseEPSVReply(b *testing.B) {
	text := "Entering Extended Passive Mode (|||40123|)"
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEPSVReply(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseEPRT(b *testing.B) {
	for _, bc := range []struct{ name, arg string }{
		{"ipv4", "|1|132.235.1.2|6275|"},
		{"ipv6", "|2|1080::8:800:200C:417A|5282|"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseEPRT(bc.arg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParsePORT(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePORT("192,168,1,2,7,138"); err != nil {
			b.Fatal(err)
		}
	}
}
