package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
)

// syslogSink receives syslog datagrams on a Unix socket at path and writes each
// to out as one line, flushed per message so the log is whole whenever the lab
// stops the sink (by its PID) after the server.
func syslogSink(path, out string) error {
	_ = os.Remove(path) // a socket left by an earlier run
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("listen on %s: %w", path, err)
	}
	defer c.Close()
	if err := os.Chmod(path, 0o666); err != nil { // pure-ftpd logs after dropping privileges
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", out, err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	buf := make([]byte, 64*1024)
	for {
		n, _, err := c.ReadFromUnix(buf)
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		msg := bytes.TrimRight(buf[:n], "\x00\n")
		msg = bytes.ReplaceAll(msg, []byte("\n"), []byte(" "))
		w.Write(msg)
		w.WriteByte('\n')
		if err := w.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
	}
}
