package ftp

import (
	"fmt"
	"strings"
)

// maxErrorInput bounds SyntaxError.Input so that an error kept in a report
// never pins an arbitrarily long control line in memory.
const maxErrorInput = 256

// maxQuotedInput is how much of the input Error quotes; enough to recognise
// the line, short enough for one line of a report.
const maxQuotedInput = 64

// SyntaxError reports input that does not follow the FTP grammar. Every parser
// in this package returns it (use errors.As), so a caller can tell malformed
// protocol text from its own failures and still show the offending line.
type SyntaxError struct {
	// What says what was wrong, in lowercase words ("octet above 255").
	What string
	// Input is the offending command, reply line or argument, cut to 256
	// bytes.
	Input string
}

// Error returns "what: %q" with the input cut to 64 bytes.
func (e *SyntaxError) Error() string {
	in := e.Input
	if len(in) > maxQuotedInput {
		in = in[:maxQuotedInput]
	}
	return fmt.Sprintf("%s: %q", e.What, in)
}

// syntaxError builds a *SyntaxError from a string input, cutting it to
// maxErrorInput bytes; the cut is cloned so that it never shares the backing
// array of a huge input.
func syntaxError(what, input string) *SyntaxError {
	if len(input) > maxErrorInput {
		input = strings.Clone(input[:maxErrorInput])
	}
	return &SyntaxError{What: what, Input: input}
}

// syntaxErrorBytes is syntaxError for byte input; it copies, so the error
// never aliases the caller's buffer.
func syntaxErrorBytes(what string, input []byte) *SyntaxError {
	if len(input) > maxErrorInput {
		input = input[:maxErrorInput]
	}
	return &SyntaxError{What: what, Input: string(input)}
}
