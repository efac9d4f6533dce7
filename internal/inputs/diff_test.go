package inputs

import (
	"slices"
	"strings"
	"testing"
)

func TestDiffListsEveryChange(t *testing.T) {
	h := func(c string) string { return "f 0644 1 " + strings.Repeat(c, 64) }
	old := &Manifest{Version: 1, Dockerfile: "Dockerfile", Args: map[string]string{"PYVER": "3.12", "OLD": "x"},
		Upstream: map[string]string{"pybase": "sha256:1"}, Secrets: []string{"npmrc"}, files: FilesOf(map[string]string{
			"Dockerfile": h("0"), "a.txt": h("1"), "b.txt": h("2"), "gone.txt": h("3"), "run.sh": h("4"), "lib": "d 0755"})}
	cur := &Manifest{Version: 1, Dockerfile: "Dockerfile", Args: map[string]string{"PYVER": "3.13", "NEW": "s3cr3t"},
		Upstream: map[string]string{"pybase": "sha256:2"}, Target: "runtime", Secrets: []string{"token"}, files: FilesOf(map[string]string{
			"Dockerfile": h("9"), "a.txt": h("8"), "b.txt": h("7"), "new.txt": h("6"),
			"run.sh": strings.Replace(h("4"), "0644", "0755", 1), "lib": "d 0755", "lib/x": h("5")})}
	old.Digest, cur.Digest = old.ComputeDigest(), cur.ComputeDigest()
	var got []string
	for _, c := range Diff(old, cur, func(n string) string { return "ctx/" + n }) {
		got = append(got, c.String())
	}
	want := []string{
		"base image pybase rebuilt",
		"file ctx/Dockerfile changed", "file ctx/a.txt changed", "file ctx/b.txt changed", "file ctx/gone.txt removed",
		"file ctx/lib/x added", "file ctx/new.txt added", "file ctx/run.sh mode changed",
		"build arg NEW added", "build arg OLD removed", "build arg PYVER changed",
		"target changed: default to runtime",
		"secret npmrc removed", "secret token added",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, g := range got {
		if strings.Contains(g, "s3cr3t") || strings.Contains(g, "3.13") {
			t.Errorf("a build arg value is printed: %q", g)
		}
	}
	if d := Diff(old, old, func(n string) string { return n }); d != nil {
		t.Errorf("same manifest: %v", d)
	}
}
