//go:build !linux

package bench

import "os/exec"

func OwnProcessGroup(*exec.Cmd) {}

func KillGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
