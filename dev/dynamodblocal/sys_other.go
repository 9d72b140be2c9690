//go:build !linux

package dynamodblocal

import (
	"context"
	"os/exec"
	"syscall"
)

// ownProcessGroup leaves cmd as it is: outside Linux, nothing stops a server when the process that
// started it dies.
func ownProcessGroup(*exec.Cmd) {}

// terminate sends SIGTERM to cmd.
func terminate(cmd *exec.Cmd) error {
	return cmd.Process.Signal(syscall.SIGTERM)
}

// kill kills cmd.
func kill(cmd *exec.Cmd) error {
	return cmd.Process.Kill()
}

// lockFile does not lock outside Linux: processes that install at once each download, and the
// first to finish installs.
func lockFile(context.Context, string) (unlock func(), err error) {
	return func() {}, nil
}
