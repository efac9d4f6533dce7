package config

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// UPDATE_GOLDEN=1 go test ./internal/config/ rewrites want.txt and want.json from what Load
// returns. Review every change by eye before committing it.
var update = os.Getenv("UPDATE_GOLDEN") == "1"

// caseEnv reads a case's env.txt: KEY=VALUE lines, # for comments.
func caseEnv(t *testing.T, dir string) map[string]string {
	t.Helper()
	env := map[string]string{}
	f, err := os.Open(filepath.Join(dir, "env.txt"))
	if errors.Is(err, os.ErrNotExist) {
		return env
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return env
}

func caseDirs(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("no cases under %s", dir)
	}
	return dirs
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestBadConfigs(t *testing.T) {
	for _, name := range caseDirs(t, filepath.Join("testdata", "bad")) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "bad", name)
			p, err := Load(context.Background(), filepath.Join(dir, FileName), caseEnv(t, dir))
			if err == nil {
				t.Fatalf("loaded without error: %+v", p)
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is a %T, not *Errors: %v", err, err)
			}
			golden(t, filepath.Join(dir, "want.txt"), []byte(err.Error()+"\n"))
		})
	}
}

func TestGoodConfigs(t *testing.T) {
	for _, name := range caseDirs(t, filepath.Join("testdata", "good")) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "good", name)
			p, err := Load(context.Background(), filepath.Join(dir, FileName), caseEnv(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			abs, _ := filepath.Abs(dir)
			if p.Root != abs || p.File != filepath.Join(abs, FileName) {
				t.Errorf("Root, File = %q, %q; want %q and its %s", p.Root, p.File, abs, FileName)
			}
			p.Root, p.File = "", ""
			got, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(dir, "want.json"), append(got, '\n'))
		})
	}
}
