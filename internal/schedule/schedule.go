package schedule

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Status is how a job ended, as PRODUCT.md fixes the words for JSON output.
type Status string

// Result statuses.
const (
	Built     Status = "built"
	UpToDate  Status = "up-to-date"
	Reused    Status = "reused"
	Failed    Status = "failed"
	Skipped   Status = "skipped"
	Cancelled Status = "cancelled"
)

// Job is one image of a run. Work is nil when there is nothing to do (the job ends with Status
// and Reason as given); otherwise Work runs once the jobs named in Deps have succeeded.
type Job struct {
	Name   string
	Deps   []string
	Height int    // longest chain of dependents; higher starts first
	Status Status // for jobs without Work
	Reason string // why the job runs (or why it does not)
	Action string // what Work does, for people: "building" (default), "pushing", "reusing"
	Work   func(ctx context.Context) (Status, error)
}

// Result is how a job ended.
type Result struct {
	Name     string
	Status   Status
	Reason   string
	Err      error
	Start    time.Time
	Duration time.Duration
}

// Options tune a run.
type Options struct {
	Jobs      int  // parallel jobs; < 1 means 1
	KeepGoing bool // after a failure, go on with everything that does not depend on it
}

// Schedule runs jobs in dependency order, at most opt.Jobs at once, the ready job with the
// highest Height first. On failure it starts nothing new unless KeepGoing; jobs that depend on a
// failure are Skipped; jobs never started after a failure or cancellation are Cancelled. Running
// jobs always finish (their Work sees ctx). Results come back in the order of jobs.
func Schedule(ctx context.Context, jobs []*Job, opt Options, report func(Event)) []Result {
	s := newScheduler(jobs, opt, report)
	s.loop(ctx)
	out := make([]Result, len(jobs))
	for i, j := range jobs {
		out[i] = *s.results[j.Name]
	}
	return out
}

type scheduler struct {
	jobs     map[string]*Job
	order    []*Job
	opt      Options
	report   func(Event)
	results  map[string]*Result
	active   map[string]bool
	done     chan *Result
	running  int
	stopping bool
}

func newScheduler(jobs []*Job, opt Options, report func(Event)) *scheduler {
	if opt.Jobs < 1 {
		opt.Jobs = 1
	}
	s := &scheduler{jobs: map[string]*Job{}, order: jobs, opt: opt, report: report,
		results: map[string]*Result{}, active: map[string]bool{}, done: make(chan *Result)}
	for _, j := range jobs {
		s.jobs[j.Name] = j
	}
	return s
}

func (s *scheduler) loop(ctx context.Context) {
	for {
		s.settle(ctx)
		if s.running == 0 {
			return
		}
		r := <-s.done
		s.running--
		delete(s.active, r.Name)
		s.finish(r)
		if r.Status == Failed && !s.opt.KeepGoing {
			s.stopping = true
		}
	}
}

// settle ends every job that can be decided without running and starts ready jobs while slots
// are free, repeating until nothing changes.
func (s *scheduler) settle(ctx context.Context) {
	for changed := true; changed; {
		changed = false
		for _, j := range s.pending() {
			if r := s.decide(ctx, j); r != nil {
				s.finish(r)
				changed = true
			}
		}
		for s.running < s.opt.Jobs && !s.stopping && ctx.Err() == nil {
			j := s.next()
			if j == nil {
				break
			}
			s.start(ctx, j)
			changed = true
		}
	}
}

func (s *scheduler) pending() []*Job {
	var out []*Job
	for _, j := range s.order {
		if s.results[j.Name] == nil && !s.active[j.Name] {
			out = append(out, j)
		}
	}
	return out
}

// decide returns the result of a pending job that will not run, or nil.
func (s *scheduler) decide(ctx context.Context, j *Job) *Result {
	for _, d := range j.Deps {
		if r := s.results[d]; r != nil && (r.Status == Failed || r.Status == Skipped) {
			failed := d
			if r.Status == Skipped {
				failed = r.Err.(*skipError).failed
			}
			return &Result{Name: j.Name, Status: Skipped, Reason: "dependency " + failed + " failed",
				Err: &skipError{failed}}
		}
		if r := s.results[d]; r != nil && r.Status == Cancelled {
			return &Result{Name: j.Name, Status: Cancelled, Reason: "dependency " + d + " cancelled"}
		}
	}
	if j.Work == nil && s.depsDone(j) {
		return &Result{Name: j.Name, Status: j.Status, Reason: j.Reason}
	}
	if j.Work != nil && s.running == 0 && (s.stopping || ctx.Err() != nil) {
		reason := "not started: the run was interrupted"
		if s.stopping {
			reason = "not started: an earlier build failed"
		}
		return &Result{Name: j.Name, Status: Cancelled, Reason: reason}
	}
	return nil
}

// StoppedError is returned by a Work that stopped on purpose because the run is stopping (for
// example an image built but not pushed after another failed): the job ends Cancelled.
type StoppedError struct{ Reason string }

func (e *StoppedError) Error() string { return e.Reason }

type skipError struct{ failed string }

func (e *skipError) Error() string { return "dependency " + e.failed + " failed" }

func (s *scheduler) depsDone(j *Job) bool {
	for _, d := range j.Deps {
		if r := s.results[d]; r == nil || !succeeded(r.Status) {
			return false
		}
	}
	return true
}

func succeeded(status Status) bool {
	return status == Built || status == UpToDate || status == Reused
}

// next picks the ready job with the highest Height, ties by name.
func (s *scheduler) next() *Job {
	var ready []*Job
	for _, j := range s.pending() {
		if j.Work != nil && s.depsDone(j) {
			ready = append(ready, j)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	sort.SliceStable(ready, func(a, b int) bool {
		if ready[a].Height != ready[b].Height {
			return ready[a].Height > ready[b].Height
		}
		return ready[a].Name < ready[b].Name
	})
	return ready[0]
}

func (s *scheduler) start(ctx context.Context, j *Job) {
	s.active[j.Name] = true
	s.running++
	start := time.Now()
	action := j.Action
	if action == "" {
		action = "building"
	}
	s.emit(Event{Kind: Started, Image: j.Name, Reason: j.Reason, Action: action, Time: start})
	go func() {
		status, err := j.Work(ctx)
		r := &Result{Name: j.Name, Status: status, Reason: j.Reason, Err: err, Start: start,
			Duration: time.Since(start)}
		var stopped *StoppedError
		switch {
		case errors.As(err, &stopped):
			r.Status, r.Reason = Cancelled, stopped.Reason
		case err != nil && errors.Is(err, context.Canceled) || err != nil && ctx.Err() != nil:
			r.Status, r.Reason = Cancelled, "interrupted"
		case err != nil:
			r.Status, r.Reason = Failed, err.Error()
		}
		s.done <- r
	}()
}

func (s *scheduler) finish(r *Result) {
	if r.Start.IsZero() {
		r.Start = time.Now()
	}
	s.results[r.Name] = r
	s.emit(Event{Kind: Finished, Image: r.Name, Result: r, Time: time.Now()})
}

func (s *scheduler) emit(e Event) {
	if s.report != nil {
		s.report(e)
	}
}

// Summary counts results by status, e.g. "3 built, 2 up-to-date, 1 failed".
func Summary(results []Result) string {
	counts := map[Status]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	var out string
	for _, st := range []Status{Built, Reused, UpToDate, Failed, Skipped, Cancelled} {
		if counts[st] > 0 {
			if out != "" {
				out += ", "
			}
			out += fmt.Sprintf("%d %s", counts[st], st)
		}
	}
	return out
}
