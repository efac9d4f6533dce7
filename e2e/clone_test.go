package e2e

import (
	"crypto/rand"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// transferred is the size the engine reported for the build context of image in a `--output
// json` run: the "transferring context: N" line of its file sync, in bytes.
func transferred(t *testing.T, out, image string) float64 {
	t.Helper()
	re := regexp.MustCompile(`transferring context: ([0-9.]+)([kMG]?B)`)
	unit := map[string]float64{"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}
	size := -1.0
	for _, l := range logsOf(t, out, image) {
		if m := re.FindStringSubmatch(l); m != nil && !strings.Contains(l, "dockerignore") {
			n, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				t.Fatal(err)
			}
			size = max(size, n*unit[m[2]])
		}
	}
	if size < 0 {
		t.Fatalf("no context transfer in the logs of %s:\n%s", image, strings.Join(logsOf(t, out, image), "\n"))
	}
	return size
}

// TestFreshCloneSendsOnlyWhatTheBuilderLacks: a fresh clone of a repository the engine has
// built, whose files all have new times, sends the engine only what it lacks — a file's stat is
// drawn from its content, and the shared key names the repository (its remote), not the
// checkout. An edited file still travels.
func TestFreshCloneSendsOnlyWhatTheBuilderLacks(t *testing.T) {
	origin := tinyRepo(t, "e2e.invalid")
	big := make([]byte, 4<<20)
	rand.Read(big)
	write(t, filepath.Join(origin.dir, "base/big.bin"), string(big), 0o644)
	write(t, filepath.Join(origin.dir, "base/Dockerfile"), "FROM scratch\nCOPY . /\n", 0o644)
	write(t, filepath.Join(origin.dir, "imagemake.yaml"), "repo: ${DOCKER_REPO}\nimages:\n  base: {context: base, network: none}\n", 0o644)
	git(t, origin.dir, "init", "-q", "-b", "main")
	git(t, origin.dir, "add", "-A")
	git(t, origin.dir, "commit", "-q", "-m", "one")

	clone := func(name string) *repo {
		r := &repo{t: t, dir: filepath.Join(t.TempDir(), name), prefix: origin.prefix, docker: origin.docker, env: origin.env}
		git(t, filepath.Dir(r.dir), "clone", "-q", origin.dir, name)
		return r
	}
	build := func(r *repo) string {
		code, out, errOut := r.run("build", "--format", "json", "--no-reuse", "-B")
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		return out
	}
	if n := transferred(t, build(clone("a")), "base"); n < 4e6 {
		t.Fatalf("the first clone sent %.0f bytes, want the whole context (> 4 MB)", n)
	}
	b := clone("b")
	if n := transferred(t, build(b), "base"); n > 1e6 {
		t.Errorf("a fresh clone of the same tree sent %.0f bytes, want only what the engine lacks (< 1 MB)", n)
	}
	big[0] ^= 0xff // same size, other bytes
	write(t, filepath.Join(b.dir, "base/big.bin"), string(big), 0o644)
	if n := transferred(t, build(b), "base"); n < 4e6 {
		t.Errorf("after an edit of big.bin: %.0f bytes sent, want the file (> 4 MB)", n)
	}
}
