//go:build cgo

package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/lestrrat-go/strftime"
)

// OpenLive starts capturing on cfg.Interface through libpcap. The returned
// Source's Next blocks at most cfg.Timeout and then returns ErrTimeout, so
// that the caller can advance time and notice signals; after Close it returns
// io.EOF. Stats include libpcap's received and dropped counters, with Live
// set. Opening usually needs root or CAP_NET_RAW; a caller that wants to drop
// privileges does so after OpenLive returns (the -w file is open by then).
func OpenLive(cfg LiveConfig) (Source, error) {
	if cfg.Interface == "" {
		return nil, errors.New("live capture: no interface given")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultLiveTimeout
	}
	h, err := activate(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Filter != "" {
		if err := h.SetBPFFilter(cfg.Filter); err != nil {
			h.Close()
			return nil, fmt.Errorf("capture filter %q is not valid BPF for %s: %w", cfg.Filter, cfg.Interface, err)
		}
	}
	s := &liveSource{
		liveFrames: newLiveFrames(cfg.Interface),
		h:          h,
		lt:         h.LinkType(),
		tick:       time.Now(),
	}
	s.wlimit = cfg.WriteLimit
	if cfg.WriteFile != "" {
		s.wname = cfg.WriteFile
		if cfg.RotateEvery > 0 {
			// The first file begins when the capture opens (no packet has
			// a capture time yet); the next ones at their first packet.
			f, err := rotationPattern(cfg.WriteFile)
			if err != nil {
				h.Close()
				return nil, err
			}
			s.wperiod, s.wstart, s.wfmt = cfg.RotateEvery, time.Now(), f
		}
		if err := s.openWriter(s.wfileName(), h); err != nil {
			h.Close()
			return nil, err
		}
	}
	return s, nil
}

// activate creates and activates the libpcap handle. libpcap's own message
// (pcap_geterr) says more than gopacket's activation error ("No Such
// Device"), so it is added when there is one.
func activate(cfg LiveConfig) (*pcap.Handle, error) {
	in, err := pcap.NewInactiveHandle(cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("live capture on %s: %w", cfg.Interface, err)
	}
	defer in.CleanUp()
	if cfg.SnapLen > 0 {
		if err := in.SetSnapLen(cfg.SnapLen); err != nil {
			return nil, fmt.Errorf("live capture on %s: snap length %d: %w", cfg.Interface, cfg.SnapLen, err)
		}
	}
	if err := in.SetPromisc(cfg.Promiscuous); err != nil {
		return nil, fmt.Errorf("live capture on %s: promiscuous mode: %w", cfg.Interface, err)
	}
	if cfg.BufferSize > 0 {
		if err := in.SetBufferSize(cfg.BufferSize); err != nil {
			return nil, fmt.Errorf("live capture on %s: buffer size %d bytes: %w", cfg.Interface, cfg.BufferSize, err)
		}
	}
	if err := in.SetTimeout(cfg.Timeout); err != nil {
		return nil, fmt.Errorf("live capture on %s: read timeout %v: %w", cfg.Interface, cfg.Timeout, err)
	}
	h, err := in.Activate()
	if err != nil {
		msg := err.Error()
		if detail := in.Error(); detail != nil && detail.Error() != "" && !strings.Contains(msg, detail.Error()) {
			msg += ": " + detail.Error()
		}
		if os.Geteuid() != 0 && strings.Contains(strings.ToLower(msg), "permission") {
			msg += " (live capture needs root or CAP_NET_RAW and CAP_NET_ADMIN)"
		}
		if strings.Contains(strings.ToLower(msg), "no such device") {
			msg += " (ftpscope -D lists the interfaces)"
		}
		return nil, fmt.Errorf("live capture on %s: %s", cfg.Interface, msg)
	}
	return h, nil
}

// liveSource reads frames from a libpcap handle and decodes them with the
// same frameDecoder the file readers use. Frames are read zero-copy: the
// Packet aliases libpcap's ring buffer until the next call to Next, as the
// Source contract allows.
//
// Next and Close must be called from one goroutine (the packet loop); the
// read timeout is what lets that loop notice a signal.
type liveSource struct {
	// liveFrames decodes, reassembles and counts the frames read.
	liveFrames
	h  *pcap.Handle
	lt layers.LinkType

	// libpcap's counters are 32-bit and wrap; they are polled at every
	// tick and accumulated here.
	recv, drop, ifdrop wrap32

	// The -w file: w writes through buf into file; wname is its name, kept
	// for Reopen.
	wname string
	file  *os.File
	// wlimit is LiveConfig.WriteLimit, wbytes the bytes in the current
	// file, wseq its number after the first (0: the first, named wname).
	wlimit, wbytes int64
	wseq           int
	// wperiod is LiveConfig.RotateEvery; wstart is when the current -G
	// period began, whose time names the file through wfmt (wname is then
	// the pattern).
	wperiod time.Duration
	wstart  time.Time
	wfmt    *strftime.Strftime
	buf     *bufio.Writer
	w       *pcapgo.Writer
	werr    error // first write error; writing stops there

	tick   time.Time // wall time of the last housekeeping (flush, counters)
	closed bool
}

// housekeepEvery is how many packets go by between looks at the wall clock.
const housekeepEvery = 64

// wfileName is the name of the current -w file: the name given, then with
// the file's number after it once -C has rotated it (tcpdump's naming).
func (s *liveSource) wfileName() string {
	name := s.wname
	if s.wfmt != nil {
		name = s.wfmt.FormatString(s.wstart.Local())
	}
	if s.wseq == 0 {
		return name
	}
	return name + strconv.Itoa(s.wseq)
}

func (s *liveSource) openWriter(name string, h *pcap.Handle) error {
	s.wbytes = 24 // the file header
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write captured packets: %w", err)
	}
	s.file = f
	if s.wname == "" {
		s.wname = name
	}
	s.buf = bufio.NewWriterSize(f, 256<<10)
	if h.Resolution() == gopacket.TimestampResolutionNanosecond {
		s.w = pcapgo.NewWriterNanos(s.buf)
	} else {
		s.w = pcapgo.NewWriter(s.buf)
	}
	snap := h.SnapLen()
	if snap <= 0 {
		snap = 262144
	}
	if err := s.w.WriteFileHeader(uint32(snap), s.lt); err == nil {
		err = s.buf.Flush()
	}
	if err != nil {
		f.Close()
		s.file, s.buf, s.w = nil, nil, nil
		return fmt.Errorf("write captured packets to %s: %w", name, err)
	}
	return nil
}

