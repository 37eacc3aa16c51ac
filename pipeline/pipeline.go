// Package pipeline is the one place that passes packets along the chain
// capture -> reassembly -> analysis: control-connection segments to the
// assembler, every other TCP segment and every ICMP error to the analyzer,
// and capture time to both. The command and the tests that run whole
// captures share it, so they cannot drift apart.
package pipeline

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
	"github.com/ftpscope/ftpscope/reassembly"
)

// Stages holds the two stages after capture and the capture time reached.
type Stages struct {
	asm  *reassembly.Assembler
	an   *analysis.Analyzer
	last time.Time
	next time.Time // when Advance is due again
}

// New returns the chain asm -> an. The assembler must report to an.
func New(asm *reassembly.Assembler, an *analysis.Analyzer) *Stages {
	return &Stages{asm: asm, an: an}
}

// Packet hands one decoded packet to the stages, in capture order.
func (s *Stages) Packet(p *capture.Packet) {
	due := false
	if p.Time.After(s.last) {
		s.last = p.Time
		// Both stages act at most once per capture-second; asking only
		// then keeps their clock checks off the per-packet path. Only a
		// packet that moves time on can make them due.
		due = !s.last.Before(s.next)
	}
	switch p.Kind {
	case capture.KindTCP:
		control := s.asm.Packet(p)
		if !control {
			s.an.Packet(p)
		}
		s.an.Trace(p, control)
	case capture.KindICMP:
		s.an.Packet(p)
	}
	if due {
		s.Advance(s.last)
	}
}

// Advance tells both stages capture time has reached now. A live capture
// calls it on an idle link, so that pending verdicts become final.
func (s *Stages) Advance(now time.Time) {
	s.asm.Advance(now)
	s.an.Advance(now)
	s.next = now.Add(time.Second)
}

// Last returns the latest capture time seen.
func (s *Stages) Last() time.Time { return s.last }

// Close ends the input: everything buffered is delivered and every session
// is judged and emitted.
func (s *Stages) Close() {
	s.asm.Close(s.last)
	s.an.Finish(s.last)
}

// Run reads src to its end through the stages and closes them.
func (s *Stages) Run(src capture.Source) error {
	for {
		p, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.Close()
			return fmt.Errorf("read packets: %w", err)
		}
		s.Packet(p)
	}
	s.Close()
	return nil
}
