package buildkit

import (
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/imagemake/imagemake/internal/inputs"
	"github.com/imagemake/imagemake/internal/schedule"
)

// testEntries are a context whose file "lib/a.txt" comes from elsewhere on disk, as an
// include does.
func testEntries(t *testing.T) []inputs.Entry {
	dir := t.TempDir()
	src := filepath.Join(dir, "shared", "a.txt")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	return []inputs.Entry{
		{Name: "Dockerfile", Src: src, Mode: 0o644, Size: 5},
		{Name: "lib", Mode: fs.ModeDir | 0o755},
		{Name: "lib/a.txt", Src: src, Mode: 0o640, Size: 5},
		{Name: "lib/link", Mode: fs.ModeSymlink | 0o777, Link: "a.txt"},
		{Name: "z", Mode: fs.ModeDir | 0o700},
	}
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
	f := newFS(testEntries(t))
	all := []string{"Dockerfile -rw-r--r-- ", "lib drwxr-xr-x ", "lib/a.txt -rw-r----- ", "lib/link Lrwxrwxrwx a.txt", "z drwx------ "}
	if got := walk(t, f, "", ""); !reflect.DeepEqual(got, all) {
		t.Errorf("walk all:\n%q\nwant\n%q", got, all)
	}
	if got := walk(t, f, "/lib", ""); !reflect.DeepEqual(got, all[1:4]) {
		t.Errorf("walk lib: %q", got)
	}
	if got, want := walk(t, f, "", "lib"), []string{all[0], all[1], all[4]}; !reflect.DeepEqual(got, want) {
		t.Errorf("SkipDir on lib: %q, want %q", got, want)
	}
}

func TestEntriesFSOpen(t *testing.T) {
	f := newFS(testEntries(t))
	r, err := f.Open("lib/a.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, _ := io.ReadAll(r); string(b) != "hello" {
		t.Errorf("lib/a.txt reads %q", b)
	}
	for _, name := range []string{"lib", "missing", "lib/link"} {
		if _, err := f.Open(name); !os.IsNotExist(err) {
			t.Errorf("Open(%s): %v, want not exist", name, err)
		}
	}
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
	if got, want := walk(t, m["context"].(*entriesFS), "", ""), []string{"a -rw-r--r-- "}; !reflect.DeepEqual(got, want) {
		t.Errorf("context local: %q, want %q", got, want)
	}
	if got := walk(t, m["dockerfile"].(*entriesFS), ".imagemake-dockerfile", ""); len(got) != 2 {
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
	if got, want := walk(t, m["context"].(*entriesFS), "", ""), []string{"a -rw-r--r-- "}; !reflect.DeepEqual(got, want) {
		t.Errorf("context local with an excluded Dockerfile: %q, want %q", got, want)
	}
	if got := walk(t, m["dockerfile"].(*entriesFS), "build", ""); len(got) != 2 {
		t.Errorf("dockerfile local under build: %q", got)
	}
}
