package main

import (
	"fmt"

	"github.com/ftpscope/ftpscope/transfer"
)

// validateFiles checks --hash, --extract and --extract-max-bytes.
func (o *options) validateFiles() error {
	h, err := transfer.ParseHashes(o.hashes)
	if err != nil {
		return fmt.Errorf("--hash: %w", err)
	}
	o.hashes = h
	if o.extractMax < 0 {
		return fmt.Errorf("--extract-max-bytes must not be negative")
	}
	if o.extractMax > 0 && o.extractDir == "" {
		return fmt.Errorf("--extract-max-bytes goes with --extract DIR")
	}
	return nil
}

// payloadConsumer returns what takes the transfers' bytes, or nil when no
// flag asks for them: without --hash, --mime and --extract the data
// connections stay on the counters and no byte is copied.
func (o *options) payloadConsumer() (*transfer.Consumer, error) {
	if len(o.hashes) == 0 && o.extractDir == "" && !o.mime {
		return nil, nil
	}
	return transfer.New(transfer.Options{Hashes: o.hashes, ExtractDir: o.extractDir, MaxExtractBytes: o.extractMax})
}
