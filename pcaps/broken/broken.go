// Package broken holds damaged and odd capture files — cut short, with a
// wrong magic or absurd lengths, cut by a small snap length, with
// zero-length or non-IP frames, bogus header lengths, unknown pcapng blocks,
// timestamps going backwards — the code that writes them, and what ftpscope
// must say about each. The files are committed beside this file (see
// README.md); `go run ./pcaps/broken/gen` rewrites them and a test checks
// the committed files are exactly what the code writes.
package broken

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ftpscope/ftpscope/craft"
)

// Case is one broken capture (or a set of files read together) and what
// ftpscope must report for it.
type Case struct {
	// Name identifies the case; Files are its capture files, read together.
	Name  string
	Files []string
	// Doc says what is broken and what ftpscope does about it.
	Doc string
	// Exit is ftpscope's exit status: 1 when an input is unreadable or cut
	// short, 0 when the oddities were only counted.
	Exit int
	// Stderr are strings ftpscope's standard error must contain: the file,
	// the packet number, the reason.
	Stderr []string
	// Sessions and Channels are what the report must still hold: everything
	// before the damage.
	Sessions, Channels int
	// Verdicts, when set, are the channels' verdicts in output order.
	Verdicts []string
	// Summary are counters of the JSON summary's "capture" map that must be
	// non-zero (undecodable, snapped, backwards_time, other).
	Summary []string
	write   func(files []io.Writer) error
}

var (
	base   = time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	client = netip.MustParseAddr("192.0.2.30")
	server = netip.MustParseAddr("198.51.100.30")
)

func ap(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }

func at(sec float64) time.Time { return base.Add(time.Duration(sec * float64(time.Second))) }

// session writes a short passive session with one good download: the part
// of every case that must survive the damage.
func session(w *craft.Writer, t float64, cport, dport uint16) {
	c := w.Dial(at(t), ap(client, cport), ap(server, 21))
	c.Server(at(t+0.01), "220 (vsFTPd 3.0.3)\r\n")
	c.Client(at(t+0.02), "USER anonymous\r\n")
	c.Server(at(t+0.03), "331 Please specify the password.\r\n")
	c.Client(at(t+0.04), "PASS guest@example.org\r\n")
	c.Server(at(t+0.05), "230 Login successful.\r\n")
	c.Client(at(t+0.06), "PASV\r\n")
	c.Server(at(t+0.07), fmt.Sprintf("227 Entering Passive Mode (198,51,100,30,%d,%d).\r\n", dport>>8, dport&255))
	d := w.Dial(at(t+0.08), ap(client, cport+1000), ap(server, dport))
	c.Client(at(t+0.09), "RETR file.bin\r\n")
	c.Server(at(t+0.10), "150 Opening BINARY mode data connection.\r\n")
	end := d.Bulk(at(t+0.11), craft.FromServer, 3000, time.Millisecond)
	d.CloseFrom(end, craft.FromServer)
	c.Server(at(t+0.2), "226 Transfer complete.\r\n")
	c.Client(at(t+0.3), "QUIT\r\n")
	c.Server(at(t+0.31), "221 Goodbye.\r\n")
	c.Close(at(t + 0.32))
}

// capture writes fill into a pcap in memory.
func capture(fill func(w *craft.Writer), opts ...craft.Option) ([]byte, error) {
	var buf bytes.Buffer
	w, err := craft.NewWriter(&buf, opts...)
	if err != nil {
		return nil, err
	}
	fill(w)
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// record is one packet record of a pcap file.
type record struct {
	ci   gopacket.CaptureInfo
	data []byte
}

// records reads back the records of a pcap written by capture.
func records(b []byte) ([]record, layers.LinkType, error) {
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, 0, err
	}
	var out []record
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out, r.LinkType(), nil
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, record{ci, data})
	}
}

