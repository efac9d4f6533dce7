package watch

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Events returns a Notifier: the system's (inotify on Linux, through fsnotify) when it has
// one, else a Poller of that interval. It falls back to polling, for good, when the system's
// cannot watch a folder (the inotify watch limit, fs.inotify.max_user_watches, is reached),
// and tells notice once why. notice may be called from another goroutine.
func Events(interval time.Duration, notice func(string)) Notifier {
	w, err := fsnotify.NewBufferedWatcher(1024)
	if err != nil {
		notice(fmt.Sprintf("watching by polling every %s: %v", interval, err))
		return NewPoller(interval)
	}
	f := &fsNotifier{w: w, out: make(chan string, 1024), watched: map[string]bool{},
		interval: interval, notice: notice, done: make(chan struct{})}
	go f.forward()
	return f
}

// fsNotifier watches folders with fsnotify; it turns to a Poller when a folder cannot be added.
type fsNotifier struct {
	w        *fsnotify.Watcher
	out      chan string
	interval time.Duration
	notice   func(string)
	done     chan struct{}

	mu      sync.Mutex
	watched map[string]bool
	poller  *Poller // set once fsnotify could not watch a folder
}

var _ Notifier = (*fsNotifier)(nil)

func (f *fsNotifier) Events() <-chan string { return f.out }

// Watch adds the new folders and drops the others. A folder gone since is no error: its
// parent's watch tells when it comes back.
func (f *fsNotifier) Watch(dirs []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.poller != nil {
		return f.poller.Watch(dirs)
	}
	want := map[string]bool{}
	for _, d := range dirs {
		want[filepath.Clean(d)] = true
	}
	for d := range f.watched {
		if !want[d] {
			f.w.Remove(d) // gone folders are dropped by the system already
			delete(f.watched, d)
		}
	}
	for d := range want {
		if f.watched[d] {
			continue
		}
		err := f.w.Add(d)
		switch {
		case err == nil:
			f.watched[d] = true
		case errors.Is(err, fsnotify.ErrClosed):
			return err
		case isMissing(err):
		default:
			return f.fallBack(dirs, fmt.Errorf("watching %s: %w", d, err))
		}
	}
	return nil
}

// fallBack turns to polling dirs for good, telling why.
func (f *fsNotifier) fallBack(dirs []string, why error) error {
	f.notice(fmt.Sprintf("watching by polling every %s: %v (raise fs.inotify.max_user_watches to watch without polling)", f.interval, why))
	f.w.Close()
	f.watched = nil
	f.poller = NewPoller(f.interval)
	go func() {
		for {
			select {
			case p := <-f.poller.Events():
				f.send(p)
			case <-f.done:
				return
			}
		}
	}()
	return f.poller.Watch(dirs)
}

// forward passes fsnotify's events on as paths. An overflowed queue lost events: every
// watched folder is then told changed, so the next round lists them again.
func (f *fsNotifier) forward() {
	for {
		select {
		case e, ok := <-f.w.Events:
			if !ok {
				return
			}
			f.send(e.Name)
		case err, ok := <-f.w.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				f.mu.Lock()
				dirs := make([]string, 0, len(f.watched))
				for d := range f.watched {
					dirs = append(dirs, d)
				}
				f.mu.Unlock()
				for _, d := range dirs {
					f.send(d)
				}
			}
		case <-f.done:
			return
		}
	}
}

func (f *fsNotifier) send(p string) {
	select {
	case f.out <- p:
	case <-f.done:
	}
}

func (f *fsNotifier) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.done:
		return nil
	default:
	}
	close(f.done)
	if f.poller != nil {
		return f.poller.Close()
	}
	return f.w.Close()
}
