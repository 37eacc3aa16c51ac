//go:build !linux || !cgo

package capture

// OpenAFPacket would capture through Linux AF_PACKET rings, which this build
// does not have; it returns ErrAFPacketUnavailable.
func OpenAFPacket(cfg LiveConfig, rings int) ([]Source, error) {
	return nil, ErrAFPacketUnavailable
}
