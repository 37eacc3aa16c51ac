package capture

import (
	"errors"
	"io"
	"sync"
	"time"
)

// MergeRings reads the rings of one capture (OpenAFPacket's Sources) at
// once, each on a goroutine of its own, and hands out their packets as one
// live Source: the rings' reading, the copies out of the kernel's memory
// and the decoding spread over cores. A ring's packets keep their order,
// and the fanout sends all the packets between two hosts to one ring, so
// an FTP session's control and data connections stay in order; between
// rings, packets go out in the order they were read, which may differ
// from their timestamps by a few milliseconds. Packets are numbered (Num)
// in the order they are handed out. Next returns ErrTimeout when no ring
// delivered anything for timeout (DefaultLiveTimeout when 0), io.EOF once every ring ended (after
// Close), or the first ring's read error.
//
// Stats adds up the rings' (received and dropped packets, the kernel's
// counters, are each ring's own: RingStats lists them); a ring's counters
// are taken each time it hands over packets or times out. Each ring holds
// at most ringBatches batches of packets read but not yet handed out: when
// the analysis falls behind, a ring stops reading and its kernel ring
// fills, and drops, as a single ring would.
func MergeRings(rings []Source, timeout time.Duration) Source {
	if timeout <= 0 {
		timeout = DefaultLiveTimeout
	}
	m := &ringMerge{
		out:     make(chan *ringBatch, len(rings)*ringBatches),
		quit:    make(chan struct{}),
		timeout: timeout,
		rings:   make([]*ringReader, len(rings)),
	}
	for i, src := range rings {
		r := &ringReader{m: m, src: src, free: make(chan *ringBatch, ringBatches)}
		for range ringBatches {
			r.free <- &ringBatch{r: r, Batch: NewBatch(ringBatchPackets, ringBatchBytes)}
		}
		r.stats = src.Stats()
		m.rings[i] = r
	}
	m.wg.Add(len(rings))
	for _, r := range m.rings {
		go r.read()
	}
	return m
}

// A ring hands over batches of up to ringBatchPackets packets and
// ringBatchBytes of payload, at most ringBatchAge after the first was
// read, from a pool of ringBatches.
const (
	ringBatches      = 4
	ringBatchPackets = 256
	ringBatchBytes   = 512 << 10
	ringBatchAge     = 5 * time.Millisecond
)

// ringBatch is packets copied out of one ring; end, when set, is the
// ring's last word (io.EOF or its read error).
type ringBatch struct {
	*Batch
	r   *ringReader
	end error
}

// ringReader reads one ring.
type ringReader struct {
	m    *ringMerge
	src  Source
	free chan *ringBatch
	// stats is the ring's Stats as of its last hand-over.
	mu    sync.Mutex
	stats Stats
}

// ringMerge is the Source MergeRings returns.
type ringMerge struct {
	rings   []*ringReader
	out     chan *ringBatch
	quit    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	timeout time.Duration

	cur   *ringBatch
	i     int
	ended int
	err   error
	num   uint64
	timer *time.Timer
}

func (r *ringReader) snapshot() {
	st := r.src.Stats()
	r.mu.Lock()
	r.stats = st
	r.mu.Unlock()
}

// take gets an empty batch, or nil once the merge is closed.
func (r *ringReader) take() *ringBatch {
	select {
	case b := <-r.free:
		b.Reset()
		b.end = nil
		return b
	case <-r.m.quit:
		return nil
	}
}

// give hands b over; false once the merge is closed.
func (r *ringReader) give(b *ringBatch) bool {
	r.snapshot()
	select {
	case r.m.out <- b:
		return true
	case <-r.m.quit:
		return false
	}
}

func (r *ringReader) read() {
	defer r.m.wg.Done()
	var (
		b     *ringBatch
		first time.Time
	)
	for {
		p, err := r.src.Next()
		switch {
		case err == nil:
		case errors.Is(err, ErrTimeout):
			if b != nil && len(b.Packets) > 0 {
				if !r.give(b) {
					return
				}
				b = nil
			} else {
				r.snapshot()
			}
			select {
			case <-r.m.quit:
				return
			default:
			}
			continue
		default:
			if b == nil {
				if b = r.take(); b == nil {
					return
				}
			}
			b.end = err
			r.give(b)
			return
		}
		if b != nil && !b.Add(p) {
			if !r.give(b) {
				return
			}
			b = nil
		}
		if b == nil {
			if b = r.take(); b == nil {
				return
			}
			first = time.Now()
			b.Add(p)
		}
		if time.Since(first) >= ringBatchAge {
			if !r.give(b) {
				return
			}
			b = nil
		}
	}
}

