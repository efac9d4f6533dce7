package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestComposeServices(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(`services:
  web: {image: "docker.io/acme/api:dev"}
  worker: {build: ./w}
  db: {image: postgres}
  mail: {image: "${MAIL_IMAGE}"}
`), 0o644)
	os.WriteFile(filepath.Join(dir, "dev.yml"), []byte("services:\n  only: {image: acme/api:dev}\n"), 0o644)
	changed := []Image{{Name: "api", Refs: []string{"acme/api:dev", "acme/api:latest"}},
		{Name: "worker", Refs: []string{"acme/worker:dev"}}, {Name: "mailer", Refs: []string{"acme/mail:dev"}}}
	for _, c := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"MAIL_IMAGE": "acme/mail:dev"}, []string{"mail", "web", "worker"}},
		{map[string]string{"MAIL_IMAGE": "acme/other"}, []string{"web", "worker"}},
		{map[string]string{"COMPOSE_FILE": "dev.yml"}, []string{"only"}},
	} {
		got, err := Compose{Dir: dir, Env: c.env}.Services(context.Background(), changed)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("env %v: services %q, want %q", c.env, got, c.want)
		}
	}
	up := Compose{Dir: dir, Env: map[string]string{"A": "1"}}.Up([]string{"web", "worker"})
	if got := strings.Join(up.Args, " "); got != "docker compose up -d --no-deps web worker" || up.Dir != dir || !slices.Contains(up.Env, "A=1") {
		t.Errorf("Up: %q in %s with %q", got, up.Dir, up.Env)
	}
}

func TestComposeServicesBadFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services: [\n"), 0o644)
	_, err := Compose{Dir: dir}.Services(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %v, want one naming the project folder", err)
	}
}
