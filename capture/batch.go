package capture

// Batch holds copies of packets, their payloads in one buffer of its own,
// so that they stay valid after the Source that decoded them moves on:
// what a goroutine hands to others (the rings of MergeRings, pipeline's
// workers) while its Source reads the next packets.
type Batch struct {
	// Packets are the copies, in the order added.
	Packets  []Packet
	buf      []byte
	maxBytes int
}

// NewBatch makes a batch of at most packets packets and bytes bytes of
// payload (a single payload larger than that gets a batch of its own).
func NewBatch(packets, bytes int) *Batch {
	return &Batch{Packets: make([]Packet, 0, packets), buf: make([]byte, 0, bytes), maxBytes: bytes}
}

// Add copies p into b; false when b is not empty and has no room for it.
func (b *Batch) Add(p *Packet) bool {
	if len(b.Packets) > 0 && (len(b.Packets) == cap(b.Packets) || len(b.buf)+len(p.Payload) > cap(b.buf)) {
		return false
	}
	q := *p
	if len(p.Payload) > 0 {
		if len(p.Payload) > cap(b.buf)-len(b.buf) {
			// Only the first packet of a batch gets here: a payload
			// larger than a batch has a buffer of its own.
			b.buf = make([]byte, 0, len(p.Payload))
		}
		start := len(b.buf)
		b.buf = append(b.buf, p.Payload...)
		q.Payload = b.buf[start:len(b.buf):len(b.buf)]
	}
	b.Packets = append(b.Packets, q)
	return true
}

// Reset empties b for reuse, giving back a buffer grown for one large
// payload.
func (b *Batch) Reset() {
	clear(b.Packets)
	b.Packets = b.Packets[:0]
	if cap(b.buf) > b.maxBytes {
		b.buf = make([]byte, 0, b.maxBytes)
	}
	b.buf = b.buf[:0]
}
