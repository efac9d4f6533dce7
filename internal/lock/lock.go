// Package lock keeps two imagemake processes from building the same project at once: an
// advisory lock on .imagemake/lock (flock on Unix, LockFileEx on Windows, through
// github.com/gofrs/flock), which the system releases when its holder dies, so a lock is never
// stale. The file says who holds it.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
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
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		// A folder in its place is damaged state: no lock can be held on it, so nothing is lost.
		if err := os.RemoveAll(path); err != nil {
			return nil, fmt.Errorf("locking %s: it is a folder, which could not be removed: %w", path, err)
		}
	}
	fl := flock.New(path, flock.SetPermissions(0o644)) // umask applies, as to the other state files
	for told := false; ; told = true {
		ok, err := fl.TryLock()
		if err != nil {
			fl.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if ok {
			break
		}
		holder := describe(path)
		if !wait {
			fl.Close()
			return nil, fmt.Errorf("%s is %w: %s", path, ErrHeld, holder)
		}
		if !told && waiting != nil {
			waiting(holder)
		}
		select {
		case <-ctx.Done():
			fl.Close()
			return nil, ctx.Err()
		case <-time.After(pollEvery):
		}
	}
	// Best effort: where locks are mandatory (Windows) the file cannot be written or read
	// through another handle, and a waiting process says "another process".
	_ = os.WriteFile(path, []byte(fmt.Sprintf("pid %d: %s, since %s\n", os.Getpid(), what, time.Now().Format(time.RFC3339))), 0o644)
	return func() {
		_ = os.Truncate(path, 0)
		fl.Close() // unlocks
	}, nil
}

func describe(path string) string {
	b, err := os.ReadFile(path)
	if s := strings.TrimSpace(string(b)); err == nil && s != "" {
		return s
	}
	return "another process"
}
