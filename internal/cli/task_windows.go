package cli

import "os"

// interrupt ends the task: Windows has no SIGINT to pass on to another process.
func interrupt(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
