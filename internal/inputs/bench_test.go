package inputs

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/imagemake/imagemake/bench/gen/benchrepo"
)

// benchRepo generates the benchmark repository: IMAGEMAKE_BENCH_FILES files (default 20000).
func benchRepo(b *testing.B) *benchrepo.Repo {
	b.Helper()
	files := 20000
	if v, err := strconv.Atoi(os.Getenv("IMAGEMAKE_BENCH_FILES")); err == nil {
		files = v
	}
	r, err := benchrepo.Generate(benchrepo.Options{Dir: b.TempDir(), Files: files, Busybox: "/bin/busybox"})
	must(b, err)
	return r
}

// scanAll is one run of plan: every image's context and manifest in dependency order, then
// the stat cache saved.
func scanAll(b *testing.B, r *benchrepo.Repo, trusted bool) Stats {
	s, err := NewScanner(r.Project)
	must(b, err)
	if trusted {
		s.start = s.start.Add(racyWindow + 1)
	}
	s.Prefetch(r.Project.Images)
	digests := map[string]string{}
	for _, name := range []string{"luabase", "pybase"} {
		digests[name] = manifestOf(b, s, name, r, nil).Digest
	}
	for _, img := range r.Project.Images {
		if base := r.Base[img.Name]; base != "" {
			manifestOf(b, s, img.Name, r, map[string]string{base: digests[base]})
		}
	}
	must(b, s.Save())
	return s.Stats()
}

func manifestOf(b *testing.B, s *Scanner, name string, r *benchrepo.Repo, up map[string]string) *Manifest {
	_, m, err := s.Inputs(r.Project.Image(name), Build{Upstream: up, ExtraArgs: map[string]string{"DOCKER_TAG": "dev"}})
	must(b, err)
	return m
}

// BenchmarkNoop measures a run on an unchanged tree whose stat cache is warm: no file is read.
func BenchmarkNoop(b *testing.B) {
	r := benchRepo(b)
	scanAll(b, r, true)
	b.ResetTimer()
	var st Stats
	for b.Loop() {
		st = scanAll(b, r, false)
	}
	if st.Hashed != 0 {
		b.Fatalf("a no-op run hashed %d files", st.Hashed)
	}
	b.ReportMetric(float64(st.Statted), "stats/op")
	b.ReportMetric(float64(st.CacheHits), "hits/op")
}

// BenchmarkFirstRun measures a run without a stat cache (the OS's page cache warm): every
// file is read once.
func BenchmarkFirstRun(b *testing.B) {
	r := benchRepo(b)
	cache := filepath.Join(r.Project.Root, StateDir, cacheFile)
	var st Stats
	for b.Loop() {
		os.Remove(cache)
		st = scanAll(b, r, true)
	}
	b.ReportMetric(float64(st.Hashed), "hashed/op")
	b.ReportMetric(float64(st.BytesHashed)/1e6, "MB/op")
}
