package buildkit

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tonistiigi/fsutil"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/imagemake/imagemake/internal/config"
	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/schedule"
)

// digested writes files (name: content) in a temporary project folder and returns the
// entries of its context "." as a run has them: listed and hashed by the inputs Scanner.
func digested(t *testing.T, files map[string]string) (dir string, entries []inputs.Entry) {
	t.Helper()
	dir = t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	p := &config.Project{Root: dir, File: filepath.Join(dir, config.FileName)}
	s, err := inputs.NewScanner(p)
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := s.Inputs(&config.Image{Name: "img", Context: ".", Dockerfile: "Dockerfile"}, inputs.Build{})
	if err != nil {
		t.Fatal(err)
	}
	return dir, l.Entries()
}

// testEntries are a context whose file "lib/a.txt" holds "hello", with a symlink and two
// folders beside it.
func testEntries(t *testing.T) (string, []inputs.Entry) {
	dir, entries := digested(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY . /\n", "lib/a.txt": "hello", "z/b": "b"})
	if err := os.Symlink("a.txt", filepath.Join(dir, "lib", "link")); err != nil {
		t.Fatal(err)
	}
	// The symlink's entry by hand: made after the scan, it needs no hash.
	entries = append(entries[:3:3], append([]inputs.Entry{{Name: "lib/link", Src: filepath.Join(dir, "lib", "link"), Mode: fs.ModeSymlink | 0o777, Link: "a.txt"}}, entries[3:]...)...)
	return dir, entries
}

func walk(t *testing.T, f *entriesFS, target string, skip string) []string {
	t.Helper()
	var got []string
	err := f.Walk(context.Background(), target, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*fstypes.Stat)
		got = append(got, p+" "+fs.FileMode(st.Mode).String()+" "+st.Linkname)
		if p == skip {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestEntriesFSWalk(t *testing.T) {
	_, entries := testEntries(t)
	f := newFS(entries)
	all := []string{"Dockerfile -rw-r----- ", "lib drwxr-xr-x ", "lib/a.txt -rw-r----- ", "lib/link Lrwxrwxrwx a.txt", "z drwxr-xr-x ", "z/b -rw-r----- "}
	if got := walk(t, f, "", ""); !reflect.DeepEqual(got, all) {
		t.Errorf("walk all:\n%q\nwant\n%q", got, all)
	}
	if got := walk(t, f, "/lib", ""); !reflect.DeepEqual(got, all[1:4]) {
		t.Errorf("walk lib: %q", got)
	}
	if got, want := walk(t, f, "", "lib"), []string{all[0], all[1], all[4], all[5]}; !reflect.DeepEqual(got, want) {
		t.Errorf("SkipDir on lib: %q, want %q", got, want)
	}
}

// readAll opens and reads name from f as the file sync does.
func readAll(f *entriesFS, name string) (string, error) {
	r, err := f.Open(name)
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

func TestEntriesFSOpen(t *testing.T) {
	_, entries := testEntries(t)
	f := newFS(entries)
	if b, err := readAll(f, "lib/a.txt"); b != "hello" || err != nil {
		t.Errorf("lib/a.txt reads %q, %v", b, err)
	}
	for _, name := range []string{"lib", "missing", "lib/link"} {
		if _, err := f.Open(name); !os.IsNotExist(err) {
			t.Errorf("Open(%s): %v, want not exist", name, err)
		}
	}
	if err := f.Changed(); err != nil {
		t.Errorf("an unchanged context: Changed() = %v", err)
	}
}

// A file changed after it was hashed fails its read, whatever the change: same size, other
// size, gone. The FS keeps the first change for the build's error.
func TestEntriesFSOpenChanged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p string) error
	}{
		{"same size", func(p string) error { return os.WriteFile(p, []byte("HELLO"), 0o640) }},
		{"longer", func(p string) error { return os.WriteFile(p, []byte("hello, world"), 0o640) }},
		{"shorter", func(p string) error { return os.WriteFile(p, []byte("hell"), 0o640) }},
		{"removed", os.Remove},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, entries := testEntries(t)
			f := newFS(entries)
			aborted := 0
			abortOnChange(map[string]fsutil.FS{"context": f}, func() { aborted++ })
			if err := tc.change(filepath.Join(dir, "lib", "a.txt")); err != nil {
				t.Fatal(err)
			}
			_, err := readAll(f, "lib/a.txt")
			if !errors.Is(err, ErrChanged) {
				t.Fatalf("read after a change: %v, want ErrChanged", err)
			}
			if want := "lib/a.txt changed while building; run again (" + filepath.Join(dir, "lib", "a.txt"); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q, want it to start with %q", err, want)
			}
			if got := changedFile(map[string]fsutil.FS{"context": f}); got != err {
				t.Errorf("changedFile = %v, want the read's error", got)
			}
			if b, err := readAll(f, "z/b"); b != "b" || err != nil {
				t.Errorf("an unchanged file after a changed one: %q, %v", b, err)
			}
			readAll(f, "lib/a.txt")
			if aborted != 1 {
				t.Errorf("the build was aborted %d times, want once", aborted)
			}
		})
	}
}

