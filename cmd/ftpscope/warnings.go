package main

import (
	"fmt"

	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/capture"
)

// captureWarnings says, one line each, what in the input was odd without
// being damage: frames that could not be decoded, TCP segments cut by the
// snap length, timestamps that go backwards. Each names the first such
// frame and says what it means for the report.
func captureWarnings(st capture.Stats) []string {
	var w []string
	if st.Snapped > 0 {
		w = append(w, fmt.Sprintf("%d TCP segment%s cut by the snap length, the first at %s: "+
			"control lines in them are lost (reported as gaps), so announcements in them are missed and their data connections are not judged; "+
			"data-connection verdicts, which need only headers, are unaffected (capture with tcpdump -s 0)",
			st.Snapped, were(st.Snapped), st.FirstSnapped))
	}
	if st.Undecodable > 0 {
		w = append(w, fmt.Sprintf("%d frame%s could not be decoded (zero length, bad IP or TCP header lengths, or an unknown link type), the first at %s: "+
			"they were skipped, and a skipped SYN, answer or control segment can change a verdict",
			st.Undecodable, plural(st.Undecodable), st.FirstUndecodable))
	}
	if n := st.NotDecoded.Total(); n > 0 {
		w = append(w, fmt.Sprintf("%d frame%s carried an encapsulation ftpscope does not decode (%s): "+
			"TCP inside them was not seen, so sessions and data connections in them are missing from the report",
			n, plural(n), notDecodedList(st.NotDecoded)))
	}
	if lost := st.FragmentEvictions + st.FragmentTimeouts + st.FragmentsIncomplete; lost > 0 || st.FragmentsInvalid > 0 {
		w = append(w, fmt.Sprintf("of %d IP fragments, %d datagram%s could not be reassembled (%d evicted by the fragment table's limit of %d datagrams or %d MiB, "+
			"%d incomplete after %v, %d incomplete at the end of the capture) and %d fragment%s could not be used (cut by the snap length, past 64 KiB or overlapping with different bytes): "+
			"a segment in them is missing, which can change a verdict",
			st.Fragments, lost, plural(lost), st.FragmentEvictions, capture.MaxFragmentDatagrams, capture.MaxFragmentBytes>>20,
			st.FragmentTimeouts, capture.FragmentTimeout, st.FragmentsIncomplete, st.FragmentsInvalid, plural(st.FragmentsInvalid)))
	}
	if st.Suspended > 0 {
		w = append(w, fmt.Sprintf("more capture files overlap in time than the open-file limit allows: %d time%s a file was closed and later read again from its start "+
			"(nothing is lost, but reading is slower; raise the limit with ulimit -n)", st.Suspended, plural(st.Suspended)))
	}
	if st.BackwardsTime > 0 {
		w = append(w, fmt.Sprintf("timestamps go backwards %d time%s, the first at %s: the input is not in time order "+
			"(a clock step, or files joined without merging), so timeouts measured in capture time may be off",
			st.BackwardsTime, plural(st.BackwardsTime), st.FirstBackwards))
	}
	return w
}

// analysisWarnings says, one line each, what the analysis found odd in the
// input as a whole: packets read twice.
func analysisWarnings(st analysis.Stats) []string {
	var w []string
	if n := st.DuplicatePackets; n > 0 {
		what := "packets of FTP connections were copies of packets"
		if n == 1 {
			what = "packet of an FTP connection was a copy of a packet"
		}
		w = append(w, fmt.Sprintf("the same packets appear to have been read twice (the same file given twice with -r, or a capture taken on two interfaces that both saw them): "+
			"%d %s already read, the first at %s; each is counted once", n, what, st.FirstDuplicate))
	}
	return w
}

// notDecodedList names the kinds counted, with their counts.
func notDecodedList(c capture.UndecodedCounts) string {
	var s string
	for i, n := range c {
		if n == 0 {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%s: %d", capture.Undecoded(i), n)
	}
	return s
}

func plural(n uint64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func were(n uint64) string {
	if n == 1 {
		return " was"
	}
	return "s were"
}
