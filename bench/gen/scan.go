package main

import (
	"fmt"
	"io"
	"time"

	"github.com/imagemake/imagemake/bench/gen/benchrepo"
	"github.com/imagemake/imagemake/internal/inputs"
)

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
			entries, err := s.Context(img)
			if err != nil {
				return err
			}
			m, err := s.Manifest(img, entries, inputs.Build{Upstream: map[string]string{base: digests[base]}})
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
