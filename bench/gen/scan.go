package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/imagemake/imagemake/bench/gen/benchrepo"
	"github.com/imagemake/imagemake/internal/inputs"
)

type scanOptions struct {
	prefetch               bool
	runs                   int
	cpuProfile, memProfile string
}

// scanRuns runs scan o.runs times, profiled as o says.
func scanRuns(out io.Writer, r *benchrepo.Repo, o scanOptions) error {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.memProfile != "" {
		runtime.MemProfileRate = 4096
	}
	for range max(o.runs, 1) {
		if err := scan(out, r, o.prefetch); err != nil {
			return err
		}
	}
	if o.memProfile == "" {
		return nil
	}
	f, err := os.Create(o.memProfile)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// scan times one run of what `imagemake plan` does to the inputs of every image: open the
// stat cache, walk and hash each context in dependency order (the walks prefetched in the
// background when prefetch is set), save the cache.
func scan(out io.Writer, r *benchrepo.Repo, prefetch bool) error {
	start := time.Now()
	s, err := inputs.NewScanner(r.Project)
	if err != nil {
		return err
	}
	opened := time.Since(start)
	if prefetch {
		s.Prefetch(r.Project.Images)
	}
	digests := map[string]string{}
	for _, pass := range []bool{true, false} { // the bases, then what is built on them
		for _, img := range r.Project.Images {
			base := r.Base[img.Name]
			if (base == "") != pass {
				continue
			}
			_, m, err := s.Inputs(img, inputs.Build{Upstream: map[string]string{base: digests[base]}})
			if err != nil {
				return err
			}
			digests[img.Name] = m.Digest
		}
	}
	scanned := time.Since(start)
	if err := s.Save(); err != nil {
		return err
	}
	for _, w := range s.Warnings() {
		fmt.Fprintln(out, "warning:", w)
	}
	st := s.Stats()
	fmt.Fprintf(out, "scan: %v (cache opened in %v, saved in %v): %d folders, %d names stat'ed, %d files hashed (%.1f MB), %d from the stat cache\n",
		scanned.Round(time.Millisecond), opened.Round(time.Millisecond), (time.Since(start) - scanned).Round(time.Millisecond),
		st.Listed, st.Statted, st.Hashed, float64(st.BytesHashed)/1e6, st.CacheHits)
	return nil
}
