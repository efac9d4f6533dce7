package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes as imagemake.yaml: Load must never panic, and must either
// return a project or an *Errors where every error names the file.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/*/*/" + FileName} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	root := f.TempDir()
	for _, dir := range []string{"web", "src/shared"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			f.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "web", "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	abs := filepath.Join(root, FileName)
	env := map[string]string{"DOCKER_TAG": "dev", "EMPTY": ""}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := load(context.Background(), data, FileName, abs, env)
		if err == nil {
			if p == nil {
				t.Fatal("no project and no error")
			}
			return
		}
		var errs *Errors
		if !errors.As(err, &errs) || len(errs.List) == 0 {
			t.Fatalf("error %T without problems: %v", err, err)
		}
		for _, e := range errs.List {
			if e.File != FileName || e.Msg == "" || e.Line < 0 || e.Col < 0 {
				t.Fatalf("malformed error %#v", e)
			}
		}
	})
}
