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
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
