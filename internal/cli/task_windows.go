package cli

import (
	"os"
	"os/exec"
)

// ownGroup leaves the task in imagemake's console: Windows delivers Ctrl-C to every process
// attached to it, the task included.
func ownGroup(*exec.Cmd) {}

// interrupt ends the task: Windows has no SIGINT to pass on to another process.
func interrupt(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
