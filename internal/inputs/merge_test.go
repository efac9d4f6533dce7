package inputs

import (
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/imagemake/imagemake/internal/config"
)

func TestComparePaths(t *testing.T) {
	in := []string{"a.txt", "a/x", "b", "a", "a-b", "a/x/y", "a/x-1", "ab", "a/x.d/z"}
	want := []string{"a", "a/x", "a/x/y", "a/x-1", "a/x.d/z", "a-b", "a.txt", "ab", "b"}
	slices.SortFunc(in, ComparePaths)
	if !slices.Equal(in, want) {
		t.Errorf("got  %q\nwant %q", in, want)
	}
}

// FuzzComparePaths checks ComparePaths against comparing the components one by one.
func FuzzComparePaths(f *testing.F) {
	f.Add("a/b", "a-b")
	f.Add("a", "a/")
	f.Fuzz(func(t *testing.T, a, b string) {
		want := slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
		if got := ComparePaths(a, b); sign(got) != want {
			t.Fatalf("ComparePaths(%q, %q) = %d, components say %d", a, b, got, want)
		}
	})
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestContextPathOrder(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "Dockerfile", "a/x", "a-b", "a.txt", "a/x-1", "a/x.d/z")
	got := names(contextOf(t, newTestScanner(t, testProject(root)), image("app", ".")))
	want := []string{"Dockerfile", "a/", "a/x", "a/x-1", "a/x.d/", "a/x.d/z", "a-b", "a.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestMergeWalks(t *testing.T) {
	list := func(src string, names ...string) []Entry {
		var out []Entry
		for _, n := range names {
			e := Entry{Name: strings.TrimSuffix(n, "/"), Src: src}
			if strings.HasSuffix(n, "/") {
				e.Mode = fs.ModeDir
			}
			out = append(out, e)
		}
		return out
	}
	tests := []struct {
		name  string
		lists [][]Entry
		want  string
	}{
		{"one list", [][]Entry{list("c", "a", "b/", "b/x")}, "a@c b@c b/x@c"},
		{"disjoint runs", [][]Entry{list("c", "a", "z"), list("i", "m/", "m/x")}, "a@c m@i m/x@i z@c"},
		{"interleaved, later wins", [][]Entry{list("c", "d/", "d/a", "d/c"), list("i", "d/", "d/b", "d/c")}, "d@i d/a@c d/b@i d/c@i"},
		{"three lists", [][]Entry{list("c", "a", "c"), list("i", "b"), list("j", "a", "d"), nil}, "a@j b@i c@c d@j"},
		{"folder meets file", [][]Entry{list("c", "d"), list("i", "d/", "d/x")}, "error: d is a file in c but a folder in i"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := mergeWalks(tt.lists, nil)
			var got []string
			if err != nil {
				got = []string{"error: " + err.Error()}
			} else {
				for _, e := range l.Entries() {
					got = append(got, e.Name+"@"+e.Src)
				}
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("got  %s\nwant %s", g, tt.want)
			}
		})
	}
}

func TestConcurrentScans(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, "lib/a", "lib/sub/b", "shared.conf")
	p := testProject(root, "*.tmp")
	for _, name := range []string{"s1", "s2", "s3", "s4"} {
		mkTree(t, root, name+"/Dockerfile", name+"/app/x", name+"/app/y.tmp")
		img := image(name, name)
		img.Include = []config.Include{{From: "lib", To: "lib"}, {From: "shared.conf", To: "etc/shared.conf"}}
		p.Images = append(p.Images, img)
	}
	want := map[string]string{}
	for _, img := range p.Images {
		want[img.Name] = digestOf(t, p, img, nil, nil).Digest
	}
	s := newTestScanner(t, p)
	s.Prefetch(p.Images)
	var wg sync.WaitGroup
	for _, img := range p.Images {
		wg.Add(1)
		go func() {
			defer wg.Done()
			entries, err := s.Context(img)
			if err != nil {
				t.Error(err)
				return
			}
			m, err := s.Manifest(img, entries, Build{})
			if err != nil || m.Digest != want[img.Name] {
				t.Errorf("%s: %v, digest %s, want %s", img.Name, err, m.Digest, want[img.Name])
			}
		}()
	}
	wg.Wait()
	if st := s.Stats(); st.Hashed != 4*2+3 {
		t.Errorf("stats %+v, want 11 files hashed once each", st)
	}
}
