package analysis

// RenderReason writes a channel's reason in words. The words live in
// package report, which imports this one, so the tests of this package
// reach them through this hook, set by words_test.go (package
// analysis_test, linked into the same test binary).
var RenderReason func(*Channel) string

// RenderNote and RenderLint write notes and lint findings in words, the
// same way.
var (
	RenderNote func(Note) string
	RenderLint func(LintFinding) string
)

// noteText and lintText are a note's and a finding's text as every output writes it.
func noteText(n Note) string { return RenderNote(n) }

func lintText(f LintFinding) string { return RenderLint(f) }

// reasonText is the channel's reason as every output writes it.
func reasonText(c *Channel) string {
	if RenderReason == nil {
		panic("analysis tests: RenderReason not set (words_test.go)")
	}
	return RenderReason(c)
}
