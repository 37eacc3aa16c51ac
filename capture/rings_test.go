package capture

import (
	"errors"
	"io"
	"net/netip"
	"reflect"
	"sync"
	"testing"
	"time"
)

// fakeRing hands out n packets of one address pair, numbered 1..n in its
// own count, then times out until closed.
type fakeRing struct {
	mu     sync.Mutex
	src    netip.AddrPort
	n, i   int
	closed bool
	p      Packet
}

func (f *fakeRing) Next() (*Packet, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, io.EOF
	}
	if f.i == f.n {
		f.mu.Unlock()
		time.Sleep(time.Millisecond)
		f.mu.Lock()
		return nil, ErrTimeout
	}
	f.i++
	f.p = Packet{Kind: KindTCP, Src: f.src, Seq: uint32(f.i), Num: uint64(f.i), Payload: []byte{byte(f.i)}}
	return &f.p, nil
}

func (f *fakeRing) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Stats{Packets: uint64(f.i), Received: uint64(f.i), KernelDropped: 1, Live: true}
}

func (f *fakeRing) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// TestMergeRings reads three rings through one Source: every packet once,
// each ring's in its order with its payload, numbered anew in the order
// handed out; a timeout once they are idle; the counters per ring and in
// all; io.EOF after Close.
func TestMergeRings(t *testing.T) {
	var rings []Source
	for i, n := range []int{700, 5, 1300} {
		rings = append(rings, &fakeRing{src: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 1), n: n})
	}
	m := MergeRings(rings, 50*time.Millisecond)
	next := map[netip.AddrPort]uint32{}
	var num uint64
	for total := 0; total < 2005; {
		p, err := m.Next()
		if errors.Is(err, ErrTimeout) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		total++
		num++
		next[p.Src]++
		if p.Seq != next[p.Src] || len(p.Payload) != 1 || p.Payload[0] != byte(p.Seq) {
			t.Fatalf("packet %d of %v: seq %d payload %v, want seq %d", total, p.Src, p.Seq, p.Payload, next[p.Src])
		}
		if p.Num != num {
			t.Fatalf("packet %d numbered %d", num, p.Num)
		}
	}
	if _, err := m.Next(); !errors.Is(err, ErrTimeout) {
		t.Fatalf("idle rings: %v, want ErrTimeout", err)
	}
	st := m.Stats()
	if st.Packets != 2005 || st.KernelDropped != 3 || len(st.Rings) != 3 || st.Rings[2].Received != 1300 || !st.Live {
		t.Errorf("stats %+v", st)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestStatsAddEveryCounter checks that add sums every counter of Stats.
func TestStatsAddEveryCounter(t *testing.T) {
	var a, b Stats
	set(reflect.ValueOf(&a).Elem(), 1)
	set(reflect.ValueOf(&b).Elem(), 2)
	a.add(b)
	v := reflect.ValueOf(a)
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Uint64:
			if f.Uint() != 3 {
				t.Errorf("%s is %d after adding 1 and 2: add forgets it", v.Type().Field(i).Name, f.Uint())
			}
		case reflect.Array:
			for j := range f.Len() {
				if f.Index(j).Uint() != 3 {
					t.Errorf("%s[%d] is %d after adding 1 and 2", v.Type().Field(i).Name, j, f.Index(j).Uint())
				}
			}
		}
	}
}

func set(v reflect.Value, n uint64) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Uint64:
			f.SetUint(n)
		case reflect.Array:
			for j := range f.Len() {
				f.Index(j).SetUint(n)
			}
		}
	}
}