// pcapOf writes records as a microsecond pcap with the given snap length.
func pcapOf(lt layers.LinkType, snap uint32, rs []record) ([]byte, error) {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(snap, lt); err != nil {
		return nil, err
	}
	for _, r := range rs {
		if err := w.WritePacket(r.ci, r.data); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// one writes b to the case's only file.
func one(b []byte, err error) func([]io.Writer) error {
	return func(ws []io.Writer) error {
		if err != nil {
			return err
		}
		_, err := ws[0].Write(b)
		return err
	}
}

// good is the intact capture most cases damage: one session, two packets
// of another after it.
func good() ([]byte, error) {
	return capture(func(w *craft.Writer) {
		session(w, 0, 40100, 50100)
		session(w, 1, 40200, 50200)
	})
}

// cut returns good() cut off n bytes into its record number k (1-based;
// n counts from the record header's first byte).
func cut(k, n int) ([]byte, error) {
	b, err := good()
	if err != nil {
		return nil, err
	}
	off := 24
	for i := 1; i < k; i++ {
		off += 16 + int(binary.LittleEndian.Uint32(b[off+8:]))
	}
	return b[:off+n], nil
}

// packetsOfFirstSession is how many records session() writes.
const packetsOfFirstSession = 29

// Cases are the broken captures.
var Cases = []Case{
	{
		Name: "truncated-file-header", Files: []string{"truncated-file-header.pcap"},
		Doc:  "a pcap cut 10 bytes into its 24-byte file header (the disk filled up at once): nothing to report, one clear line",
		Exit: 1, Stderr: []string{"truncated-file-header.pcap", "truncated inside the file header (10 of 24 bytes)"},
		write: func(ws []io.Writer) error {
			b, err := good()
			return one(b[:10], err)(ws)
		},
	},
	{
		Name: "truncated-record-header", Files: []string{"truncated-record-header.pcap"},
		Doc: "a pcap cut 7 bytes into the record header after the first session's last packet: " +
			"the first session is reported, the cut is named with the packet after which it lies",
		Exit: 1, Sessions: 1, Channels: 1, Verdicts: []string{"ok"},
		Stderr: []string{"truncated-record-header.pcap", fmt.Sprintf("damaged after packet %d", packetsOfFirstSession), "inside a record header (7 of 16 bytes)"},
		write: func(ws []io.Writer) error {
			return one(cut(packetsOfFirstSession+1, 7))(ws)
		},
	},
	{
		Name: "truncated-packet", Files: []string{"truncated-packet.pcap"},
		Doc: "a pcap cut 30 bytes into the packet data of the record after the first session: " +
			"the first session is reported, the cut is named",
		Exit: 1, Sessions: 1, Channels: 1, Verdicts: []string{"ok"},
		Stderr: []string{"truncated-packet.pcap", fmt.Sprintf("damaged after packet %d", packetsOfFirstSession), "inside a packet record (14 of"},
		write: func(ws []io.Writer) error {
			return one(cut(packetsOfFirstSession+1, 16+14))(ws)
		},
	},
	{
		Name: "wrong-magic", Files: []string{"wrong-magic.pcap"},
		Doc:  "a file whose first four bytes are no pcap or pcapng magic (here: a text file): refused, naming the file and the bytes",
		Exit: 1, Stderr: []string{"wrong-magic.pcap", "not a pcap or pcapng file (starts with 0x"},
		write: func(ws []io.Writer) error {
			_, err := io.WriteString(ws[0], "220 this is a log of an FTP session, not a capture\n")
			return err
		},
	},
	{
		Name: "absurd-snaplen", Files: []string{"absurd-snaplen.pcap"},
		Doc:  "a pcap file header declaring a snap length of 2^31-1 bytes: refused before anything is allocated",
		Exit: 1, Stderr: []string{"absurd-snaplen.pcap", "absurd snap length 2147483647"},
		write: func(ws []io.Writer) error {
			b, err := good()
			if err != nil {
				return err
			}
			b = bytes.Clone(b)
			binary.LittleEndian.PutUint32(b[16:], 0x7fffffff)
			return one(b, nil)(ws)
		},
	},
	{
		Name: "absurd-caplen", Files: []string{"absurd-caplen.pcap"},
		Doc: "the record after the first session claims 1 GiB of captured bytes, far beyond the snap length: " +
			"the record is damage (never allocated), the first session is reported",
		Exit: 1, Sessions: 1, Channels: 1, Verdicts: []string{"ok"},
		Stderr: []string{"absurd-caplen.pcap", fmt.Sprintf("damaged after packet %d", packetsOfFirstSession), "bad record header"},
		write: func(ws []io.Writer) error {
			b, err := cut(packetsOfFirstSession+1, 0)
			if err != nil {
				return err
			}
			off := len(b)
			full, _ := good()
			b = bytes.Clone(full)
			binary.LittleEndian.PutUint32(b[off+8:], 1<<30)
			return one(b, nil)(ws)
		},
	},
	{
		Name: "snap96", Files: []string{"snap96.pcap"},
		Doc: "both sessions captured with -s 96: control segments longer than 42 payload bytes are cut, so " +
			"the 227 replies lose their port numbers; ftpscope says how many segments were cut and what that means",
		Exit: 0, Sessions: 2, Channels: 0, Summary: []string{"snapped"},
		Stderr: []string{"snap96.pcap", "cut by the snap length", "packet 10 of", "announcements"},
		write: func(ws []io.Writer) error {
			return one(capture(func(w *craft.Writer) {
				session(w, 0, 40100, 50100)
				session(w, 1, 40200, 50200)
			}, craft.WithSnapLen(96)))(ws)
		},
	},
	{
		Name: "zero-length", Files: []string{"zero-length.pcap"},
		Doc: "records with no captured bytes (caplen 0, one with an original length of 60) between the packets " +
			"of the first session: counted, named, skipped; both sessions are reported",
		Exit: 0, Sessions: 2, Channels: 2, Verdicts: []string{"ok", "ok"}, Summary: []string{"undecodable"},
		Stderr: []string{"zero-length.pcap", "could not be decoded", "packet 4 of"},
		write: func(ws []io.Writer) error {
			return rewrite(ws[0], 0, func(rs []record) []record {
				var out []record
				for i, r := range rs {
					out = append(out, r)
					if i == 2 || i == 10 {
						wire := 0
						if i == 10 {
							wire = 60
						}
						out = append(out, record{gopacket.CaptureInfo{Timestamp: r.ci.Timestamp, Length: wire}, nil})
					}
				}
				return out
			})
		},
	},
	{
		Name: "non-ip", Files: []string{"non-ip.pcap"},
		Doc: "ARP, an 802.2 LLC (spanning tree) frame and an IPX frame among the packets: " +
			"counted as other traffic, not an error; both sessions are reported",
		Exit: 0, Sessions: 2, Channels: 2, Verdicts: []string{"ok", "ok"}, Summary: []string{"other"},
		write: func(ws []io.Writer) error {
			return rewrite(ws[0], 0, func(rs []record) []record {
				var out []record
				for i, r := range rs {
					out = append(out, r)
					if i == 1 || i == 20 || i == 50 {
						f := nonIP(i)
						out = append(out, record{gopacket.CaptureInfo{Timestamp: r.ci.Timestamp, CaptureLength: len(f), Length: len(f)}, f})
					}
				}
				return out
			})
		},
	},
	{
		Name: "bogus-header-lengths", Files: []string{"bogus-header-lengths.pcap"},
		Doc: "three frames with lying header lengths — an IPv4 IHL of 3 words, an IPv4 total length larger than the frame " +
			"claims beyond its own header, a TCP data offset of 15 words in a 20-byte header — each in the second session: " +
			"counted, the first one named by packet number, skipped; both sessions are reported",
		Exit: 0, Sessions: 2, Channels: 2, Summary: []string{"undecodable"},
		Stderr: []string{"bogus-header-lengths.pcap", "could not be decoded", "packet 31 of"},
		write: func(ws []io.Writer) error {
			return rewrite(ws[0], 0, func(rs []record) []record {
				var out []record
				for i, r := range rs {
					out = append(out, r)
					if i >= packetsOfFirstSession && i < packetsOfFirstSession+3 {
						out = append(out, record{r.ci, bogus(r.data, i-packetsOfFirstSession)})
					}
				}
				return out
			})
		},
	},
	{
		Name: "pcapng-unknown-blocks", Files: []string{"pcapng-unknown-blocks.pcapng"},
		Doc: "a pcapng file with two interfaces of different link types (Ethernet and Linux SLL2, as `tcpdump -i any` " +
			"writes beside a NIC capture), a custom block and a block of an unknown type between the packets: " +
			"the unknown blocks are skipped, both sessions are reported",
		Exit: 0, Sessions: 2, Channels: 2, Verdicts: []string{"ok", "ok"},
		write: func(ws []io.Writer) error {
			var buf bytes.Buffer
			w, err := craft.NewWriter(&buf, craft.WithPcapNG(), craft.WithInterfaceName("eth0"))
			if err != nil {
				return err
			}
			sll2, err := w.AddInterface(craft.WithLink(craft.SLL2), craft.WithInterfaceName("any"))
			if err != nil {
				return err
			}
			session(w, 0, 40100, 50100)
			session(sll2, 1, 40200, 50200)
			if err := w.Flush(); err != nil {
				return err
			}
			b, err := insertBlocks(buf.Bytes())
			if err != nil {
				return err
			}
			_, err = ws[0].Write(b)
			return err
		},
	},
	{
		Name: "backwards-time", Files: []string{"backwards-time-1.pcap", "backwards-time-2.pcap"},
		Doc: "two files read together; the second's clock was stepped back 30 s after its 10th packet (an NTP step " +
			"during a rotated capture): the merge cannot restore the order, ftpscope counts the backward steps and names the first",
		Exit: 0, Sessions: 2, Channels: 2, Summary: []string{"backwards_time"},
		Stderr: []string{"backwards-time-2.pcap", "go backwards", "packet 11 of"},
		write: func(ws []io.Writer) error {
			first, err := capture(func(w *craft.Writer) { session(w, 0, 40100, 50100) })
			if err != nil {
				return err
			}
			if _, err := ws[0].Write(first); err != nil {
				return err
			}
			return rewrite(ws[1], 0, func(rs []record) []record {
				var out []record
				for i, r := range rs {
					if i < packetsOfFirstSession { // the second session only
						continue
					}
					if len(out) >= 10 {
						r.ci.Timestamp = r.ci.Timestamp.Add(-30 * time.Second)
					}
					out = append(out, r)
				}
				return out
			})
		},
	},
}

// rewrite writes good() to w after edit changed its records, with the given
// snap length (0: the original's).
func rewrite(w io.Writer, snap uint32, edit func([]record) []record) error {
	b, err := good()
	if err != nil {
		return err
	}
	rs, lt, err := records(b)
	if err != nil {
		return err
	}
	if snap == 0 {
		snap = binary.LittleEndian.Uint32(b[16:])
	}
	out, err := pcapOf(lt, snap, edit(rs))
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// nonIP returns a non-IP Ethernet frame: ARP, 802.2 LLC (STP), or IPX.
func nonIP(i int) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true}
	eth := &layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	var err error
	switch i % 3 {
	case 0: // 802.2 LLC, spanning tree
		eth.DstMAC = []byte{0x01, 0x80, 0xc2, 0, 0, 0}
		eth.EthernetType = layers.EthernetTypeLLC
		err = gopacket.SerializeLayers(buf, opts, eth,
			&layers.LLC{DSAP: 0x42, SSAP: 0x42, Control: 3}, gopacket.Payload(make([]byte, 35)))
	case 1: // ARP request
		eth.EthernetType = layers.EthernetTypeARP
		err = gopacket.SerializeLayers(buf, opts, eth, &layers.ARP{
			AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: eth.SrcMAC, SourceProtAddress: client.AsSlice(),
			DstHwAddress: make([]byte, 6), DstProtAddress: server.AsSlice(),
		})
	default: // IPX (EtherType 0x8137)
		eth.EthernetType = 0x8137
		err = gopacket.SerializeLayers(buf, opts, eth, gopacket.Payload(bytes.Repeat([]byte{0xff}, 30)))
	}
	if err != nil {
		panic(err) // fixed layers: cannot fail
	}
	return bytes.Clone(buf.Bytes())
}

// bogus returns a copy of an Ethernet/IPv4/TCP frame with one header length
// made to lie: kind 0 an IPv4 IHL of 3, 1 an IPv4 total length of 20 (no
// room for TCP), 2 a TCP data offset of 15 words.
func bogus(frame []byte, kind int) []byte {
	f := bytes.Clone(frame)
	ip := f[14:]
	switch kind {
	case 0:
		ip[0] = 0x43
	case 1:
		binary.BigEndian.PutUint16(ip[2:], 20)
	default:
		ihl := int(ip[0]&0x0f) * 4
		ip[ihl+12] = 0xf0 | ip[ihl+12]&0x0f
	}
	return f
}

// insertBlocks puts a custom block (type 0x00000BAD, Wireshark's "custom,
// copiable") and a block of an unknown type (0x4242) after the fourth block
// of a pcapng file (section header, two interfaces, first packet).
func insertBlocks(b []byte) ([]byte, error) {
	off := 0
	for range 4 {
		if off+12 > len(b) {
			return nil, errors.New("pcapng: fewer than four blocks")
		}
		off += int(binary.LittleEndian.Uint32(b[off+4:]))
	}
	block := func(typ uint32, body []byte) []byte {
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		n := uint32(12 + len(body))
		out := binary.LittleEndian.AppendUint32(nil, typ)
		out = binary.LittleEndian.AppendUint32(out, n)
		out = append(out, body...)
		return binary.LittleEndian.AppendUint32(out, n)
	}
	custom := block(0x00000bad, append(binary.BigEndian.AppendUint32(nil, 32473), "ftpscope test block"...))
	unknown := block(0x4242, []byte("nobody knows this block"))
	out := append(bytes.Clone(b[:off]), custom...)
	out = append(out, unknown...)
	return append(out, b[off:]...), nil
}

// Write writes the case's files into dir.
func (c Case) Write(dir string) error {
	bufs, err := c.Bytes()
	if err != nil {
		return err
	}
	for i, name := range c.Files {
		if err := os.WriteFile(filepath.Join(dir, name), bufs[i], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Bytes returns the case's files as written, in memory.
func (c Case) Bytes() ([][]byte, error) {
	out, err := craft.WriteInMemory(len(c.Files), c.write)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name, err)
	}
	return out, nil
}
