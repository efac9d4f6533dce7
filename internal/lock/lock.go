// Package lock keeps two imagemake processes from building the same project at once: an
// advisory lock (flock) on .imagemake/lock, which the kernel releases when its holder dies, so
// a lock is never stale. The file says who holds it.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrHeld is returned by Acquire without waiting when another process holds the lock.
var ErrHeld = errors.New("held by another process")

// pollEvery is how often a waiting Acquire tries again.
const pollEvery = 200 * time.Millisecond

// Acquire takes the lock of the project whose state folder is dir (.imagemake). When another
// process holds it: without wait it returns an error wrapping ErrHeld that names the holder;
// with wait it calls waiting(holder) once and tries again until it gets the lock or ctx ends.
// what describes this process for others (e.g. "imagemake build").
func Acquire(ctx context.Context, dir, what string, wait bool, waiting func(holder string)) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for told := false; ; told = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		holder := describe(path)
		if !wait {
			f.Close()
			return nil, fmt.Errorf("%s is %w: %s", path, ErrHeld, holder)
		}
		if !told && waiting != nil {
			waiting(holder)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(pollEvery):
		}
	}
	f.Truncate(0)
	f.WriteAt([]byte(fmt.Sprintf("pid %d: %s, since %s\n", os.Getpid(), what, time.Now().Format(time.RFC3339))), 0)
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func describe(path string) string {
	b, err := os.ReadFile(path)
	if s := strings.TrimSpace(string(b)); err == nil && s != "" {
		return s
	}
	return "another process"
}
