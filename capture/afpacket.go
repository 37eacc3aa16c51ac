package capture

import "errors"

// ErrAFPacketUnavailable is returned by OpenAFPacket where AF_PACKET capture
// is not in the build: on systems other than Linux, and in builds without
// cgo (libpcap compiles the capture filter). OpenLive (libpcap) is the
// portable path.
var ErrAFPacketUnavailable = errors.New("AF_PACKET capture is only in Linux builds with cgo; libpcap capture works")

// MaxAFPacketRings is the most rings OpenAFPacket opens on one interface:
// the kernel's limit on a fanout group's members before Linux 4.19.
const MaxAFPacketRings = 256
