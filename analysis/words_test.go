package analysis_test

import (
	"github.com/ftpscope/ftpscope/analysis"
	"github.com/ftpscope/ftpscope/report"
)

// The tests inside package analysis check the reasons as report writes them.
func init() {
	analysis.RenderReason, analysis.RenderNote, analysis.RenderLint = report.Reason, report.NoteText, report.LintText
}
