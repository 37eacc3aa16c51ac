package reassembly

// Add adds the counters of o to s: the totals of several assemblers that
// split one input's control connections between them (pipeline's workers).
func (s *Stats) Add(o Stats) {
	s.Streams += o.Streams
	s.Detected += o.Detected
	s.Midstream += o.Midstream
	s.Lines += o.Lines
	s.LongLines += o.LongLines
	s.PartialLines += o.PartialLines
	s.Gaps += o.Gaps
	s.GapBytes += o.GapBytes
	s.EvictedStreams += o.EvictedStreams
	s.IdleClosed += o.IdleClosed
	s.Reused += o.Reused
	s.CandidatesEvicted += o.CandidatesEvicted
	s.PagesEvicted += o.PagesEvicted
	s.Conflicts += o.Conflicts
	s.Stray += o.Stray
}
