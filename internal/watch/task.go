package watch

import (
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"time"
)

// Task is a command watch keeps running and restarts after a round that changed an image,
// as `imagemake run` runs it: in a process group of its own, stopped with SIGINT to the group
// and SIGKILL after Grace when something in it is still there.
type Task struct {
	Name  string
	Cmd   func() *exec.Cmd // a new command for each start
	Grace time.Duration
	// Exited is told when the task ends by itself (not stopped by Restart or Stop), with how.
	Exited func(err error)

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd is waited for
}

// Start starts the task. It must not be running.
func (t *Task) Start() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	cmd := t.Cmd()
	OwnGroup(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("task %s: %w", t.Name, err)
	}
	done := make(chan struct{})
	t.cmd, t.done = cmd, done
	go func() {
		err := cmd.Wait()
		t.mu.Lock()
		mine := t.cmd == cmd // not stopped: it ended by itself
		if mine {
			t.cmd = nil
		}
		t.mu.Unlock()
		close(done)
		if mine && t.Exited != nil {
			t.Exited(err)
		}
	}()
	return nil
}

// Stop stops the task when it runs and waits until it has ended.
func (t *Task) Stop() {
	t.mu.Lock()
	cmd, done := t.cmd, t.done
	t.cmd = nil
	t.mu.Unlock()
	if cmd == nil {
		return
	}
	stopGroup(cmd.Process.Pid, done, t.Grace)
	<-done
}

// Restart stops the task (when it runs) and starts it again.
func (t *Task) Restart() error {
	t.Stop()
	return t.Start()
}

// Running tells whether the task runs.
func (t *Task) Running() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.cmd != nil
}

// ExitCode is the exit code err (from the task's end) means: the process's own, 128+N when
// signal N ended it; -1 when it did not run.
func ExitCode(err error) int {
	var exit *exec.ExitError
	if err == nil {
		return 0
	}
	if errors.As(err, &exit) {
		return exitCode(exit)
	}
	return -1
}
