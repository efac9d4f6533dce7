//go:build !windows

package watch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTaskRestartStopsTheWholeGroup(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	// The task starts a child that ignores SIGINT, as a server started in the background
	// by sh would: the grace period ends it with SIGKILL.
	script := `echo start >> ` + log + `; (trap "" INT; sleep 60) & trap "echo int >> ` + log + `; exit 0" INT; wait`
	var exited []error
	task := &Task{Name: "t", Grace: 200 * time.Millisecond,
		Cmd:    func() *exec.Cmd { return exec.Command("sh", "-c", script) },
		Exited: func(err error) { exited = append(exited, err) }}
	if err := task.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	first := task.cmd.Process.Pid
	start := time.Now()
	if err := task.Restart(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("restart took %s, want about the grace period (200ms)", d)
	}
	if groupAlive(first) {
		t.Errorf("process group %d still there after the restart", first)
	}
	time.Sleep(100 * time.Millisecond)
	task.Stop()
	if task.Running() {
		t.Error("running after Stop")
	}
	data, _ := os.ReadFile(log)
	if got := strings.Fields(string(data)); strings.Join(got, " ") != "start int start int" {
		t.Errorf("task log %q, want two starts, each ended by SIGINT", got)
	}
	if len(exited) != 0 {
		t.Errorf("Exited told %v for stops", exited)
	}
}

func TestTaskExitedByItself(t *testing.T) {
	got := make(chan error, 1)
	task := &Task{Name: "t", Grace: time.Second,
		Cmd:    func() *exec.Cmd { return exec.Command("sh", "-c", "exit 3") },
		Exited: func(err error) { got <- err }}
	if err := task.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if ExitCode(err) != 3 {
			t.Errorf("exit code %d, want 3", ExitCode(err))
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Exited not told")
	}
	if task.Running() {
		t.Error("running after it exited")
	}
}
