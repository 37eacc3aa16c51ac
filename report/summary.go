package report

import "github.com/ftpscope/ftpscope/analysis"

type jsonDamage struct {
	File        string `json:"file"`
	AfterPacket uint64 `json:"after_packet"`
	Offset      int64  `json:"offset"`
	Error       string `json:"error"`
}

type jsonSummary struct {
	Type        string            `json:"type"`
	Sessions    uint64            `json:"session_count"`
	Channels    uint64            `json:"channel_count"`
	Verdicts    map[string]uint64 `json:"verdicts"`
	Blocked     uint64            `json:"blocked"`
	NAT         uint64            `json:"nat"`
	TLSSessions uint64            `json:"tls_sessions"`
	Packets     uint64            `json:"packets"`
	Bytes       uint64            `json:"bytes"`
	First       string            `json:"first"`
	Last        string            `json:"last"`
	Truncated   bool              `json:"truncated"`
	Damage      []jsonDamage      `json:"damage"`
	Interrupted bool              `json:"interrupted"`
	OpenAtEnd   uint64            `json:"open_at_end"`
	Capture     map[string]uint64 `json:"capture"`
	Reassembly  map[string]uint64 `json:"reassembly"`
	Evictions   map[string]uint64 `json:"evictions"`
	Anomalies   map[string]uint64 `json:"anomalies"`
	Fragments   map[string]uint64 `json:"fragments"`
	NotDecoded  map[string]uint64 `json:"not_decoded"`
	Live        map[string]uint64 `json:"live,omitempty"`
	// Rings are an AF_PACKET capture's per-ring kernel counters (live,
	// --workers with more than one ring).
	Rings []jsonRing `json:"rings,omitempty"`
	// Notices counts the notice records by kind.
	Notices map[string]uint64 `json:"notices"`
	// Points: a run over several capture points (--point).
	Points *jsonPointsSummary `json:"capture_points,omitempty"`
	// Shard is there when the run was one shard of several (--shard K/N).
	Shard *jsonShard `json:"shard,omitempty"`
}

// jsonShard says which share of the control connections a run followed:
// the sessions, channels and their counts of the N runs add up to the
// unsharded run's; the capture counters (packets, bytes) are each run's
// own, since every run reads the whole input.
type jsonShard struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// OtherShard counts the packets on a control port left to the other
	// shards' runs.
	OtherShard uint64 `json:"other_shard_packets"`
}

func summaryJSON(s Summary) jsonSummary {
	c, r, a := s.Capture, s.Reassembly, s.Analysis
	j := jsonSummary{
		Type:        "summary",
		Sessions:    a.Sessions,
		Channels:    a.Channels,
		Verdicts:    map[string]uint64{},
		Blocked:     a.Blocked,
		NAT:         a.NAT,
		TLSSessions: a.TLS,
		Packets:     c.Packets,
		Bytes:       c.Bytes,
		First:       stamp(c.First),
		Last:        stamp(c.Last),
		Truncated:   c.Truncated(),
		Damage:      []jsonDamage{},
		Interrupted: s.Interrupted,
		OpenAtEnd:   a.OpenAtEnd,
		Capture: map[string]uint64{
			"tcp": c.TCP, "icmp": c.ICMP, "other": c.Other, "undecodable": c.Undecodable,
			"snapped": c.Snapped, "backwards_time": c.BackwardsTime,
		},
		Reassembly: map[string]uint64{
			"streams": r.Streams, "detected": r.Detected, "midstream": r.Midstream, "lines": r.Lines,
			"long_lines": r.LongLines, "gaps": r.Gaps, "gap_bytes": r.GapBytes, "idle_closed": r.IdleClosed,
			"conflicts": r.Conflicts,
		},
		Evictions: Evictions(s),
		Anomalies: map[string]uint64{
			"malformed_lines": a.Malformed, "unmatched_replies": a.UnmatchedReplies,
			"bounce": a.Bounces, "conflicts": r.Conflicts, "long_lines": r.LongLines,
			"long_arguments":    a.LongArguments,
			"duplicate_packets": a.DuplicatePackets,
		},
		Fragments: map[string]uint64{
			"fragments": c.Fragments, "reassembled": c.Reassembled, "evicted": c.FragmentEvictions,
			"timed_out": c.FragmentTimeouts, "incomplete": c.FragmentsIncomplete, "invalid": c.FragmentsInvalid,
		},
		NotDecoded: c.NotDecoded.Map(),
	}
	j.Notices = map[string]uint64{}
	for _, k := range analysis.NoticeKinds() {
		j.Notices[k.String()] = a.Notices[k]
	}
	for _, v := range analysis.Verdicts {
		j.Verdicts[v.String()] = a.Verdicts[v]
	}
	for _, d := range c.Damage {
		j.Damage = append(j.Damage, jsonDamage{File: d.File, AfterPacket: d.AfterPacket, Offset: d.Offset, Error: d.Err.Error()})
	}
	if s.Points != nil {
		j.Points = pointsSummaryJSON(s.Points)
	}
	if sh := s.Shard; sh.Split() {
		j.Shard = &jsonShard{Index: sh.Index, Count: sh.Count, OtherShard: s.OtherShard}
	}
	if c.Live {
		j.Live = map[string]uint64{"received": c.Received, "kernel_dropped": c.KernelDropped, "interface_dropped": c.InterfaceDropped}
	}
	for _, r := range c.Rings {
		j.Rings = append(j.Rings, jsonRing{Received: r.Received, KernelDropped: r.KernelDropped})
	}
	return j
}

// Evictions counts what every bounded table let go, by table: the summary's
// "evictions" object, and the table label of the metrics' evictions counter.
// The keys are the same for every summary.
func Evictions(s Summary) map[string]uint64 {
	c, r, a := s.Capture, s.Reassembly, s.Analysis
	return map[string]uint64{
		"streams": r.EvictedStreams, "candidates": r.CandidatesEvicted, "pages": r.PagesEvicted,
		"fragments": c.FragmentEvictions,
		"sessions":  a.EvictedSessions, "channels": a.EvictedChannels, "pending_commands": a.EvictedPending,
		"attempts": a.EvictedAttempts, "notes": a.EvictedNotes, "channel_attempts": a.UnfollowedAttempts, "payload": a.PayloadEvictions,
		"memory_channels": a.BudgetChannels, "memory_sessions": a.BudgetSessions,
		"command_log": a.EvictedCommands, "login_attempts": a.EvictedLoginAttempts,
		"notices": a.EvictedNotices, "login_sources": a.EvictedLoginSources,
	}
}

// jsonRing is one capture ring's kernel counters in the summary.
type jsonRing struct {
	Received      uint64 `json:"received"`
	KernelDropped uint64 `json:"kernel_dropped"`
}
