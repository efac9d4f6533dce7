package schedule

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// recorder collects the order in which jobs start and the peak of concurrent jobs.
type recorder struct {
	mu      sync.Mutex
	started []string
	now     int
	peak    int
}

func (r *recorder) work(name string, d time.Duration, err error) func(context.Context) (Status, error) {
	return func(ctx context.Context) (Status, error) {
		r.mu.Lock()
		r.started = append(r.started, name)
		r.now++
		if r.now > r.peak {
			r.peak = r.now
		}
		r.mu.Unlock()
		defer func() { r.mu.Lock(); r.now--; r.mu.Unlock() }()
		select {
		case <-time.After(d):
			return Built, err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func statuses(rs []Result) map[string]Status {
	m := map[string]Status{}
	for _, r := range rs {
		m[r.Name] = r.Status
	}
	return m
}

func TestDependencyOrderAndPriority(t *testing.T) {
	rec := &recorder{}
	ms := time.Millisecond
	jobs := []*Job{
		{Name: "leaf", Height: 0, Work: rec.work("leaf", 5*ms, nil)},
		{Name: "base", Height: 1, Work: rec.work("base", 20*ms, nil)},
		{Name: "svc", Deps: []string{"base"}, Work: rec.work("svc", 5*ms, nil)},
		{Name: "ok", Status: UpToDate, Reason: "inputs unchanged"},
		{Name: "onok", Deps: []string{"ok"}, Work: rec.work("onok", 5*ms, nil)},
	}
	rs := Schedule(context.Background(), jobs, Options{Jobs: 1}, nil)
	want := []string{"base", "leaf", "onok", "svc"}
	if len(rec.started) != 4 || rec.started[0] != "base" {
		t.Fatalf("start order %v, want %v (base first: it has dependents)", rec.started, want)
	}
	for i, w := range want {
		if rec.started[i] != w {
			t.Fatalf("start order %v, want %v", rec.started, want)
		}
	}
	if st := statuses(rs); st["ok"] != UpToDate || st["svc"] != Built {
		t.Fatalf("statuses %v", st)
	}
	if rec.peak != 1 {
		t.Fatalf("peak concurrency %d with -j 1", rec.peak)
	}
}

func TestParallelLimit(t *testing.T) {
	rec := &recorder{}
	var jobs []*Job
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		jobs = append(jobs, &Job{Name: n, Work: rec.work(n, 30*time.Millisecond, nil)})
	}
	Schedule(context.Background(), jobs, Options{Jobs: 3}, nil)
	if rec.peak != 3 {
		t.Fatalf("peak concurrency %d, want 3", rec.peak)
	}
}

func failureJobs(rec *recorder) []*Job {
	ms := time.Millisecond
	return []*Job{
		{Name: "bad", Height: 2, Work: rec.work("bad", 10*ms, errors.New("exit code: 3"))},
		{Name: "child", Height: 1, Deps: []string{"bad"}, Work: rec.work("child", ms, nil)},
		{Name: "grandchild", Deps: []string{"child"}, Work: rec.work("grandchild", ms, nil)},
		{Name: "slow", Height: 1, Work: rec.work("slow", 50*ms, nil)},
		{Name: "after", Deps: []string{"slow"}, Work: rec.work("after", ms, nil)},
	}
}

func TestFailFast(t *testing.T) {
	rec := &recorder{}
	rs := Schedule(context.Background(), failureJobs(rec), Options{Jobs: 2}, nil)
	want := map[string]Status{"bad": Failed, "child": Skipped, "grandchild": Skipped, "slow": Built, "after": Cancelled}
	if st := statuses(rs); !equal(st, want) {
		t.Fatalf("statuses %v, want %v", st, want)
	}
	for _, r := range rs {
		if r.Name == "grandchild" && r.Reason != "dependency bad failed" {
			t.Errorf("grandchild reason %q", r.Reason)
		}
		if r.Name == "bad" && r.Reason != "exit code: 3" {
			t.Errorf("bad reason %q", r.Reason)
		}
	}
}

func TestKeepGoing(t *testing.T) {
	rec := &recorder{}
	rs := Schedule(context.Background(), failureJobs(rec), Options{Jobs: 2, KeepGoing: true}, nil)
	want := map[string]Status{"bad": Failed, "child": Skipped, "grandchild": Skipped, "slow": Built, "after": Built}
	if st := statuses(rs); !equal(st, want) {
		t.Fatalf("statuses %v, want %v", st, want)
	}
}

func TestCancel(t *testing.T) {
	rec := &recorder{}
	ctx, cancel := context.WithCancel(context.Background())
	jobs := []*Job{
		{Name: "long", Work: rec.work("long", time.Hour, nil)},
		{Name: "next", Deps: []string{"long"}, Work: rec.work("next", time.Millisecond, nil)},
		{Name: "fine", Status: UpToDate},
	}
	time.AfterFunc(20*time.Millisecond, cancel)
	done := make(chan []Result)
	go func() { done <- Schedule(ctx, jobs, Options{Jobs: 4}, nil) }()
	select {
	case rs := <-done:
		want := map[string]Status{"long": Cancelled, "next": Cancelled, "fine": UpToDate}
		if st := statuses(rs); !equal(st, want) {
			t.Fatalf("statuses %v, want %v", st, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Schedule did not return after cancel")
	}
}

func TestEventsPairUp(t *testing.T) {
	rec := &recorder{}
	var mu sync.Mutex
	started, finished := map[string]int{}, map[string]int{}
	Schedule(context.Background(), failureJobs(rec), Options{Jobs: 2, KeepGoing: true}, func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Kind {
		case Started:
			started[e.Image]++
		case Finished:
			finished[e.Image]++
		}
	})
	if len(finished) != 5 || len(started) != 3 {
		t.Fatalf("started %v finished %v", started, finished)
	}
	for n, c := range finished {
		if c != 1 {
			t.Errorf("%s finished %d times", n, c)
		}
	}
}

func equal(a, b map[string]Status) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestStoppedWorkIsCancelled(t *testing.T) {
	jobs := []*Job{{Name: "a", Work: func(context.Context) (Status, error) {
		return "", &StoppedError{Reason: "not pushed: another image failed"}
	}}}
	r := Schedule(context.Background(), jobs, Options{Jobs: 1}, nil)[0]
	if r.Status != Cancelled || r.Reason != "not pushed: another image failed" {
		t.Fatalf("result %+v", r)
	}
}
