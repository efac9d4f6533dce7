package inputs

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	h := func(c string) string { return "f 0644 1 " + strings.Repeat(c, 64) }
	base := func() *Manifest {
		return &Manifest{
			Version: 1, Dockerfile: "Dockerfile",
			Files: map[string]string{
				"Dockerfile": h("0"), "src/": "d 0755", "src/luamods": "d 0755",
				"src/luamods/http.lua": h("1"), "src/luamods/json.lua": h("2"), "src/luamods/sub/x.lua": h("3"),
				"app/main.py": h("4"), "top.txt": h("5"),
			},
			Args:     map[string]string{"PYVER": "3.12", "OLD": "x"},
			Upstream: map[string]string{"pybase": "sha256:1", "gone": "sha256:2"},
		}
	}
	tests := []struct {
		name   string
		change func(m *Manifest)
		want   []string
	}{
		{"one file changed", func(m *Manifest) { m.Files["src/luamods/http.lua"] = h("9") },
			[]string{"file changed: src/luamods/http.lua"}},
		{"files changed under a folder", func(m *Manifest) {
			m.Files["src/luamods/http.lua"], m.Files["src/luamods/json.lua"], m.Files["src/luamods/sub/x.lua"] = h("9"), h("9"), h("9")
		}, []string{"3 files changed under src/luamods"}},
		{"files changed with nothing in common", func(m *Manifest) {
			m.Files["app/main.py"], m.Files["src/luamods/http.lua"], m.Files["top.txt"] = h("9"), h("9"), h("9")
		}, []string{"3 files changed: app/main.py, src/luamods/http.lua and 1 more"}},
		{"files added in a new folder", func(m *Manifest) {
			m.Files["src/pylib"] = "d 0755"
			for _, n := range []string{"a", "b", "c"} {
				m.Files["src/pylib/"+n+".py"] = h("7")
			}
		}, []string{"3 files added under src/pylib"}},
		{"empty folder added", func(m *Manifest) { m.Files["cache"] = "d 0755" }, []string{"folder added: cache"}},
		{"file removed", func(m *Manifest) { delete(m.Files, "top.txt") }, []string{"file removed: top.txt"}},
		{"mode changed", func(m *Manifest) { m.Files["top.txt"] = strings.Replace(h("5"), "0644", "0755", 1) },
			[]string{"mode changed: top.txt"}},
		{"file became a symlink", func(m *Manifest) { m.Files["top.txt"] = `l 0777 "x"` }, []string{"file changed: top.txt"}},
		{"Dockerfile changed first", func(m *Manifest) { m.Files["Dockerfile"], m.Files["top.txt"] = h("9"), h("9") },
			[]string{"Dockerfile changed: Dockerfile", "file changed: top.txt"}},
		{"args", func(m *Manifest) { m.Args = map[string]string{"PYVER": "3.13", "NEW": "1"} },
			[]string{"build arg NEW added", "build arg OLD removed", "build arg PYVER changed"}},
		{"upstream", func(m *Manifest) { m.Upstream = map[string]string{"pybase": "sha256:9", "luabase": "sha256:3"} },
			[]string{"dependency gone removed", "dependency luabase added", "base image pybase rebuilt"}},
		{"build settings", func(m *Manifest) {
			m.Target, m.Platform, m.Network, m.Labels = "runtime", "linux/arm64", "none", map[string]string{"a": "b"}
		}, []string{"target changed (default to runtime)", "platform changed (default to linux/arm64)", "network changed (default to none)", "labels changed"}},
		{"most telling first", func(m *Manifest) {
			m.Args["PYVER"], m.Files["top.txt"], m.Upstream["pybase"] = "3.13", h("9"), "sha256:9"
		}, []string{"base image pybase rebuilt", "file changed: top.txt", "build arg PYVER changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, cur := base(), base()
			tt.change(cur)
			old.Digest, cur.Digest = old.ComputeDigest(), cur.ComputeDigest()
			if got := Explain(old, cur); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestExplainNothingToSay(t *testing.T) {
	m := &Manifest{Version: 1, Files: map[string]string{"a": "d 0755"}}
	m.Digest = m.ComputeDigest()
	same := *m
	same.Files = maps.Clone(m.Files)
	if r := Explain(nil, m); r != nil {
		t.Errorf("never built: %q", r)
	}
	if r := Explain(m, &same); r != nil {
		t.Errorf("same digest: %q", r)
	}
}
