package craft_test

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/ftpscope/ftpscope/craft"
)

// A passive-mode FTP session whose data connection a firewall drops, written
// as a pcap file a test can feed to ftpscope.
func Example() {
	f, err := os.Create(filepath.Join(os.TempDir(), "craft-example.pcap"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	w, err := craft.NewWriter(bw)
	if err != nil {
		fmt.Println(err)
		return
	}
	t := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	client := netip.MustParseAddrPort("192.0.2.10:40312")
	server := netip.MustParseAddrPort("198.51.100.20:21")

	c := w.Dial(t, client, server)
	c.Server(t.Add(10*time.Millisecond), "220 ready\r\n")
	c.Client(t.Add(20*time.Millisecond), "PASV\r\n")
	c.Server(t.Add(30*time.Millisecond), "227 Entering Passive Mode (198,51,100,20,195,80).\r\n")
	c.Client(t.Add(40*time.Millisecond), "RETR file.bin\r\n")
	data := netip.AddrPortFrom(client.Addr(), 40313)
	last := w.SYNUnanswered(t.Add(50*time.Millisecond), data, netip.MustParseAddrPort("198.51.100.20:50000"), 3)
	c.Server(last.Add(time.Second), "425 Can't open data connection.\r\n")
	c.Close(last.Add(2 * time.Second))

	if err := w.Flush(); err != nil {
		fmt.Println(err)
		return
	}
	if err := bw.Flush(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Packets(), "packets")
	// Output: 14 packets
}