// Reopen implements Reopener: the -w file is flushed and closed, then
// opened again under its name (logrotate has moved the old one away) and
// begun with a pcap file header, so each file reads on its own. Writing
// that had stopped on an error starts again in the new file. A failure is
// returned and also ends the writing, as a failed write does (Damage).
func (s *liveSource) Reopen() error {
	if s.closed || s.wname == "" {
		return nil
	}
	var err error
	if s.file != nil {
		if s.werr == nil {
			err = s.buf.Flush()
		}
		if cerr := s.file.Close(); err == nil {
			err = cerr
		}
		s.file, s.buf, s.w = nil, nil, nil
	}
	if err == nil {
		s.werr = nil
		err = s.openWriter(s.wfileName(), s.h)
	} else {
		err = fmt.Errorf("write captured packets: %w", err)
	}
	if err != nil {
		s.writeFailedName(s.wfileName(), err)
	}
	return err
}

// rotate goes on to the next -w file (-C): the current one is finished and
// the next number opened.
func (s *liveSource) rotate() {
	s.wseq++
	_ = s.Reopen() // a failure is recorded as Damage and stops the writing
}

// Next implements Source.
func (s *liveSource) Next() (*Packet, error) {
	if s.closed {
		return nil, io.EOF
	}
again:
	data, ci, err := s.h.ZeroCopyReadPacketData()
	switch {
	case err == nil:
	case errors.Is(err, pcap.NextErrorTimeoutExpired):
		s.housekeep(time.Now())
		return nil, ErrTimeout
	case err == io.EOF:
		return nil, io.EOF
	default:
		// The interface went away or went down. Like a damaged file, this
		// ends the input without losing what was learned: the caller
		// reports everything and the damage.
		if detail := s.h.Error(); detail != nil && detail.Error() != "" {
			err = fmt.Errorf("%w: %s", err, detail.Error())
		}
		s.stats.Damage = append(s.stats.Damage, Damage{File: s.name, AfterPacket: s.stats.Packets, Offset: -1, Err: fmt.Errorf("live read: %w", err)})
		s.finish()
		return nil, io.EOF
	}

	if s.w != nil && s.werr == nil && s.wperiod > 0 && ci.Timestamp.Sub(s.wstart) >= s.wperiod {
		// -G: a new period, a new name; -C's numbers start again.
		s.wstart, s.wseq = ci.Timestamp, -1
		s.rotate()
	} else if s.w != nil && s.werr == nil && s.wlimit > 0 && s.wbytes > s.wlimit {
		s.rotate()
	}
	if s.w != nil && s.werr == nil {
		if err := s.w.WritePacket(ci, data); err != nil {
			s.writeFailed(err)
		}
		s.wbytes += 16 + int64(len(data))
	}
	p := s.frame(data, ci, s.lt)
	if p == nil {
		goto again // a fragment kept until its datagram is whole
	}
	if s.stats.Packets%housekeepEvery == 0 {
		if now := time.Now(); now.Sub(s.tick) >= writeFlushInterval {
			s.housekeep(now)
		}
	}
	return p, nil
}

