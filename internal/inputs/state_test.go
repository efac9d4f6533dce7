package inputs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func manifest(image string, n int) *Manifest {
	m := &Manifest{Version: 1, Image: image, Dockerfile: "Dockerfile", files: Files{{"f", fmt.Sprint(n)}}}
	m.Digest = m.ComputeDigest()
	return m
}

func TestState(t *testing.T) {
	root := t.TempDir()
	st := OpenState(root)
	if m, err := st.LastSeen("api/v1"); m != nil || err != nil {
		t.Fatalf("empty state: %v, %v", m, err)
	}
	seen := manifest("api/v1", 0)
	must(t, st.Record(seen, true))
	for i := 1; i <= MaxManifests+2; i++ {
		time.Sleep(2 * time.Millisecond) // distinct mtimes order the manifests
		must(t, st.Record(manifest("api/v1", i), false))
	}
	got, err := st.LastSeen("api/v1")
	must(t, err)
	if got == nil || got.Digest != seen.Digest || got.Files()[0].Value != "0" {
		t.Fatalf("last seen %+v, want %s", got, seen.Digest)
	}
	kept := 0
	for i := 0; i <= MaxManifests+2; i++ {
		want := manifest("api/v1", i)
		m, err := st.Load("api/v1", want.Digest)
		must(t, err)
		if m != nil {
			kept++
		}
		if i <= 2 && i > 0 && m != nil {
			t.Errorf("manifest %d was not pruned", i)
		}
	}
	if kept != MaxManifests+1 {
		t.Errorf("%d manifests kept, want %d and the last seen", kept, MaxManifests)
	}
}

func TestStateUnknownAndCorrupt(t *testing.T) {
	root := t.TempDir()
	st := OpenState(root)
	m := manifest("app", 1)
	if got, err := st.Load("app", m.Digest); got != nil || err != nil {
		t.Fatalf("unknown: %v, %v", got, err)
	}
	must(t, st.Record(m, true))
	file := st.file("app", m.Digest)
	must(t, os.WriteFile(file, []byte("not gzip"), 0o644))
	if got, err := st.Load("app", m.Digest); got != nil || err != nil {
		t.Fatalf("corrupt: %v, %v", got, err)
	}
	if got, err := st.Load("app", "nonsense"); got != nil || err != nil {
		t.Fatalf("bad digest: %v, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(root, StateDir, "manifests", "app", "last")); err != nil {
		t.Fatal(err)
	}
}
