package analysis

// Add adds the counters of o to s: the totals of several analyzers that
// split one input between them (pipeline's workers). FirstDuplicate names
// the earlier of the two first duplicates.
func (s *Stats) Add(o Stats) {
	s.Sessions += o.Sessions
	s.Channels += o.Channels
	for i := range s.Verdicts {
		s.Verdicts[i] += o.Verdicts[i]
	}
	s.Blocked += o.Blocked
	s.NAT += o.NAT
	s.TLS += o.TLS
	s.Malformed += o.Malformed
	s.UnmatchedReplies += o.UnmatchedReplies
	s.EvictedSessions += o.EvictedSessions
	s.EvictedChannels += o.EvictedChannels
	s.EvictedPending += o.EvictedPending
	s.EvictedAttempts += o.EvictedAttempts
	s.EvictedNotes += o.EvictedNotes
	s.UnfollowedAttempts += o.UnfollowedAttempts
	s.Bounces += o.Bounces
	s.Attempts += o.Attempts
	s.MatchSteps += o.MatchSteps
	s.BudgetChannels += o.BudgetChannels
	s.BudgetSessions += o.BudgetSessions
	for i := range s.Notices {
		s.Notices[i] += o.Notices[i]
	}
	s.EvictedNotices += o.EvictedNotices
	s.EvictedLoginSources += o.EvictedLoginSources
	s.EvictedCommands += o.EvictedCommands
	s.EvictedLoginAttempts += o.EvictedLoginAttempts
	s.LongArguments += o.LongArguments
	s.OpenAtEnd += o.OpenAtEnd
	if o.DuplicatePackets > 0 && (s.DuplicatePackets == 0 || o.FirstDuplicate.Num < s.FirstDuplicate.Num) {
		s.FirstDuplicate = o.FirstDuplicate
	}
	s.DuplicatePackets += o.DuplicatePackets
	s.PayloadEvictions += o.PayloadEvictions
}
