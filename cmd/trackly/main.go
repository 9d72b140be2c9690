// Command trackly is the admin CLI of Trackly's TUNE integration. It invokes
// the functions with the same JSON payloads as `aws lambda invoke`, and
// `trackly local` runs the whole system on this machine.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs trackly with args and returns its exit code: 0 on success, 1 when
// an action failed (a function error, a TUNE error, an unreachable target),
// 2 on a usage error (a bad flag or argument, no target).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdin, stdout, stderr)
}
