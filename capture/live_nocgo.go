//go:build !cgo

package capture

// OpenLive would capture through libpcap, which a build without cgo cannot
// call; it returns ErrLiveUnavailable. Reading files needs no libpcap.
func OpenLive(cfg LiveConfig) (Source, error) {
	return nil, ErrLiveUnavailable
}

// ListInterfaces asks libpcap for its devices, which a build without cgo
// cannot do; it returns ErrLiveUnavailable.
func ListInterfaces() ([]Interface, error) {
	return nil, ErrLiveUnavailable
}
