package inputs

import (
	"slices"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	h := func(c string) string { return "f 0644 1 " + strings.Repeat(c, 64) }
	base := func() (*Manifest, map[string]string) {
		return &Manifest{
				Version: 1, Dockerfile: "Dockerfile",
				Args:     map[string]string{"PYVER": "3.12", "OLD": "x"},
				Upstream: map[string]string{"pybase": "sha256:1", "gone": "sha256:2"},
			}, map[string]string{
				"Dockerfile": h("0"), "src": "d 0755", "src/luamods": "d 0755",
				"src/luamods/http.lua": h("1"), "src/luamods/json.lua": h("2"), "src/luamods/sub/x.lua": h("3"),
				"app/main.py": h("4"), "top.txt": h("5"),
			}
	}
	tests := []struct {
		name   string
		change func(m *Manifest, files map[string]string)
		want   []string
	}{
		{"one file changed", func(m *Manifest, files map[string]string) { files["src/luamods/http.lua"] = h("9") },
			[]string{"file changed: src/luamods/http.lua"}},
		{"files changed under a folder", func(m *Manifest, files map[string]string) {
			files["src/luamods/http.lua"], files["src/luamods/json.lua"], files["src/luamods/sub/x.lua"] = h("9"), h("9"), h("9")
		}, []string{"3 files changed under src/luamods"}},
		{"files changed with nothing in common", func(m *Manifest, files map[string]string) {
			files["app/main.py"], files["src/luamods/http.lua"], files["top.txt"] = h("9"), h("9"), h("9")
		}, []string{"3 files changed: app/main.py, src/luamods/http.lua and 1 more"}},
		{"files added in a new folder", func(m *Manifest, files map[string]string) {
			files["src/pylib"] = "d 0755"
			for _, n := range []string{"a", "b", "c"} {
				files["src/pylib/"+n+".py"] = h("7")
			}
		}, []string{"3 files added under src/pylib"}},
		{"empty folder added", func(m *Manifest, files map[string]string) { files["cache"] = "d 0755" }, []string{"folder added: cache"}},
		{"file removed", func(m *Manifest, files map[string]string) { delete(files, "top.txt") }, []string{"file removed: top.txt"}},
		{"mode changed", func(m *Manifest, files map[string]string) {
			files["top.txt"] = strings.Replace(h("5"), "0644", "0755", 1)
		},
			[]string{"mode changed: top.txt"}},
		{"file became a symlink", func(m *Manifest, files map[string]string) { files["top.txt"] = `l 0777 "x"` }, []string{"file changed: top.txt"}},
		{"Dockerfile changed first", func(m *Manifest, files map[string]string) { files["Dockerfile"], files["top.txt"] = h("9"), h("9") },
			[]string{"Dockerfile changed: Dockerfile", "file changed: top.txt"}},
		{"args", func(m *Manifest, files map[string]string) { m.Args = map[string]string{"PYVER": "3.13", "NEW": "1"} },
			[]string{"build arg NEW added", "build arg OLD removed", "build arg PYVER changed"}},
		{"upstream", func(m *Manifest, files map[string]string) {
			m.Upstream = map[string]string{"pybase": "sha256:9", "luabase": "sha256:3"}
		},
			[]string{"dependency gone removed", "dependency luabase added", "base image pybase rebuilt"}},
		{"build settings", func(m *Manifest, files map[string]string) {
			m.Target, m.Platform, m.Network, m.Labels = "runtime", "linux/arm64", "none", map[string]string{"a": "b"}
		}, []string{"target changed (default to runtime)", "platform changed (default to linux/arm64)", "network changed (default to none)", "labels changed"}},
		{"most telling first", func(m *Manifest, files map[string]string) {
			m.Args["PYVER"], files["top.txt"], m.Upstream["pybase"] = "3.13", h("9"), "sha256:9"
		}, []string{"base image pybase rebuilt", "file changed: top.txt", "build arg PYVER changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, oldFiles := base()
			cur, curFiles := base()
			tt.change(cur, curFiles)
			old.files, cur.files = FilesOf(oldFiles), FilesOf(curFiles)
			old.Digest, cur.Digest = old.ComputeDigest(), cur.ComputeDigest()
			if got := Explain(old, cur); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestExplainNothingToSay(t *testing.T) {
	m := &Manifest{Version: 1, files: Files{{"a", "d 0755"}}}
	m.Digest = m.ComputeDigest()
	same := *m
	same.files = slices.Clone(m.files)
	if r := Explain(nil, m); r != nil {
		t.Errorf("never built: %q", r)
	}
	if r := Explain(m, &same); r != nil {
		t.Errorf("same digest: %q", r)
	}
}

func TestSummary(t *testing.T) {
	for _, c := range []struct {
		reasons []string
		want    string
	}{
		{nil, "inputs changed"},
		{[]string{"a"}, "a"},
		{[]string{"a", "b", "c"}, "a; b; c"},
		{[]string{"a", "b", "c", "d", "e"}, "a; b; c (and 2 more)"},
	} {
		if got := Summary(c.reasons); got != c.want {
			t.Errorf("Summary(%q) = %q, want %q", c.reasons, got, c.want)
		}
	}
}

func TestExplainSince(t *testing.T) {
	files := func(lua string) Files {
		return Files{{Name: "Dockerfile", Value: "f 0644 1 " + strings.Repeat("0", 64)},
			{Name: "src/luamods/http.lua", Value: "f 0644 1 " + strings.Repeat(lua, 64)}}
	}
	old := &Manifest{Version: ManifestVersion, Dockerfile: "Dockerfile", files: files("1")}
	old.Digest = old.ComputeDigest()
	cur := &Manifest{Version: ManifestVersion, Dockerfile: "Dockerfile", files: files("2"), Args: map[string]string{"V": "2"}}
	cur.Digest = cur.ComputeDigest()
	source := func(n string) string { return "components/openresty/" + n }
	if got, want := ExplainSince(old, cur, source, "a1b2c3d4e5f6"),
		"file changed: components/openresty/src/luamods/http.lua; build arg V added (since a1b2c3d4e5f6)"; got != want {
		t.Errorf("ExplainSince = %q, want %q", got, want)
	}
	if got, want := ExplainSince(old, old, source, "a1b2c3d4e5f6"), "the image pushed at a1b2c3d4e5f6 has the same inputs"; got != want {
		t.Errorf("ExplainSince of equal inputs = %q, want %q", got, want)
	}
}
