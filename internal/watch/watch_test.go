package watch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeNotifier is a Notifier whose events the test sends.
type fakeNotifier struct {
	ch      chan string
	mu      sync.Mutex
	watched [][]string
}

func newFake() *fakeNotifier { return &fakeNotifier{ch: make(chan string)} }

func (f *fakeNotifier) Events() <-chan string { return f.ch }
func (f *fakeNotifier) Close() error          { return nil }
func (f *fakeNotifier) Watch(dirs []string) error {
	f.mu.Lock()
	f.watched = append(f.watched, dirs)
	f.mu.Unlock()
	return nil
}

func TestRunDebouncesAndNeverOverlapsRounds(t *testing.T) {
	n := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu      sync.Mutex
		rounds  [][]string
		running atomic.Int32
		overlap atomic.Bool
	)
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	round := func(ctx context.Context, changed []string) ([]string, error) {
		if running.Add(1) > 1 {
			overlap.Store(true)
		}
		defer running.Add(-1)
		mu.Lock()
		rounds = append(rounds, changed)
		mu.Unlock()
		if changed != nil {
			started <- struct{}{}
			<-release
		}
		return []string{"/dir" + string(rune('0'+len(rounds)))}, nil
	}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, n, Options{Debounce: 30 * time.Millisecond}, round) }()
	n.ch <- "/a"
	n.ch <- "/b"
	n.ch <- "/a"
	<-started    // the second round: /a and /b at once
	n.ch <- "/c" // during the round: kept for the next
	n.ch <- "/d"
	time.Sleep(100 * time.Millisecond)
	if running.Load() != 1 {
		t.Fatalf("%d rounds running while one is", running.Load())
	}
	release <- struct{}{}
	<-started
	release <- struct{}{}
	time.Sleep(50 * time.Millisecond) // the loop takes the round's end
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run ended with %v, want context.Canceled", err)
	}
	want := [][]string{nil, {"/a", "/b"}, {"/c", "/d"}}
	if !slices.EqualFunc(rounds, want, slices.Equal) {
		t.Errorf("rounds got %q, want %q", rounds, want)
	}
	if overlap.Load() {
		t.Error("two rounds ran at once")
	}
	if got := len(n.watched); got != 3 {
		t.Errorf("Watch called %d times, want once per round (3)", got)
	}
}

func TestRunMaxWait(t *testing.T) {
	n := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan []string, 1)
	round := func(ctx context.Context, changed []string) ([]string, error) {
		if changed != nil {
			got <- changed
		}
		return nil, nil
	}
	go Run(ctx, n, Options{Debounce: 50 * time.Millisecond, MaxWait: 150 * time.Millisecond}, round)
	start := time.Now()
	stop := time.After(time.Second)
	for i := 0; ; i++ {
		select {
		case changed := <-got:
			if d := time.Since(start); d > 400*time.Millisecond {
				t.Errorf("a round %s after the first of changes every 10ms, want about MaxWait (150ms)", d)
			}
			if len(changed) < 2 {
				t.Errorf("round took %d changes, want those of the wait", len(changed))
			}
			return
		case n.ch <- "/f" + string(rune('a'+i%26)):
			time.Sleep(10 * time.Millisecond)
		case <-stop:
			t.Fatal("no round while changes kept coming")
		}
	}
}

func TestRunEndsOnRoundError(t *testing.T) {
	n := newFake()
	boom := errors.New("boom")
	round := func(ctx context.Context, changed []string) ([]string, error) {
		if changed != nil {
			return nil, boom
		}
		return nil, nil
	}
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), n, Options{}, round) }()
	n.ch <- "/x"
	if err := <-done; !errors.Is(err, boom) {
		t.Fatalf("Run ended with %v, want the round's error", err)
	}
}
