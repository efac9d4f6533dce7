package watch

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// expect waits for path among the events of n, failing after a second.
func expect(t *testing.T, n Notifier, path string) {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		select {
		case p := <-n.Events():
			if p == path {
				return
			}
		case <-deadline:
			t.Fatalf("no event for %s", path)
		}
	}
}

// quiet fails when n tells a change within d.
func quiet(t *testing.T, n Notifier, d time.Duration) {
	t.Helper()
	select {
	case p := <-n.Events():
		t.Fatalf("event for %s, want none", p)
	case <-time.After(d):
	}
}

func notifiers(t *testing.T) map[string]func() Notifier {
	return map[string]func() Notifier{
		"fsnotify": func() Notifier {
			return Events(time.Second, func(s string) { t.Errorf("fell back to polling: %s", s) })
		},
		"poll": func() Notifier { return NewPoller(20 * time.Millisecond) },
	}
}

func TestNotifiers(t *testing.T) {
	for name, mk := range notifiers(t) {
		t.Run(name, func(t *testing.T) {
			dir, other := t.TempDir(), t.TempDir()
			f := filepath.Join(dir, "a.txt")
			os.WriteFile(f, []byte("a"), 0o644)
			n := mk()
			defer n.Close()
			if err := n.Watch([]string{dir, filepath.Join(dir, "missing")}); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(other, "b.txt"), []byte("b"), 0o644)
			quiet(t, n, 100*time.Millisecond) // an unwatched folder
			os.WriteFile(f, []byte("changed"), 0o644)
			expect(t, n, f)
			sub := filepath.Join(dir, "sub")
			os.Mkdir(sub, 0o755)
			expect(t, n, sub)
			os.Remove(f)
			expect(t, n, f)
			if err := n.Watch([]string{other}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			drain(n)
			os.WriteFile(filepath.Join(dir, "c.txt"), []byte("c"), 0o644)
			quiet(t, n, 100*time.Millisecond) // no longer watched
		})
	}
}

func drain(n Notifier) {
	for {
		select {
		case <-n.Events():
		default:
			return
		}
	}
}

// TestFallBackToPolling: when inotify cannot add a folder (its watch limit reached), the
// notifier says so once and goes on by polling every folder.
func TestFallBackToPolling(t *testing.T) {
	dir := t.TempDir()
	var notices []string
	n := Events(20*time.Millisecond, func(s string) { notices = append(notices, s) })
	defer n.Close()
	f := n.(*fsNotifier)
	if err := f.fallBack([]string{dir}, syscall.ENOSPC); err != nil {
		t.Fatal(err)
	}
	if err := n.Watch([]string{dir}); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "polling") {
		t.Fatalf("notices %q, want one about polling", notices)
	}
	p := filepath.Join(dir, "x")
	os.WriteFile(p, []byte("x"), 0o644)
	expect(t, n, p)
}
