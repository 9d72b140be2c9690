//go:build linux || darwin

package main

import (
	"os"
	"os/signal"
	"syscall"
	"unsafe"
)

// takeTerminal puts trackly in a process group of its own and makes it the terminal's foreground
// group, so that Ctrl-C reaches trackly alone: the make and go run that started it would otherwise
// take the interrupt too and report it as a failure after trackly's clean stop. It returns what
// gives the terminal back to the group it came from. Without a terminal, or in the background, it
// does nothing.
func takeTerminal() (restore func()) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return func() {}
	}
	var foreground int32
	if ioctl(tty, syscall.TIOCGPGRP, &foreground) != nil || int(foreground) != syscall.Getpgrp() ||
		syscall.Setpgid(0, 0) != nil {
		tty.Close()
		return func() {}
	}
	// A process outside the foreground group that sets the foreground group gets SIGTTOU.
	signal.Ignore(syscall.SIGTTOU)
	self := int32(os.Getpid())
	if ioctl(tty, syscall.TIOCSPGRP, &self) != nil {
		tty.Close()
		return func() {}
	}
	return func() {
		_ = ioctl(tty, syscall.TIOCSPGRP, &foreground)
		tty.Close()
	}
}

// ioctl runs the terminal request req with a process group ID.
func ioctl(tty *os.File, req uintptr, pgid *int32) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, tty.Fd(), req, uintptr(unsafe.Pointer(pgid))); errno != 0 {
		return errno
	}
	return nil
}
