//go:build !windows

package cli

import (
	"os/exec"
	"syscall"
	"time"
)

// taskGrace is how long an interrupted task's process group has to end after SIGINT before
// it gets SIGKILL (a process may ignore SIGINT, e.g. one started in the background by sh).
const taskGrace = 5 * time.Second

// ownGroup starts the task in a process group of its own, so an interrupt reaches all of it.
func ownGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// interrupt passes Ctrl-C on to the task's process group, then kills what is left of it.
func interrupt(pgid int) {
	syscall.Kill(-pgid, syscall.SIGINT)
	time.AfterFunc(taskGrace, func() { syscall.Kill(-pgid, syscall.SIGKILL) })
}
