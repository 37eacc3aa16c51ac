package capture

import (
	"errors"
	"io"
)

// ErrTimeout is returned by a live Source's Next when no packet arrived within
// the read timeout; the caller advances its clock and calls Next again.
var ErrTimeout = errors.New("capture: read timeout")

// FileOptions configures OpenFiles.
type FileOptions struct {
	// Stdin is read for the file name "-". Nil means no standard input.
	Stdin io.Reader
}

// OpenFiles opens the named captures as one timeline merged in timestamp order.
// Each may be pcap (microsecond or nanosecond, either byte order) or pcapng
// (several interfaces with different link types), gzip-compressed or not; "-"
// reads opts.Stdin. A missing, unreadable or non-capture file is an error that
// names the file; damage discovered later is recorded in Stats (see Source).
func OpenFiles(names []string, opts FileOptions) (Source, error) {
	return openFiles(names, opts)
}