// housekeep flushes the -w file and folds libpcap's counters into 64-bit
// totals before they can wrap.
func (s *liveSource) housekeep(now time.Time) {
	s.tick = now
	if s.buf != nil && s.werr == nil {
		if err := s.buf.Flush(); err != nil {
			s.writeFailed(err)
		}
	}
	s.pollCounters()
}

func (s *liveSource) pollCounters() {
	if s.closed {
		return
	}
	ps, err := s.h.Stats()
	if err != nil {
		return // keep the last counters; they only grow
	}
	s.stats.Received = s.recv.update(uint32(ps.PacketsReceived))
	s.stats.KernelDropped = s.drop.update(uint32(ps.PacketsDropped))
	s.stats.InterfaceDropped = s.ifdrop.update(uint32(ps.PacketsIfDropped))
}

// writeFailed stops writing the -w file and records why. The analysis goes
// on: the live report matters more than the copy, and the damage entry
// makes the run end with an error and a warning naming the file.
func (s *liveSource) writeFailed(err error) { s.writeFailedName(s.file.Name(), err) }

func (s *liveSource) writeFailedName(name string, err error) {
	s.werr = err
	s.stats.Damage = append(s.stats.Damage, Damage{
		File: name, AfterPacket: s.stats.Packets, Offset: -1,
		Err: fmt.Errorf("writing the captured packets stopped: %w", err),
	})
}

// Stats implements Source. While the capture is open it asks libpcap for
// fresh counters.
func (s *liveSource) Stats() Stats {
	s.pollCounters()
	st := s.stats
	st.Damage = slices.Clone(st.Damage)
	st.FragmentsIncomplete = uint64(s.defrag.pending())
	return st
}

// finish takes libpcap's last counters and closes the handle and the -w
// file. It returns the first error closing the file met.
func (s *liveSource) finish() error {
	if s.closed {
		return nil
	}
	s.pollCounters()
	s.closed = true
	s.h.Close()
	if s.file == nil {
		return nil
	}
	var err error
	if s.werr == nil {
		err = s.buf.Flush()
	}
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	s.file, s.buf, s.w = nil, nil, nil
	if err != nil {
		return fmt.Errorf("write captured packets: %w", err)
	}
	return nil
}

// Close implements Source: it stops the capture and flushes and closes the
// -w file. Next returns io.EOF afterwards; Stats keeps the last counters.
func (s *liveSource) Close() error { return s.finish() }

// ListInterfaces returns the devices libpcap can capture on, in libpcap's
// order (the first is what tcpdump opens without -i).
func ListInterfaces() ([]Interface, error) {
	devs, err := pcap.FindAllDevs()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	out := make([]Interface, 0, len(devs))
	for _, d := range devs {
		ifc := Interface{Name: d.Name, Description: d.Description, Flags: InterfaceFlags(d.Flags)}
		for _, a := range d.Addresses {
			ip, ok := netip.AddrFromSlice(a.IP)
			if !ok {
				continue
			}
			ip = ip.Unmap()
			bits := ip.BitLen()
			if ones, size := a.Netmask.Size(); size == bits {
				bits = ones
			} else if len(a.Netmask) == 16 && ip.Is4() {
				// An IPv4 mask stored in 16 bytes.
				if ones, size := a.Netmask[12:].Size(); size == 32 {
					bits = ones
				}
			}
			ifc.Addresses = append(ifc.Addresses, netip.PrefixFrom(ip, bits))
		}
		out = append(out, ifc)
	}
	return out, nil
}
