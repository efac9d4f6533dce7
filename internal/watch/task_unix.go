//go:build !windows

package watch

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// OwnGroup starts cmd in a process group of its own, so that a stop or an interrupt reaches
// all of it.
func OwnGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// stopGroup sends SIGINT to the process group pgid, then SIGKILL when something of the group
// is still there after grace (a process may ignore SIGINT, e.g. one sh started in the
// background). done closes once the group's leader is waited for.
func stopGroup(pgid int, done <-chan struct{}, grace time.Duration) {
	syscall.Kill(-pgid, syscall.SIGINT)
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			syscall.Kill(-pgid, syscall.SIGKILL)
			return
		case <-tick.C:
			select {
			case <-done:
				if !groupAlive(pgid) {
					return
				}
			default:
			}
		}
	}
}

func exitCode(exit *exec.ExitError) int {
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return exit.ExitCode()
}

// groupAlive tells whether a process of the group pgid still runs. Where /proc lists them, a
// zombie does not count: an orphan of the task waits there for an init that may never reap
// it (a container's first process often does not).
func groupAlive(pgid int) bool {
	if syscall.Kill(-pgid, 0) != nil {
		return false
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, p := range procs {
		if stat, err := os.ReadFile("/proc/" + p.Name() + "/stat"); err == nil && liveIn(string(stat), pgid) {
			return true
		}
	}
	return false
}

// liveIn tells whether a /proc/PID/stat line is of a process of group pgid that is no zombie.
func liveIn(stat string, pgid int) bool {
	i := strings.LastIndexByte(stat, ')') // the command may hold spaces and parentheses
	if i < 0 {
		return false
	}
	f := strings.Fields(stat[i+1:]) // state, ppid, pgrp, ...
	return len(f) > 2 && f[0] != "Z" && f[2] == strconv.Itoa(pgid)
}