// Walk serves a file with the size it was hashed at and a time drawn from its hash, whatever
// the disk says now: a builder that holds bytes for that stat holds the hashed bytes; one that
// does not asks for the file, whose read fails. Folders and symlinks get entryTime.
func TestEntriesFSWalkServesHashedStat(t *testing.T) {
	dir, entries := testEntries(t)
	p := filepath.Join(dir, "lib", "a.txt")
	if err := os.WriteFile(p, []byte("hello, world"), 0o640); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	got := map[string]*fstypes.Stat{}
	err := newFS(entries).Walk(context.Background(), "", func(name string, d fs.DirEntry, _ error) error {
		fi, err := d.Info()
		got[filepath.ToSlash(name)] = fi.Sys().(*fstypes.Stat)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	hello := fileTime(sha256.Sum256([]byte("hello")))
	if a := got["lib/a.txt"]; a.Size != 5 || a.ModTime != hello {
		t.Errorf("stat served: size %d, time %d; want 5 and the time of the hashed bytes %d", a.Size, a.ModTime, hello)
	}
	if b := got["z/b"]; b.ModTime != fileTime(sha256.Sum256([]byte("b"))) {
		t.Errorf("z/b served with time %d", b.ModTime)
	}
	for _, name := range []string{"lib", "lib/link", "z"} {
		if got[name].ModTime != entryTime {
			t.Errorf("%s served with time %d, want entryTime", name, got[name].ModTime)
		}
	}
}

// fileTime: the same bytes give the same time anywhere, others another, always in 2000–2004.
func TestFileTime(t *testing.T) {
	a, b := fileTime(sha256.Sum256([]byte("a"))), fileTime(sha256.Sum256([]byte("b")))
	if a == b || a != fileTime(sha256.Sum256([]byte("a"))) {
		t.Errorf("fileTime: a %d, b %d", a, b)
	}
	var max [32]byte
	for i := range max {
		max[i] = 0xff
	}
	lo, hi := time.Unix(0, fileTime([32]byte{})).UTC(), time.Unix(0, fileTime(max)).UTC()
	if lo.Year() != 2000 || hi.Year() != 2004 {
		t.Errorf("fileTime spans %v to %v, want 2000 to 2004", lo, hi)
	}
}

// A file entry with no known hash (never digested, or changed while it was hashed) fails the
// walk, before the builder asks for anything.
func TestEntriesFSWalkUnhashed(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "a")
	if err := os.WriteFile(src, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFS([]inputs.Entry{{Name: "a", Src: src, Mode: 0o644, Size: 1}})
	err := f.Walk(context.Background(), "", func(string, fs.DirEntry, error) error { return nil })
	if !errors.Is(err, ErrChanged) || f.Changed() == nil {
		t.Errorf("walk of an unhashed file: %v, Changed() %v; want ErrChanged", err, f.Changed())
	}
	if _, err := readAll(f, "a"); !errors.Is(err, ErrChanged) {
		t.Errorf("read of an unhashed file: %v, want ErrChanged", err)
	}
}

// Every local a build gets serves hashed files, whatever made their entries: a Dockerfile
// outside the context (the "dockerfile" local), a file included alone, a named context.
// Each reads as it was hashed, and fails once changed.
func TestLocalsOfEveryKindAreChecked(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"df/app.Dockerfile": "FROM scratch\nCOPY . /\nCOPY --from=shared s.txt /\n",
		"ctx/a":             "a",
		"conf/app.conf":     "conf",
		"shared/s.txt":      "shared",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img := &config.Image{Name: "app", Context: "ctx", Dockerfile: "../df/app.Dockerfile",
		Include: []config.Include{{From: "conf/app.conf", To: "etc/app.conf"}}, Contexts: map[string]string{"shared": "shared"}}
	s, err := inputs.NewScanner(&config.Project{Root: dir, File: filepath.Join(dir, config.FileName)})
	if err != nil {
		t.Fatal(err)
	}
	l, _, err := s.Inputs(img, inputs.Build{})
	if err != nil {
		t.Fatal(err)
	}
	named, err := s.NamedContext(img, "shared")
	if err != nil {
		t.Fatal(err)
	}
	req := schedule.Request{Dockerfile: img.Dockerfile, Context: l.Entries(), Contexts: map[string]schedule.NamedContext{"shared": {Entries: named}}}
	locals := localMounts(req)
	locals["named-shared"] = newFS(named)
	cases := []struct{ local, name, src, content string }{
		{"dockerfile", ".imagemake-dockerfile/app.Dockerfile", "df/app.Dockerfile", "FROM scratch\nCOPY . /\nCOPY --from=shared s.txt /\n"},
		{"context", "etc/app.conf", "conf/app.conf", "conf"},
		{"named-shared", "s.txt", "shared/s.txt", "shared"},
	}
	for _, c := range cases {
		f := locals[c.local].(*entriesFS)
		if err := f.Walk(context.Background(), "", func(string, fs.DirEntry, error) error { return nil }); err != nil {
			t.Errorf("%s local: walk: %v", c.local, err)
		}
		if got, err := readAll(f, c.name); got != c.content || err != nil {
			t.Errorf("%s local: %s reads %q, %v", c.local, c.name, got, err)
		}
	}
	for _, c := range cases {
		f := locals[c.local].(*entriesFS)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(c.src)), []byte(strings.ToUpper(c.content)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := readAll(f, c.name); !errors.Is(err, ErrChanged) {
			t.Errorf("%s local: %s changed reads with %v, want ErrChanged", c.local, c.name, err)
		}
	}
}

// served lists what a local serves at or below prefix, as walk does, without a walk: the
// entries here are made by hand, with no hash.
func served(l fsutil.FS, prefix string) []string {
	var out []string
	for _, e := range l.(*entriesFS).entries {
		if prefix == "" || e.Name == prefix || strings.HasPrefix(e.Name, prefix+"/") {
			out = append(out, e.Name+" "+e.Mode.String()+" "+e.Link)
		}
	}
	return out
}

// A Dockerfile outside the context is in the entries under inputs.DockerfileDir: BuildKit
// reads it from the "dockerfile" local by that name, and the "context" local lacks the folder.
func TestLocalMountsDockerfileOutside(t *testing.T) {
	entries := []inputs.Entry{
		{Name: ".imagemake-dockerfile", Mode: fs.ModeDir | 0o755, DockerfileOnly: true},
		{Name: ".imagemake-dockerfile/base.Dockerfile", Mode: 0o644, DockerfileOnly: true},
		{Name: "a", Mode: 0o644},
	}
	req := schedule.Request{Dockerfile: "../base.Dockerfile", Context: entries}
	if got := frontendAttrs(req)["filename"]; got != ".imagemake-dockerfile/base.Dockerfile" {
		t.Errorf("filename = %q", got)
	}
	m := localMounts(req)
	if got, want := served(m["context"], ""), []string{"a -rw-r--r-- "}; !reflect.DeepEqual(got, want) {
		t.Errorf("context local: %q, want %q", got, want)
	}
	if got := served(m["dockerfile"], ".imagemake-dockerfile"); len(got) != 2 {
		t.Errorf("dockerfile local under .imagemake-dockerfile: %q", got)
	}
	// A Dockerfile the context holds (a folder named like DockerfileDir included): one local.
	req = schedule.Request{Dockerfile: "Dockerfile", Context: []inputs.Entry{
		{Name: ".imagemake-dockerfile", Mode: fs.ModeDir | 0o755}, {Name: "Dockerfile", Mode: 0o644},
	}}
	if m := localMounts(req); m["context"] != m["dockerfile"] {
		t.Errorf("a Dockerfile inside the context: the locals differ")
	}
	// Excluded by the ignore rules, it is the dockerfile local's only.
	req = schedule.Request{Dockerfile: "build/Dockerfile", Context: []inputs.Entry{
		{Name: "a", Mode: 0o644},
		{Name: "build", Mode: fs.ModeDir | 0o755, DockerfileOnly: true},
		{Name: "build/Dockerfile", Mode: 0o644, DockerfileOnly: true},
	}}
	m = localMounts(req)
	if got, want := served(m["context"], ""), []string{"a -rw-r--r-- "}; !reflect.DeepEqual(got, want) {
		t.Errorf("context local with an excluded Dockerfile: %q, want %q", got, want)
	}
	if got := served(m["dockerfile"], "build"); len(got) != 2 {
		t.Errorf("dockerfile local under build: %q", got)
	}
}
