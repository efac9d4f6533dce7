//go:build !windows

package cli

import (
	"syscall"
	"time"
)

// taskGrace is how long an interrupted task's process group has to end after SIGINT before
// it gets SIGKILL (a process may ignore SIGINT, e.g. one started in the background by sh).
const taskGrace = 5 * time.Second

// interrupt passes Ctrl-C on to the task's process group, then kills what is left of it.
func interrupt(pgid int) {
	syscall.Kill(-pgid, syscall.SIGINT)
	time.AfterFunc(taskGrace, func() { syscall.Kill(-pgid, syscall.SIGKILL) })
}
