package capture

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/lestrrat-go/strftime"
)

// ErrLiveUnavailable is returned by OpenLive and ListInterfaces in a build
// without cgo (and so without libpcap). File analysis does not need libpcap.
var ErrLiveUnavailable = errors.New("live capture is not in this build (ftpscope was built without cgo/libpcap); reading files works")

// DefaultLiveTimeout is the read timeout of a live capture when LiveConfig
// leaves it zero. It bounds how long Next blocks on an idle link, and so how
// late a verdict that waits for time to pass (SYNs never answered) is
// printed and how quickly a signal is noticed.
const DefaultLiveTimeout = 250 * time.Millisecond

// writeFlushInterval is how often (in capture time, or at every idle read
// timeout) the -w file is flushed, so that it stays usable when the process
// is killed.
const writeFlushInterval = time.Second

// LiveConfig configures OpenLive.
type LiveConfig struct {
	// Interface is the device to capture on ("eth0", "any").
	Interface string
	// SnapLen is the number of bytes kept per packet; 0 keeps libpcap's
	// default (262144).
	SnapLen int
	// Promiscuous puts the interface into promiscuous mode, so that a span
	// port or a hub shows other hosts' traffic.
	Promiscuous bool
	// BufferSize is the kernel capture buffer in bytes; 0 keeps libpcap's
	// default (2 MiB on Linux). A larger buffer absorbs longer bursts before
	// the kernel drops packets.
	BufferSize int
	// Filter is a BPF expression (tcpdump syntax) applied in the kernel;
	// empty captures everything.
	Filter string
	// Timeout is the read timeout: Next returns ErrTimeout after this long
	// without a packet. 0 means DefaultLiveTimeout.
	Timeout time.Duration
	// WriteFile, when not empty, receives every captured frame as a pcap
	// file, flushed every second and on idle reads, so that it can be read
	// while the capture runs and survives the process being killed.
	WriteFile string
	// WriteLimit, when positive, rotates the -w file as tcpdump's -C does:
	// before a packet is written to a file already larger than WriteLimit
	// bytes, the file is closed and the next one opened, named WriteFile
	// with 1, 2, 3, ... after it.
	WriteLimit int64
	// RotateEvery, when positive, rotates the -w file as tcpdump's -G
	// does: once a packet's capture time is RotateEvery past the start of
	// the current file, the next file is begun. WriteFile is then a
	// strftime(3) pattern (it must hold a conversion, such as %H%M%S, or
	// every file would have the same name), formatted with the local time
	// the file begins at; with WriteLimit the numbers 1, 2, ... follow it,
	// starting again with each new period.
	RotateEvery time.Duration
}

// RotatedName is the -w file name a -G rotation gives pattern (a strftime(3)
// pattern) for a file begun at t, in local time as tcpdump names them.
func RotatedName(pattern string, t time.Time) (string, error) {
	f, err := rotationPattern(pattern)
	if err != nil {
		return "", err
	}
	return f.FormatString(t.Local()), nil
}

// rotationPattern compiles a -G file name pattern, refusing one without a
// conversion (every file would get the same name).
func rotationPattern(pattern string) (*strftime.Strftime, error) {
	if !strings.Contains(pattern, "%") {
		return nil, fmt.Errorf("-w %q holds no time conversion (such as %%Y%%m%%d-%%H%%M%%S): every rotated file would have its name", pattern)
	}
	f, err := strftime.New(pattern, strftime.WithUnixSeconds('s'))
	if err != nil {
		return nil, fmt.Errorf("-w %q is not a strftime pattern: %w", pattern, err)
	}
	return f, nil
}

// Interface is a device live capture can open.
type Interface struct {
	// Name is what LiveConfig.Interface takes.
	Name string
	// Description is libpcap's description ("Pseudo-device that captures
	// on all interfaces"), often empty on Linux.
	Description string
	// Addresses are the interface's IP addresses with their prefix length
	// (the full length when libpcap reports no netmask).
	Addresses []netip.Prefix
	// Flags are libpcap's PCAP_IF_* flags.
	Flags InterfaceFlags
}

// InterfaceFlags are libpcap's PCAP_IF_* flags.
type InterfaceFlags uint32

// The PCAP_IF_* flags (pcap/pcap.h).
const (
	IfLoopback InterfaceFlags = 0x01
	IfUp       InterfaceFlags = 0x02
	IfRunning  InterfaceFlags = 0x04
	IfWireless InterfaceFlags = 0x08

	// IfConnectionStatus masks the connection status, one of the
	// IfStatus* values.
	IfConnectionStatus InterfaceFlags = 0x30
	IfStatusUnknown    InterfaceFlags = 0x00
	IfStatusConnected  InterfaceFlags = 0x10
	IfStatusDown       InterfaceFlags = 0x20
	IfStatusNA         InterfaceFlags = 0x30
)

// String lists the flags as words, tcpdump -D style: "up, running,
// connected"; "none" when no flag is set.
func (f InterfaceFlags) String() string {
	var parts []string
	for _, n := range []struct {
		bit  InterfaceFlags
		name string
	}{{IfUp, "up"}, {IfRunning, "running"}, {IfLoopback, "loopback"}, {IfWireless, "wireless"}} {
		if f&n.bit != 0 {
			parts = append(parts, n.name)
		}
	}
	switch f & IfConnectionStatus {
	case IfStatusConnected:
		parts = append(parts, "connected")
	case IfStatusDown:
		parts = append(parts, "disconnected")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// wrap32 accumulates a 32-bit counter that wraps around (libpcap's
// struct pcap_stat fields are u_int: at a million packets per second they
// wrap in 72 minutes) into a 64-bit total. It must be fed at least once per
// wrap period.
type wrap32 struct {
	last  uint32
	total uint64
}

// update takes the counter's current raw value and returns the total.
func (w *wrap32) update(raw uint32) uint64 {
	w.total += uint64(raw - w.last) // modular: a wrap adds the right amount
	w.last = raw
	return w.total
}

// Reopener is a Source with a file of its own (live capture's -w file) that
// it can close and open again under the same name, for logrotate.
type Reopener interface {
	Reopen() error
}
