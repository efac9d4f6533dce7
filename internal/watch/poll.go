package watch

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Poller is the Notifier where the system's is missing or full: it lists the watched folders
// every interval and tells the names whose lstat (type, mode, size, modification time) changed,
// appeared or went away, and the folders that appeared or went away. It costs a listing of
// every watched folder per interval, which inotify does not.
type Poller struct {
	interval time.Duration
	out      chan string
	done     chan struct{}
	stop     sync.Once

	mu   sync.Mutex
	dirs map[string]map[string]stamp // folder -> name -> stamp; nil map: the folder is missing
}

// stamp is what the poller compares of a name.
type stamp struct {
	mode  fs.FileMode
	size  int64
	mtime time.Time
}

var _ Notifier = (*Poller)(nil)

// NewPoller starts a Poller that lists its folders every interval.
func NewPoller(interval time.Duration) *Poller {
	p := &Poller{interval: interval, out: make(chan string, 1024), done: make(chan struct{}),
		dirs: map[string]map[string]stamp{}}
	go p.loop()
	return p
}

func (p *Poller) Events() <-chan string { return p.out }

// Watch lists the new folders now, so that a change from then on is told at the next poll.
func (p *Poller) Watch(dirs []string) error {
	want := map[string]bool{}
	for _, d := range dirs {
		want[filepath.Clean(d)] = true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for d := range p.dirs {
		if !want[d] {
			delete(p.dirs, d)
		}
	}
	for d := range want {
		if _, ok := p.dirs[d]; !ok {
			p.dirs[d] = list(d)
		}
	}
	return nil
}

func (p *Poller) Close() error {
	p.stop.Do(func() { close(p.done) })
	return nil
}

func (p *Poller) loop() {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			for _, path := range p.poll() {
				select {
				case p.out <- path:
				case <-p.done:
					return
				}
			}
		case <-p.done:
			return
		}
	}
}

// poll lists every watched folder and returns the paths that changed since the last poll.
func (p *Poller) poll() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var changed []string
	for dir, before := range p.dirs {
		now := list(dir)
		if (before == nil) != (now == nil) {
			changed = append(changed, dir)
		}
		for name, st := range now {
			if old, ok := before[name]; !ok || old != st {
				changed = append(changed, filepath.Join(dir, name))
			}
		}
		for name := range before {
			if _, ok := now[name]; !ok {
				changed = append(changed, filepath.Join(dir, name))
			}
		}
		p.dirs[dir] = now
	}
	return changed
}

// list is the stamp of each name in dir; nil when dir cannot be listed.
func list(dir string) map[string]stamp {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := make(map[string]stamp, len(ents))
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue // removed since the listing
		}
		out[e.Name()] = stamp{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime()}
	}
	return out
}

// isMissing tells whether err says a folder to watch is not there (any more).
func isMissing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
