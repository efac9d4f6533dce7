package inputs

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// damages are the ways a state file is found damaged: each makes file so.
var damages = []struct {
	name   string
	damage func(t *testing.T, file string)
	why    string // in the warning
	root   bool   // works as root (which reads a file of mode 000)
}{
	{"folder", func(t *testing.T, f string) { mkTree(t, f, "inside") }, "it is a folder", true},
	{"fifo", func(t *testing.T, f string) { must(t, syscall.Mkfifo(f, 0o644)) }, "it is not a regular file", true},
	{"unreadable", func(t *testing.T, f string) { must(t, os.Chmod(f, 0)) }, "permission denied", false},
	{"truncated", func(t *testing.T, f string) { must(t, os.Truncate(f, 3)) }, "", true},
	{"garbage", func(t *testing.T, f string) { must(t, os.WriteFile(f, []byte("\x00garbage\xff"), 0o644)) }, "", true},
}

// replace removes file and damages it.
func replace(t *testing.T, file string, damage func(*testing.T, string), keep bool) {
	t.Helper()
	if !keep {
		must(t, os.Remove(file))
	}
	damage(t, file)
}

func TestDamagedStatCacheNeverFails(t *testing.T) {
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			if !d.root && os.Geteuid() == 0 {
				t.Skip("root reads a file of mode 000 (e2e TestDamagedStateNeverFails runs it without CAP_DAC_OVERRIDE)")
			}
			p := cacheProject(t)
			run(t, p, true)
			file := filepath.Join(p.Root, StateDir, cacheFile)
			replace(t, file, d.damage, d.name == "unreadable" || d.name == "truncated")
			s := run(t, p, true) // no error: the damaged cache is absent
			w := strings.Join(s.Warnings(), "\n")
			if strings.Count(w, "\n") != 0 || !strings.Contains(w, "state file .imagemake/statcache is damaged ("+d.why) ||
				!strings.Contains(w, "`imagemake clean`") {
				t.Errorf("warnings %q, want one line naming the file, %q and imagemake clean", w, d.why)
			}
			if st := s.Stats(); st.Hashed != 5 {
				t.Errorf("stats %+v, want every file hashed", st)
			}
			again := run(t, p, true)
			if st := again.Stats(); st.Hashed != 0 || len(again.Warnings()) != 0 {
				t.Errorf("the cache was not rewritten: %+v, warnings %q", st, again.Warnings())
			}
		})
	}
}

func TestDamagedManifestsNeverFail(t *testing.T) {
	m := manifest("app", 1)
	for _, d := range damages {
		for _, which := range []string{"manifest", "last"} {
			t.Run(which+" "+d.name, func(t *testing.T) {
				if !d.root && os.Geteuid() == 0 {
					t.Skip("root reads a file of mode 000 (e2e TestDamagedStateNeverFails runs it without CAP_DAC_OVERRIDE)")
				}
				st := OpenState(t.TempDir())
				must(t, st.Record(m, true))
				file := st.file("app", m.Digest)
				if which == "last" {
					file = filepath.Join(st.imageDir("app"), "last")
				}
				replace(t, file, d.damage, d.name == "unreadable" || d.name == "truncated")
				assertDamageSeen(t, st, m, "manifests/app/"+filepath.Base(file)+" is damaged", which == "manifest")
				assertRewritten(t, st, m)
			})
		}
	}
}

func TestFileInPlaceOfTheImageFolder(t *testing.T) {
	m := manifest("app", 1)
	st := OpenState(t.TempDir())
	must(t, st.Record(m, true))
	must(t, os.RemoveAll(st.imageDir("app")))
	must(t, os.WriteFile(st.imageDir("app"), []byte("x"), 0o644))
	assertDamageSeen(t, st, m, "manifests/app is damaged (it is not a folder)", true)
	assertRewritten(t, st, m)
}

// assertDamageSeen checks that LastSeen (and Load when the manifest is damaged) take the
// damaged state as absent, with one warning naming what.
func assertDamageSeen(t *testing.T, st *State, m *Manifest, what string, manifestDamaged bool) {
	t.Helper()
	if got, err := st.LastSeen("app"); got != nil || err != nil {
		t.Errorf("LastSeen: %v, %v; want nothing", got, err)
	}
	if got, err := st.Load("app", m.Digest); (got != nil) == manifestDamaged || err != nil {
		t.Errorf("Load: %v, %v; want it only when the manifest is sound", got, err)
	}
	w := st.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "state file .imagemake/"+what) || !strings.Contains(w[0], "`imagemake clean`") {
		t.Errorf("warnings %q, want one naming .imagemake/%s and imagemake clean", w, what)
	}
}

// assertRewritten records m again and checks that a new State reads it back, unwarned.
func assertRewritten(t *testing.T, st *State, m *Manifest) {
	t.Helper()
	must(t, st.Record(m, true))
	fresh := OpenState(filepath.Dir(filepath.Dir(st.dir)))
	got, err := fresh.LastSeen("app")
	if err != nil || got == nil || got.Digest != m.Digest {
		t.Errorf("after recording again: %v, %v; want %s", got, err, m.Digest)
	}
	if w := fresh.Warnings(); len(w) != 0 {
		t.Errorf("warnings after the rewrite: %q", w)
	}
}
