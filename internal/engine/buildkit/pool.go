package buildkit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Pool shares a run's builds among builders, at most jobs at once on each. An image goes to a
// free builder, preferring one that built an image it depends on (its cache is warm). A
// builder that stops answering during a build is dropped for the rest of the run and its build
// is retried once on another.
type Pool struct {
	mu      sync.Mutex
	jobs    int
	members []*member
	builtOn map[string]*member // image name -> the builder that built it
	freed   chan struct{}      // closed (and replaced) when a slot frees or a builder drops
	warn    func(string)
}

type member struct {
	b    *Builder
	busy int
	gone error
}

// NewPool makes a pool of builders, jobs builds at once on each; warn gets a line when a
// builder is dropped.
func NewPool(builders []*Builder, jobs int, warn func(string)) *Pool {
	p := &Pool{jobs: max(jobs, 1), builtOn: map[string]*member{}, freed: make(chan struct{}), warn: warn}
	for _, b := range builders {
		p.members = append(p.members, &member{b: b})
	}
	return p
}

// Addrs lists the builders' addresses.
func (p *Pool) Addrs() []string {
	var out []string
	for _, m := range p.members {
		out = append(out, m.b.addr)
	}
	return out
}

// Platform is the platform of the pool's first builder: what an image without a platform: of
// its own is built for.
func (p *Pool) Platform() string { return p.members[0].b.Platform() }

// Close closes every builder's connection.
func (p *Pool) Close() {
	for _, m := range p.members {
		_ = m.b.Close()
	}
}

// Run builds image (deps: the project images it depends on) with build on a builder of the
// pool, waiting for a free one. When build fails because its builder stopped answering, the
// builder is dropped (with a warning) and build runs once more on another builder.
func (p *Pool) Run(ctx context.Context, image string, deps []string, build func(ctx context.Context, b *Builder) error) error {
	var failed *member
	for {
		m, err := p.acquire(ctx, deps)
		if err != nil {
			return err
		}
		err = build(ctx, m.b)
		gone := err != nil && m.b.gone(ctx, err)
		p.release(m, image, err, gone)
		switch {
		case err == nil:
			return nil
		case !gone:
			return err
		case failed != nil:
			return fmt.Errorf("%w (a retry after builder %s failed)", err, failed.b.addr)
		case !p.others(m):
			return fmt.Errorf("%w (%s stopped answering)", err, m.b.name())
		}
		failed = m
	}
}

// others tells whether a builder other than m is left to retry on.
func (p *Pool) others(m *member) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range p.members {
		if o != m && o.gone == nil {
			return true
		}
	}
	return false
}

// acquire takes a slot on the best free builder, waiting for one.
func (p *Pool) acquire(ctx context.Context, deps []string) (*member, error) {
	for {
		p.mu.Lock()
		m, err := p.pick(deps)
		freed := p.freed
		if m != nil {
			m.busy++
		}
		p.mu.Unlock()
		if m != nil || err != nil {
			return m, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-freed:
		}
	}
}

// pick returns a builder with a free slot: one that built a dependency first, else the least
// busy one (in the order given). nil, nil: all are busy. An error: none is left.
func (p *Pool) pick(deps []string) (*member, error) {
	for _, d := range deps {
		if m := p.builtOn[d]; m != nil && m.gone == nil && m.busy < p.jobs {
			return m, nil
		}
	}
	var best *member
	var gone []string
	for _, m := range p.members {
		switch {
		case m.gone != nil:
			gone = append(gone, m.b.name()+": "+m.gone.Error())
		case m.busy < p.jobs && (best == nil || m.busy < best.busy):
			best = m
		}
	}
	if best == nil && len(gone) == len(p.members) {
		return nil, errors.New("no builder left: " + strings.Join(gone, "; "))
	}
	return best, nil
}

// release frees m's slot; a builder that is gone is left out for the rest of the run, before
// any other build can take it, with a warning the first time.
func (p *Pool) release(m *member, image string, err error, gone bool) {
	p.mu.Lock()
	m.busy--
	if err == nil {
		p.builtOn[image] = m
	}
	warn := gone && m.gone == nil
	if gone {
		m.gone = errors.New("stopped answering")
	}
	p.signal()
	p.mu.Unlock()
	if warn && p.warn != nil {
		p.warn(fmt.Sprintf("builder %s stopped answering while building %s (%v); left out for the rest of this run, its builds go to the other builders",
			m.b.addr, image, err))
	}
}

func (p *Pool) signal() {
	close(p.freed)
	p.freed = make(chan struct{})
}
