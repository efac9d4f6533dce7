package watch

import (
	"os"
	"os/exec"
	"time"
)

// OwnGroup leaves cmd in imagemake's console: Windows delivers Ctrl-C to every process
// attached to it.
func OwnGroup(cmd *exec.Cmd) {}

// stopGroup kills the task: Windows has no SIGINT to send to a process group.
func stopGroup(pid int, done <-chan struct{}, grace time.Duration) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}

func exitCode(exit *exec.ExitError) int { return exit.ExitCode() }