// Next implements Source.
func (m *ringMerge) Next() (*Packet, error) {
	for {
		if b := m.cur; b != nil {
			if m.i < len(b.Packets) {
				p := &b.Packets[m.i]
				m.i++
				m.num++
				p.Num = m.num
				return p, nil
			}
			m.cur = nil
			b.r.free <- b // never blocks: the pool has room for its batches
		}
		if m.err != nil {
			return nil, m.err
		}
		if m.timer == nil {
			m.timer = time.NewTimer(m.timeout)
		} else {
			m.timer.Reset(m.timeout)
		}
		select {
		case b := <-m.out:
			m.timer.Stop()
			m.cur, m.i = b, 0
			if b.end != nil {
				m.ended++
				if !errors.Is(b.end, io.EOF) && m.err == nil {
					m.err = b.end
				} else if m.ended == len(m.rings) && m.err == nil {
					m.err = io.EOF
				}
			}
		case <-m.timer.C:
			return nil, ErrTimeout
		}
	}
}

// RingStats returns each ring's Stats as of its last hand-over.
func (m *ringMerge) RingStats() []Stats {
	out := make([]Stats, len(m.rings))
	for i, r := range m.rings {
		r.mu.Lock()
		out[i] = r.stats
		r.mu.Unlock()
	}
	return out
}

// Stats implements Source: the rings' Stats added up.
func (m *ringMerge) Stats() Stats {
	var st Stats
	rings := m.RingStats()
	for i, r := range rings {
		if i == 0 {
			st = r
			st.Damage = append([]Damage(nil), r.Damage...)
		} else {
			st.add(r)
		}
	}
	st.Rings = make([]RingCounters, len(rings))
	for i, r := range rings {
		st.Rings[i] = RingCounters{Received: r.Received, KernelDropped: r.KernelDropped}
	}
	st.Live = true
	return st
}

// Close implements Source: it stops the rings' goroutines (within their
// read timeout) and closes the rings.
func (m *ringMerge) Close() error {
	m.once.Do(func() { close(m.quit) })
	m.wg.Wait()
	var first error
	for _, r := range m.rings {
		if err := r.src.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// RingStatser is a Source made of several rings (MergeRings).
type RingStatser interface {
	RingStats() []Stats
}

// add adds o's counters to s (the rings of one capture).
func (s *Stats) add(o Stats) {
	s.Packets += o.Packets
	s.Bytes += o.Bytes
	s.TCP += o.TCP
	s.ICMP += o.ICMP
	s.Other += o.Other
	s.Undecodable += o.Undecodable
	s.Snapped += o.Snapped
	s.BackwardsTime += o.BackwardsTime
	s.Fragments += o.Fragments
	s.Reassembled += o.Reassembled
	s.FragmentEvictions += o.FragmentEvictions
	s.FragmentTimeouts += o.FragmentTimeouts
	s.FragmentsIncomplete += o.FragmentsIncomplete
	s.FragmentsInvalid += o.FragmentsInvalid
	for i := range s.NotDecoded {
		s.NotDecoded[i] += o.NotDecoded[i]
	}
	s.Suspended += o.Suspended
	s.Damage = append(s.Damage, o.Damage...)
	if !o.First.IsZero() && (s.First.IsZero() || o.First.Before(s.First)) {
		s.First = o.First
	}
	if o.Last.After(s.Last) {
		s.Last = o.Last
	}
	s.Received += o.Received
	s.KernelDropped += o.KernelDropped
	s.InterfaceDropped += o.InterfaceDropped
	if s.FirstUndecodable == (Position{}) {
		s.FirstUndecodable = o.FirstUndecodable
	}
	if s.FirstSnapped == (Position{}) {
		s.FirstSnapped = o.FirstSnapped
	}
	if s.FirstBackwards == (Position{}) {
		s.FirstBackwards = o.FirstBackwards
	}
}
