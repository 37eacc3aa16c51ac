package craft

import (
	"bytes"
	"io"
)

// WriteInMemory calls write with n writers that keep what they are given,
// and returns it, one byte slice a writer: the hand-made and broken
// captures of pcaps/ are written this way for their tests, and to files by
// their generators.
func WriteInMemory(n int, write func([]io.Writer) error) ([][]byte, error) {
	bufs := make([]bytes.Buffer, n)
	ws := make([]io.Writer, n)
	for i := range bufs {
		ws[i] = &bufs[i]
	}
	if err := write(ws); err != nil {
		return nil, err
	}
	out := make([][]byte, n)
	for i := range bufs {
		out[i] = bufs[i].Bytes()
	}
	return out, nil
}
