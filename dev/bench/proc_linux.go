package bench

import (
	"os/exec"
	"syscall"
)

// OwnProcessGroup starts cmd in a process group of its own (the emulator and the bootstrap it
// starts), killed if this process dies first. Tests that start an emulator use it too.
func OwnProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// KillGroup kills the process group OwnProcessGroup gave cmd.
func KillGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
