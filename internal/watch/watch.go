// Package watch is the loop of `imagemake watch`: it takes changes of files from a Notifier
// (inotify through fsnotify, or polling where that is missing or full), waits until they
// settle (debounce), and runs rounds one at a time: a change during a round is kept for the
// next one, so no two rounds, and thus no two builds of one image, ever run at once. What a
// round does (plan, build, restart a task) is its caller's: the loop only orders them.
package watch

import (
	"context"
	"slices"
	"time"
)

// Notifier tells which paths changed in the folders it watches.
type Notifier interface {
	// Watch makes dirs (absolute) the watched folders: new ones added, others dropped.
	Watch(dirs []string) error
	// Events are the changed paths (absolute): created, written, removed, renamed or chmod'ed,
	// in a watched folder or the folder itself.
	Events() <-chan string
	Close() error
}

// Round runs one round for the changed paths (none: the first round) and returns the folders to
// watch from then on. An error ends the loop: the round reports what is not fatal (a failed
// build, a broken config) itself and returns nil.
type Round func(ctx context.Context, changed []string) (dirs []string, err error)

// Options tune the loop.
type Options struct {
	// Debounce is how long the files must stay quiet after a change before a round starts.
	Debounce time.Duration
	// MaxWait bounds the wait when changes keep coming (a checkout, a generator): a round
	// starts at the latest MaxWait after the first change it takes.
	MaxWait time.Duration
}

func (o Options) withDefaults() Options {
	if o.Debounce <= 0 {
		o.Debounce = 20 * time.Millisecond
	}
	if o.MaxWait < o.Debounce {
		o.MaxWait = max(time.Second, 10*o.Debounce)
	}
	return o
}

// Run runs the first round, then a round for every settled batch of changes, until ctx ends
// or a round fails. It waits for a running round to end before it returns: the round gets
// the cancelled ctx and must stop its builds and tasks.
func Run(ctx context.Context, n Notifier, o Options, round Round) error {
	o = o.withDefaults()
	dirs, err := round(ctx, nil)
	if err != nil {
		return err
	}
	if err := n.Watch(dirs); err != nil {
		return err
	}
	l := &loop{n: n, o: o, round: round, pending: map[string]bool{}, timer: time.NewTimer(time.Hour)}
	l.timer.Stop()
	return l.run(ctx)
}

type loop struct {
	n     Notifier
	o     Options
	round Round

	pending map[string]bool
	first   time.Time // when the oldest pending change came
	timer   *time.Timer
	running chan result // the running round's; nil when none runs
}

type result struct {
	dirs []string
	err  error
}

func (l *loop) run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			if l.running != nil {
				<-l.running
			}
			return ctx.Err()
		case p := <-l.n.Events():
			l.changed(p)
		case <-l.timer.C:
			l.start(ctx)
		case r := <-l.running:
			l.running = nil
			if r.err != nil {
				return r.err
			}
			if err := l.n.Watch(r.dirs); err != nil {
				return err
			}
			l.settle()
		}
	}
}

// changed keeps p for the next round and (re)starts the wait for the files to settle.
func (l *loop) changed(p string) {
	if len(l.pending) == 0 {
		l.first = time.Now()
	}
	l.pending[p] = true
	if l.running == nil {
		l.settle()
	}
}

// settle arms the timer that starts the next round: Debounce from now, but no later than
// MaxWait after the first pending change.
func (l *loop) settle() {
	if len(l.pending) == 0 {
		return
	}
	wait := min(l.o.Debounce, time.Until(l.first.Add(l.o.MaxWait)))
	l.timer.Reset(max(wait, 0))
}

// start runs a round with the pending changes, unless one runs (its end re-arms the timer).
func (l *loop) start(ctx context.Context) {
	if l.running != nil || len(l.pending) == 0 {
		return
	}
	changed := make([]string, 0, len(l.pending))
	for p := range l.pending {
		changed = append(changed, p)
	}
	slices.Sort(changed)
	clear(l.pending)
	done := make(chan result, 1)
	l.running = done
	go func() {
		dirs, err := l.round(ctx, changed)
		done <- result{dirs, err}
	}()
}
