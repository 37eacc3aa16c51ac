// Command ftpscope reads packet captures (or live traffic) and explains FTP:
// every control connection, every announced data connection, and every data
// connection a firewall or NAT broke, with the reason in plain words.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// SIGHUP reopens the output files (logrotate's postrotate) instead of
	// ending the run.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reopen := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reopen <- struct{}{}:
			default: // one is pending already: it reopens them all
			}
		}
	}()
	code := runReopen(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, reopen)
	stop()
	os.Exit(code)
}
